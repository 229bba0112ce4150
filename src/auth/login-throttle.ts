import { RateLimiterMemory } from 'rate-limiter-flexible';
import { rateLimited } from '../graphql/errors.js';

/**
 * Slows password guessing: after `maxFailures` failed logins for an email (or four times as many
 * from one address) within the window, further attempts are refused until the window passes.
 */
export class LoginThrottle {
  private readonly byEmail: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;

  constructor(
    private readonly maxFailures: number,
    windowSeconds: number,
  ) {
    this.byEmail = new RateLimiterMemory({ points: maxFailures, duration: windowSeconds, keyPrefix: 'login-email' });
    this.byAddress = new RateLimiterMemory({ points: maxFailures * 4, duration: windowSeconds, keyPrefix: 'login-ip' });
  }

  /** Throws RATE_LIMITED when either key has used up its failures. */
  async check(email: string, ip: string): Promise<void> {
    for (const [limiter, key] of [
      [this.byEmail, email],
      [this.byAddress, ip],
    ] as const) {
      const state = await limiter.get(key);
      if (state && state.consumedPoints >= limiter.points) {
        const retry = Math.ceil(state.msBeforeNext / 1000);
        throw rateLimited(`Too many failed logins; try again in ${retry} seconds or reset your password.`, retry);
      }
    }
  }

  async failed(email: string, ip: string): Promise<void> {
    await Promise.all([this.byEmail.penalty(email, 1), this.byAddress.penalty(ip, 1)]);
  }

  async succeeded(email: string): Promise<void> {
    await this.byEmail.delete(email);
  }

  get limit(): number {
    return this.maxFailures;
  }
}
