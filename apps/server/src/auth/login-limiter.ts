/**
 * Failed sign-ins, counted in fixed windows per email and per client address. The email window is
 * short, so an attacker who fails on purpose can hold a victim's account for minutes at most; the
 * address window is longer and wider, and stops one client from trying many accounts.
 */
export interface LimitRule {
  max: number;
  windowMs: number;
}

class FixedWindowCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly rule: LimitRule) {}

  /** Seconds until the key may try again, or 0 when it may now. */
  blockedFor(key: string, now: number): number {
    const w = this.windows.get(key);
    if (!w || w.resetAt <= now || w.count < this.rule.max) return 0;
    return Math.ceil((w.resetAt - now) / 1000);
  }

  hit(key: string, now: number): void {
    const w = this.windows.get(key);
    if (!w || w.resetAt <= now) this.windows.set(key, { count: 1, resetAt: now + this.rule.windowMs });
    else w.count += 1;
    if (this.windows.size > 100_000) this.sweep(now);
  }

  clear(key: string): void {
    this.windows.delete(key);
  }

  private sweep(now: number) {
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
  }
}

export class LoginLimiter {
  private readonly byEmail: FixedWindowCounter;
  private readonly byAddress: FixedWindowCounter;

  constructor(
    rules: { email: LimitRule; address: LimitRule } = {
      email: { max: 10, windowMs: 5 * 60_000 },
      address: { max: 50, windowMs: 15 * 60_000 },
    },
    private readonly now: () => number = Date.now,
  ) {
    this.byEmail = new FixedWindowCounter(rules.email);
    this.byAddress = new FixedWindowCounter(rules.address);
  }

  /** Seconds to wait before another attempt, 0 when one is allowed. */
  retryAfter(email: string, address: string): number {
    const now = this.now();
    return Math.max(this.byEmail.blockedFor(email.toLowerCase(), now), this.byAddress.blockedFor(address, now));
  }

  failed(email: string, address: string): void {
    const now = this.now();
    this.byEmail.hit(email.toLowerCase(), now);
    this.byAddress.hit(address, now);
  }

  succeeded(email: string): void {
    this.byEmail.clear(email.toLowerCase());
  }
}
