import type { Executor, Tx } from '../../db/client.js';
import { sql } from 'drizzle-orm';
import { auditEvents } from '../../db/schema/index.js';
import { EVENT_CHANNEL } from './bus.js';
import type { Context } from '../../graphql/context.js';

export interface AuditRecord<T> {
  result: T;
  target: { type: string; id: string | null };
  teamId?: string | null;
  data?: Record<string, unknown>;
  /** For mutations that establish who the actor is (sign-up, log-in). */
  actor?: { id: string; email: string };
}

type EventValues = typeof auditEvents.$inferInsert;

/** The actor columns of an event: the record's actor, else the calling user or service account, else the system. */
function actorOf(ctx: Context, actor: AuditRecord<unknown>['actor']): Pick<EventValues, 'actorType' | 'actorId' | 'actorEmail'> {
  const viewer = ctx.viewer;
  const user = actor ?? (viewer?.user ? { id: viewer.user.id, email: viewer.user.email } : null);
  const serviceAccount = !actor && viewer?.serviceAccount ? viewer.serviceAccount : null;
  return {
    actorType: user ? 'USER' : serviceAccount ? 'SERVICE_ACCOUNT' : 'SYSTEM',
    actorId: user?.id ?? serviceAccount?.id ?? null,
    actorEmail: user?.email ?? null,
  };
}

type EventRecord = Omit<AuditRecord<unknown>, 'result'> & { error?: string };

/** Writes one event; a team's events are announced on commit to every replica listening (subscriptions). */
async function insertEvent(
  ctx: Context,
  executor: Executor,
  kind: string,
  status: EventValues['status'],
  record: EventRecord,
  startedAt: Date,
) {
  const [event] = await executor
    .insert(auditEvents)
    .values({
      kind,
      status,
      ...actorOf(ctx, record.actor),
      targetType: record.target.type,
      targetId: record.target.id,
      teamId: record.teamId ?? null,
      error: record.error ?? null,
      data: record.data ?? {},
      startedAt,
      finishedAt: new Date(),
    })
    .returning({ id: auditEvents.id });
  if (record.teamId)
    await executor.execute(sql`select pg_notify(${EVENT_CHANNEL}, ${JSON.stringify({ teamId: record.teamId, eventId: event.id })})`);
}

/**
 * Runs a mutation as one transaction that also writes its audit event: the change and its
 * event both happen or neither does. Mail enqueued in the transaction is delivered after it commits.
 */
export async function audited<T>(ctx: Context, kind: string, run: (tx: Tx) => Promise<AuditRecord<T>>): Promise<T> {
  const startedAt = new Date();
  const result = await ctx.db.transaction(async (tx) => {
    const record = await run(tx);
    await insertEvent(ctx, tx, kind, 'SUCCEEDED', record, startedAt);
    return record.result;
  });
  ctx.app.mail.flush();
  return result;
}

/**
 * Records a refused attempt on its own, outside any transaction (the attempt changed nothing, so
 * there is none to join): a FAILED event with the reason the caller was given.
 */
export async function auditFailure(ctx: Context, kind: string, failure: EventRecord & { error: string; startedAt: Date }): Promise<void> {
  await insertEvent(ctx, ctx.db, kind, 'FAILED', failure, failure.startedAt);
}
