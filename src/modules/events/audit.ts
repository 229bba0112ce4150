import type { Tx } from '../../db/client.js';
import { sql } from 'drizzle-orm';
import { auditEvents } from '../../db/schema/index.js';
import { EVENT_CHANNEL } from './bus.js';
import type { Context } from '../../graphql/context.js';
import { onMutationRefused } from '../../iam/guard.js';

export interface AuditRecord<T> {
  result: T;
  target: { type: string; id: string | null };
  teamId?: string | null;
  /** Other teams whose audit trail records the same event (moving an app: the team it left). */
  alsoTeamIds?: string[];
  data?: Record<string, unknown>;
  /** For mutations that establish who the actor is (sign-up, log-in). */
  actor?: { id: string; email: string };
}

/** Who did it, as an audit event records them: the record's own actor, the user, or the service account. */
function actorOf(ctx: Context, actor?: { id: string; email: string }) {
  const viewer = ctx.viewer;
  const user = actor ?? (viewer?.user ? { id: viewer.user.id, email: viewer.user.email } : null);
  const serviceAccount = !actor && viewer?.serviceAccount ? viewer.serviceAccount : null;
  return {
    actorType: user ? ('USER' as const) : serviceAccount ? ('SERVICE_ACCOUNT' as const) : ('SYSTEM' as const),
    actorId: user?.id ?? serviceAccount?.id ?? null,
    actorEmail: user?.email ?? null,
  };
}

/**
 * Records what was attempted and refused (a mutation without the permission it declares): a
 * FAILED event, outside any transaction since nothing else happened. The team's audit:read
 * holders and the actor see it, as they see the team's other events.
 */
export async function auditFailure(
  ctx: Context,
  kind: string,
  failure: { target: { type: string; id: string | null }; teamId: string | null; error: string; data?: Record<string, unknown> },
): Promise<void> {
  const now = new Date();
  const [event] = await ctx.db
    .insert(auditEvents)
    .values({
      kind,
      status: 'FAILED',
      ...actorOf(ctx),
      targetType: failure.target.type,
      targetId: failure.target.id,
      teamId: failure.teamId,
      error: failure.error,
      data: failure.data ?? {},
      startedAt: now,
      finishedAt: now,
    })
    .returning({ id: auditEvents.id });
  if (failure.teamId)
    await ctx.db.execute(sql`select pg_notify(${EVENT_CHANNEL}, ${JSON.stringify({ teamId: failure.teamId, eventId: event.id })})`);
}

/**
 * Runs a mutation as one transaction that also writes its audit event: the change and its
 * event both happen or neither does. Mail enqueued in the transaction is delivered after it commits.
 */
export async function audited<T>(ctx: Context, kind: string, run: (tx: Tx) => Promise<AuditRecord<T>>): Promise<T> {
  const startedAt = new Date();
  const result = await ctx.db.transaction(async (tx) => {
    const record = await run(tx);
    const actor = actorOf(ctx, record.actor);
    const teamIds = [record.teamId ?? null, ...(record.alsoTeamIds ?? [])];
    const events = await tx
      .insert(auditEvents)
      .values(
        teamIds.map((teamId) => ({
          kind,
          status: 'SUCCEEDED' as const,
          ...actor,
          targetType: record.target.type,
          targetId: record.target.id,
          teamId,
          data: record.data ?? {},
          startedAt,
          finishedAt: new Date(),
        })),
      )
      .returning({ id: auditEvents.id, teamId: auditEvents.teamId });
    // Delivered on commit only, to every replica listening (team event subscriptions).
    for (const event of events)
      if (event.teamId)
        await tx.execute(sql`select pg_notify(${EVENT_CHANNEL}, ${JSON.stringify({ teamId: event.teamId, eventId: event.id })})`);
    return record.result;
  });
  ctx.app.mail.flush();
  return result;
}

onMutationRefused((ctx, refusal) =>
  auditFailure(ctx, 'authorization.denied', {
    target: refusal.target,
    teamId: refusal.teamId,
    error: refusal.message,
    data: { mutation: refusal.mutation, permission: refusal.permission },
  }),
);
