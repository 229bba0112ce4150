import { RateLimiterRes, type RateLimiterMemory } from 'rate-limiter-flexible';
import { rateLimited } from '../graphql/errors.js';

/**
 * Takes one point from each limiter for its key, in order; when one has none left, throws
 * RATE_LIMITED with the message for the wait. The memory limiter counts synchronously, so requests
 * that arrive together are counted one by one and cannot overshoot.
 */
export async function consumeEach(limits: [RateLimiterMemory, string][], message: (retrySeconds: number) => string): Promise<void> {
  try {
    for (const [limiter, key] of limits) await limiter.consume(key);
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    const retry = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    throw rateLimited(message(retry), retry);
  }
}
