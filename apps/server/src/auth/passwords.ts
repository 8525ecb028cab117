import argon2 from "argon2";

import { AppError } from "../errors.ts";

// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * Hashing is deliberately slow and runs on libuv's thread pool; unbounded, a login storm would
 * occupy every pool thread (starving file and DNS work) and queue without end. This caps the work
 * in flight and refuses, with a retry hint, what would wait too long.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly concurrency = 2,
    private readonly maxWaiting = 256,
  ) {}

  hash(password: string): Promise<string> {
    return this.limited(() => argon2.hash(password, OPTIONS));
  }

  /** Always does the work of one verification, so an unknown account costs the same time as a known one. */
  verify(hash: string | null, password: string): Promise<boolean> {
    return this.limited(async () => {
      this.dummyHash ??= argon2.hash("causette-timing-equalizer", OPTIONS);
      const target = hash ?? (await this.dummyHash);
      const ok = await argon2.verify(target, password).catch(() => false);
      return ok && hash !== null;
    });
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new AppError("TOO_MANY_REQUESTS", "Too many sign-ins at once, retry shortly", { retryAfter: 1 });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
