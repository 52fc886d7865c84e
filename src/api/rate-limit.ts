// Requests per minute per API token: a token bucket that holds a minute's worth and refills continuously, so a burst
// up to the limit passes and a steady stream above it is slowed to the limit. In memory: a restart forgives.
import type { Clock } from "../clock.ts";

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: Clock) {}

  take(key: string, perMinute: number): { ok: boolean; remaining: number; retryAfterSeconds: number } {
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: perMinute, at: now };
    // A clock set back (an operator's correction, a test) must not drain the bucket: time only ever refills it.
    bucket.tokens = Math.min(perMinute, bucket.tokens + (Math.max(0, now - bucket.at) * perMinute) / 60_000);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.forgetIdle(now);
    if (bucket.tokens < 1) return { ok: false, remaining: 0, retryAfterSeconds: Math.ceil(((1 - bucket.tokens) * 60) / perMinute) };
    bucket.tokens -= 1;
    return { ok: true, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 };
  }

  /** Buckets idle for a minute are full again: forgetting them changes nothing. */
  private forgetIdle(now: number): void {
    for (const [key, b] of this.buckets) if (now - b.at > 60_000) this.buckets.delete(key);
  }
}
