import { createTRPCClient, httpLink } from "@trpc/client";

import type { AppRouter } from "@causette/server/router";

import { toChatError } from "./errors.ts";

export interface HttpOptions {
  url: string;
  token: () => string | null;
  fetch?: typeof globalThis.fetch;
  timeout: number;
  retries: number;
  retryDelay: number;
}

export type Trpc = ReturnType<typeof createTRPCClient<AppRouter>>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

  /** One call, aborted after the time-out; every failure becomes a ChatError. */
  async function call<T>(run: (trpc: Trpc, signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeout);
    try {
      return await run(trpc, controller.signal);
    } catch (error) {
      throw toChatError(error, timedOut);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A call that is safe to repeat (an idempotent send), retried while no answer comes. */
  async function retried<T>(run: (trpc: Trpc, signal: AbortSignal) => Promise<T>): Promise<T> {
    return retry(() => call(run), options);
  }

  return { call, retried };
}

/** Repeats `attempt` after NETWORK, TIMEOUT or SERVICE_UNAVAILABLE, with a doubling pause. */
export async function retry<T>(
  attempt: () => Promise<T>,
  options: { retries: number; retryDelay: number },
): Promise<T> {
  for (let n = 0; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      const chatError = toChatError(error);
      if (!chatError.retryable || n >= options.retries) throw chatError;
      await sleep(options.retryDelay * 2 ** n);
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
