import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { createClient } from "redis";

import { AppError } from "../errors.ts";

/** At most `points` in a window of `durationSec`. */
export interface WindowRule {
  points: number;
  durationSec: number;
}

/**
 * A window whose length doubles each time a key exhausted its previous one, up to `maxDurationSec`:
 * a few mistakes cost seconds, an attack minutes, and nobody is locked out for longer than the cap.
 */
export interface GrowingRule extends WindowRule {
  maxDurationSec: number;
}

export interface RateLimitRules {
  /** Messages one user may send, one budget across REST, tRPC (batched or not) and socket.io. */
  sends: WindowRule;
  /** Log-in attempts at one account (its email key), counted before the password is checked. */
  loginAccount: GrowingRule;
  /** Failed log-in attempts from one client address (successes give their point back). */
  loginAddress: GrowingRule;
  /** Sign-ups from one client address. */
  signupAddress: GrowingRule;
}

export const DEFAULT_RATE_LIMITS: RateLimitRules = {
  sends: { points: 40, durationSec: 2 },
  loginAccount: { points: 5, durationSec: 30, maxDurationSec: 300 },
  // An office behind one NAT address: many people, each mistyping now and then.
  loginAddress: { points: 50, durationSec: 60, maxDurationSec: 300 },
  signupAddress: { points: 10, durationSec: 600, maxDurationSec: 3600 },
};

const LIFTED = { points: 1_000_000_000, durationSec: 1, maxDurationSec: 1 };

/**
 * For tests and benchmarks that seed or load the server from one machine: sends and sign-ups are
 * not limited (the tests of those limits set their own); log-in keeps the product's rules.
 */
export const LOAD_TEST_RATE_LIMITS: Partial<RateLimitRules> = { sends: LIFTED, signupAddress: LIFTED };

/**
 * Where the counters live: this process's memory (the default), or Redis, so every node shares
 * them. `redis` is a connected node-redis client; `keyPrefix` keeps apps sharing a Redis apart.
 */
export type RateLimitStore = { kind: "memory" } | { kind: "redis"; redis: RateLimiterRedisClient; keyPrefix: string };

/** A connected node-redis client (`createClient()`). */
export type RateLimiterRedisClient = ReturnType<typeof createClient>;

type LimiterFactory = (name: string, rule: WindowRule) => RateLimiterAbstract;

function limiterFactory(store: RateLimitStore): LimiterFactory {
  if (store.kind === "memory") {
    return (name, rule) => new RateLimiterMemory({ keyPrefix: name, points: rule.points, duration: rule.durationSec });
  }
  return (name, rule) =>
    new RateLimiterRedis({
      storeClient: store.redis,
      useRedisPackage: true,
      keyPrefix: `${store.keyPrefix}:rl:${name}`,
      points: rule.points,
      duration: rule.durationSec,
      // Redis away: each node limits on its own until it is back, rather than refusing everyone.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points: rule.points, duration: rule.durationSec }),
    });
}

function tooManyRequests(message: string, msBeforeNext: number): AppError {
  return new AppError("TOO_MANY_REQUESTS", message, { retryAfter: Math.max(1, Math.ceil(msBeforeNext / 1000)) });
}

/** The refusal of a limiter, or the store's own failure rethrown. */
function refused(error: unknown): RateLimiterRes {
  if (error instanceof RateLimiterRes) return error;
  throw error;
}

/** A GrowingRule over two counters: the attempts of the current window, and how many windows ran out. */
class GrowingLimit {
  private readonly attempts: RateLimiterAbstract;
  private readonly strikes: RateLimiterAbstract;

  constructor(
    name: string,
    private readonly rule: GrowingRule,
    create: LimiterFactory,
    private readonly message: string,
  ) {
    this.attempts = create(name, rule);
    // Strikes are remembered for a few of the longest windows, then forgiven.
    this.strikes = create(`${name}:strikes`, { points: Number.MAX_SAFE_INTEGER, durationSec: rule.maxDurationSec * 4 });
  }

  /** Counts one attempt (atomically: concurrent attempts each take their own point) or refuses it. */
  async take(key: string): Promise<void> {
    const strikes = (await this.strikes.get(key))?.consumedPoints ?? 0;
    const customDuration = Math.min(this.rule.durationSec * 2 ** strikes, this.rule.maxDurationSec);
    try {
      await this.attempts.consume(key, 1, { customDuration });
    } catch (error) {
      const res = refused(error);
      // The first refusal of a window is a strike: the next window is twice as long.
      if (res.consumedPoints === this.rule.points + 1) await this.strikes.penalty(key, 1);
      throw tooManyRequests(this.message, res.msBeforeNext);
    }
  }

  /** Gives the attempt's point back (it was not a failure). */
  async giveBack(key: string): Promise<void> {
    await this.attempts.reward(key, 1);
  }

  async forgive(key: string): Promise<void> {
    await Promise.all([this.attempts.delete(key), this.strikes.delete(key)]);
  }
}

/** One log-in attempt, counted; tell it how it ended. */
export interface LoginAttempt {
  succeeded(): Promise<void>;
}

/** Every rate limit of the product, in one place; every surface goes through the services that use it. */
export function createRateLimits(
  rules: RateLimitRules = DEFAULT_RATE_LIMITS,
  store: RateLimitStore = { kind: "memory" },
) {
  const create = limiterFactory(store);
  const sends = create("sends", rules.sends);
  const loginAccount = new GrowingLimit(
    "login:account",
    rules.loginAccount,
    create,
    "Too many log-in attempts at this account, retry later",
  );
  const loginAddress = new GrowingLimit(
    "login:address",
    rules.loginAddress,
    create,
    "Too many failed log-ins from this address, retry later",
  );
  const signupAddress = new GrowingLimit(
    "signup:address",
    rules.signupAddress,
    create,
    "Too many sign-ups from this address, retry later",
  );

  return {
    /** One message sent by `userId`, from whatever surface. */
    async send(userId: number): Promise<void> {
      try {
        await sends.consume(String(userId), 1);
      } catch (error) {
        const res = refused(error);
        throw tooManyRequests(
          `Sending too fast: at most ${rules.sends.points} messages in ${rules.sends.durationSec} s`,
          res.msBeforeNext,
        );
      }
    },

    /**
     * Counts a log-in attempt at the account `emailKey` from `address` before any password is
     * checked, so concurrent and batched tries are all counted; refuses it past either limit.
     */
    async loginAttempt(emailKey: string, address: string): Promise<LoginAttempt> {
      await loginAddress.take(address);
      await loginAccount.take(emailKey);
      return {
        async succeeded() {
          await Promise.all([loginAccount.forgive(emailKey), loginAddress.giveBack(address)]);
        },
      };
    },

    async signup(address: string): Promise<void> {
      await signupAddress.take(address);
    },
  };
}
export type RateLimits = ReturnType<typeof createRateLimits>;
