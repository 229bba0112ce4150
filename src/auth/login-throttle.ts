import { RateLimiterMemory } from 'rate-limiter-flexible';
import { consumeEach } from './rate-limits.js';

/**
 * Slows password guessing: each login attempt uses one of `maxFailures` attempts for its email
 * (and of four times as many for its network address) in the window, before the password is
 * checked, so concurrent guesses cannot run more checks than the limit. A successful login gives
 * the email its attempts back and returns its address's attempt.
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

  /**
   * Counts an attempt before its password check; throws RATE_LIMITED when the email or the
   * address has no attempt left.
   */
  async attempt(email: string, ip: string): Promise<void> {
    await consumeEach(
      [
        [this.byAddress, ip],
        [this.byEmail, email],
      ],
      (retry) => `Too many failed logins; try again in ${retry} seconds or reset your password.`,
    );
  }

  async succeeded(email: string, ip: string): Promise<void> {
    await Promise.all([this.byEmail.delete(email), this.byAddress.reward(ip, 1)]);
  }

  get limit(): number {
    return this.maxFailures;
  }
}
