import argon2 from "argon2";

import { AppError } from "../errors.ts";

// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

type Lane = "login" | "signup";

/**
 * Hashing is deliberately slow and runs on libuv's thread pool; unbounded, a login storm would
 * occupy every pool thread (starving file and DNS work) and queue without end. This caps the work
 * in flight and refuses, with a retry hint, what would wait too long.
 *
 * Log-ins and sign-ups wait in separate lines: a freed slot goes to a waiting log-in first, and
 * sign-ups never hold every slot, so a flood of sign-ups cannot starve log-ins of hashing.
 */
export class PasswordHasher {
  private running = { login: 0, signup: 0 };
  private readonly waiting: Record<Lane, Array<() => void>> = { login: [], signup: [] };
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly concurrency = 2,
    private readonly maxWaiting = { login: 256, signup: 32 },
  ) {}

  /** A new password's hash (sign-up). */
  hash(password: string): Promise<string> {
    return this.limited("signup", () => argon2.hash(password, OPTIONS));
  }

  /** Always does the work of one verification, so an unknown account costs the same time as a known one. */
  verify(hash: string | null, password: string): Promise<boolean> {
    return this.limited("login", async () => {
      this.dummyHash ??= argon2.hash("causette-timing-equalizer", OPTIONS);
      const target = hash ?? (await this.dummyHash);
      const ok = await argon2.verify(target, password).catch(() => false);
      return ok && hash !== null;
    });
  }

  /** Sign-ups leave one slot to log-ins (when there is more than one). */
  private mayStart(lane: Lane): boolean {
    const total = this.running.login + this.running.signup;
    if (total >= this.concurrency) return false;
    return lane === "login" || this.concurrency === 1 || this.running.signup < this.concurrency - 1;
  }

  private async limited<T>(lane: Lane, work: () => Promise<T>): Promise<T> {
    if (this.mayStart(lane)) {
      this.running[lane] += 1;
    } else {
      if (this.waiting[lane].length >= this.maxWaiting[lane]) {
        const what = lane === "login" ? "log-ins" : "sign-ups";
        throw new AppError("TOO_MANY_REQUESTS", `Too many ${what} at once, retry shortly`, { retryAfter: 1 });
      }
      // next() counts this call in before waking it, so nobody takes its slot meanwhile.
      await new Promise<void>((resolve) => this.waiting[lane].push(resolve));
    }
    try {
      return await work();
    } finally {
      this.running[lane] -= 1;
      this.next();
    }
  }

  /** Hands the free slots to waiting calls, log-ins first. */
  private next() {
    for (const lane of ["login", "signup"] as const) {
      while (this.waiting[lane].length > 0 && this.mayStart(lane)) {
        this.running[lane] += 1;
        this.waiting[lane].shift()!();
      }
    }
  }
}
