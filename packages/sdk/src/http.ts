import { createTRPCClient, httpLink } from "@trpc/client";

import type { AppRouter } from "@causette/server/router";

import { ChatError, toChatError } from "./errors.ts";
import type { RequestOptions } from "./types.ts";

export interface HttpOptions {
  url: string;
  token: () => string | null;
  fetch?: typeof globalThis.fetch;
  timeout: number;
  retries: number;
  retryDelay: number;
}

export type Trpc = ReturnType<typeof createTRPCClient<AppRouter>>;

type Run<T> = (trpc: Trpc, signal: AbortSignal) => Promise<T>;

function aborted(signal: AbortSignal): ChatError {
  return new ChatError("ABORTED", "The call was aborted", { status: 0, cause: signal.reason });
}

/** Waits `ms`, or rejects with ABORTED as soon as `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The tRPC client over plain HTTP, with the Bearer token, a time-out per call and ChatError failures. */
export function createHttp(options: HttpOptions) {
  const trpc: Trpc = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${options.url}/trpc`,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        headers: () => {
          const token = options.token();
          return token ? { authorization: `Bearer ${token}` } : {};
        },
      }),
    ],
  });

  /** One attempt, aborted after the time-out or by the caller's signal; every failure a ChatError. */
  async function attempt<T>(run: Run<T>, request: RequestOptions): Promise<T> {
    const { signal } = request;
    if (signal?.aborted) throw aborted(signal);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeout ?? options.timeout);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await run(trpc, controller.signal);
    } catch (error) {
      if (signal?.aborted && !timedOut) throw aborted(signal);
      throw toChatError(error, timedOut);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  function request<T>(run: Run<T>, request: RequestOptions, safeToRepeat: boolean): Promise<T> {
    const retries = request.maxRetries ?? (safeToRepeat ? options.retries : 0);
    return retry(() => attempt(run, request), {
      retries,
      retryDelay: options.retryDelay,
      ...(request.signal ? { signal: request.signal } : {}),
    });
  }

  return {
    /** A read, or a send with its clientId: safe to repeat, so retried while no answer comes. */
    repeatable: <T>(run: Run<T>, options: RequestOptions = {}) => request(run, options, true),
    /** Any other write: one attempt unless the caller's `maxRetries` says otherwise. */
    once: <T>(run: Run<T>, options: RequestOptions = {}) => request(run, options, false),
  };
}

/**
 * Repeats `attempt` after NETWORK, TIMEOUT or SERVICE_UNAVAILABLE, with a doubling pause (at least
 * what the server's `retryAfter` asked); an abort of `signal` ends it with ABORTED.
 */
export async function retry<T>(
  attempt: () => Promise<T>,
  options: { retries: number; retryDelay: number; signal?: AbortSignal },
): Promise<T> {
  for (let n = 0; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      const chatError = toChatError(error);
      if (!chatError.retryable || n >= options.retries) throw chatError;
      await pause(Math.max(options.retryDelay * 2 ** n, (chatError.retryAfter ?? 0) * 1000), options.signal);
    }
  }
}

/** A UUID for `clientId`: crypto.randomUUID where there is one (it needs a secure context in browsers). */
export function newClientId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } })
    .crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i += 1) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
