import { asc, inArray, isNull } from 'drizzle-orm';
import type { Database, Db, Executor } from '../db/client.js';
import { outbox } from '../db/schema/index.js';
import { outsideStatementScope } from '../db/statements.js';
import type { Logger } from '../logger.js';

export interface MailMessage {
  kind: string;
  recipient: string;
  subject: string;
  body: string;
  payload?: Record<string, unknown>;
}

/**
 * Works out at delivery time the message that a queued request stands for, or null to send none.
 * A mutation that must not reveal what it finds (a password reset for an address that may not be
 * registered) queues only the request, doing the same work whatever the answer; the lookup and the
 * token happen here, after the response.
 */
export type MailPreparer = (db: Db, request: MailMessage) => Promise<MailMessage | null>;

const preparers = new Map<string, MailPreparer>();

/** Queued messages of `kind` are requests that `preparer` turns into the mail to deliver. */
export function prepareMailOfKind(kind: string, preparer: MailPreparer): void {
  preparers.set(kind, preparer);
}

/** Delivers one message; swap the implementation to send real mail. */
export interface Mailer {
  deliver(message: MailMessage): Promise<void>;
}

/** The default mailer: there is no mail server here, so messages go to the log. */
export class LogMailer implements Mailer {
  constructor(private readonly logger: Logger) {}
  async deliver(message: MailMessage): Promise<void> {
    this.logger.info({ mail: { to: message.recipient, subject: message.subject, body: message.body } }, 'mail delivered to log');
  }
}

/**
 * Transactional outbox: services enqueue messages inside their transaction, so a message exists
 * exactly when the change that caused it was committed; `flush` delivers after the commit.
 */
export class Mail {
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly database: Database,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
  ) {}

  async enqueue(tx: Executor, message: MailMessage): Promise<void> {
    await tx.insert(outbox).values({ ...message, payload: message.payload ?? {} });
  }

  /** Delivers pending messages in the background (not part of the request's statements). */
  flush(): void {
    // Every flush looks (one indexed query): a flag set at enqueue time would be cleared by another
    // request's flush before this request's transaction committed, and its mail would wait.
    this.flushing = this.flushing
      .then(() => outsideStatementScope(() => this.deliverPending()))
      .catch((error) => this.logger.error({ err: error }, 'mail delivery failed; will retry on the next flush'));
  }

  /** Waits for deliveries started so far (tests and shutdown). */
  async idle(): Promise<void> {
    await this.flushing;
  }

  private async deliverPending(): Promise<void> {
    const db = this.database.db;
    const pending = await db.select().from(outbox).where(isNull(outbox.sentAt)).orderBy(asc(outbox.createdAt)).limit(100);
    if (!pending.length) return;
    for (const row of pending) {
      const queued = { ...row, payload: row.payload as Record<string, unknown> };
      const prepare = preparers.get(row.kind);
      const message = prepare ? await prepare(db, queued) : queued;
      if (message) await this.mailer.deliver(message);
    }
    // Delivered messages keep only who, what and when: the tokens in them must not linger in the database.
    await db
      .update(outbox)
      .set({ sentAt: new Date(), body: '[delivered]', payload: {} })
      .where(
        inArray(
          outbox.id,
          pending.map((r) => r.id),
        ),
      );
  }
}
