import { RateLimiterMemory } from 'rate-limiter-flexible';
import { consumeEach } from '../auth/rate-limits.js';
import type { AppServices, Context } from '../graphql/context.js';

/**
 * Caps the mail that mutations send (password resets, verifications, invitations), so that nobody
 * can flood an address, nor use the platform to mail many addresses: within the window, each
 * recipient gets at most `maxPerRecipient` mails and each sender (an account, or a network address
 * when anonymous) asks for at most `maxPerSender`. Every request counts, sent or not, so the answer
 * tells nothing about whether an address is registered.
 */
export class MailLimit {
  private readonly byRecipient: RateLimiterMemory;
  private readonly bySender: RateLimiterMemory;

  constructor(maxPerRecipient: number, maxPerSender: number, windowSeconds: number) {
    this.byRecipient = new RateLimiterMemory({ points: maxPerRecipient, duration: windowSeconds, keyPrefix: 'mail-recipient' });
    this.bySender = new RateLimiterMemory({ points: maxPerSender, duration: windowSeconds, keyPrefix: 'mail-sender' });
  }

  async consume(recipient: string, sender: string): Promise<void> {
    await consumeEach(
      [
        [this.bySender, sender],
        [this.byRecipient, recipient],
      ],
      (retry) => `Too many mails asked for to this address or by you; try again in ${retry} seconds.`,
    );
  }
}

// One limiter per running application, made from its configuration on first use.
const limits = new WeakMap<AppServices, MailLimit>();

/**
 * Counts one mail to `recipient` asked for by the caller; RATE_LIMITED past the limits. Call it
 * first thing in a mail-sending mutation (the recipient may still be raw input: it is normalized
 * as addresses are stored).
 */
export async function limitMail(ctx: Context, recipient: unknown): Promise<void> {
  let limit = limits.get(ctx.app);
  if (!limit) {
    const { mailMaxPerRecipient, mailMaxPerSender, mailRateWindowSeconds } = ctx.app.config;
    limit = new MailLimit(mailMaxPerRecipient, mailMaxPerSender, mailRateWindowSeconds);
    limits.set(ctx.app, limit);
  }
  const address = typeof recipient === 'string' ? recipient.trim().toLowerCase() : '';
  const sender = ctx.viewer ? `${ctx.viewer.subject.type}:${ctx.viewer.subject.id}` : `address:${ctx.client.ip}`;
  await limit.consume(address, sender);
}
