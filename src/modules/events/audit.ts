import type { Tx } from '../../db/client.js';
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

/**
 * Runs a mutation as one transaction that also writes its audit event: the change and its
 * event both happen or neither does. Mail enqueued in the transaction is delivered after it commits.
 */
export async function audited<T>(ctx: Context, kind: string, run: (tx: Tx) => Promise<AuditRecord<T>>): Promise<T> {
  const startedAt = new Date();
  const result = await ctx.db.transaction(async (tx) => {
    const record = await run(tx);
    const viewer = ctx.viewer;
    const actor = record.actor ?? (viewer?.user ? { id: viewer.user.id, email: viewer.user.email } : null);
    const serviceAccount = !record.actor && viewer?.serviceAccount ? viewer.serviceAccount : null;
    const [event] = await tx
      .insert(auditEvents)
      .values({
        kind,
        status: 'SUCCEEDED',
        actorType: actor ? 'USER' : serviceAccount ? 'SERVICE_ACCOUNT' : 'SYSTEM',
        actorId: actor?.id ?? serviceAccount?.id ?? null,
        actorEmail: actor?.email ?? null,
        targetType: record.target.type,
        targetId: record.target.id,
        teamId: record.teamId ?? null,
        data: record.data ?? {},
        startedAt,
        finishedAt: new Date(),
      })
      .returning({ id: auditEvents.id });
    // Delivered on commit only, to every replica listening (team event subscriptions).
    if (record.teamId)
      await tx.execute(sql`select pg_notify(${EVENT_CHANNEL}, ${JSON.stringify({ teamId: record.teamId, eventId: event.id })})`);
    return record.result;
  });
  ctx.app.mail.flush();
  return result;
}
