import { bigint, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { at, rowBase } from './common.js';
import { actorType, eventStatus } from './enums.js';
import { teams } from './teams.js';

/**
 * Audit trail (tsuru events): one row per mutation, written in the mutation's own transaction.
 * Actor and target are kept as plain values so events outlive what they describe.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    ...rowBase(),
    /** Order of recording: events made in the same millisecond still list in the order they happened. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    kind: text('kind').notNull(),
    status: eventStatus('status').notNull(),
    actorType: actorType('actor_type').notNull(),
    actorId: uuid('actor_id'),
    actorEmail: text('actor_email'),
    targetType: text('target_type').notNull(),
    targetId: uuid('target_id'),
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'set null' }),
    error: text('error'),
    data: jsonb('data').notNull().default({}),
    startedAt: at('started_at').notNull(),
    finishedAt: at('finished_at').notNull(),
  },
  (t) => [
    index('audit_events_team_seq_idx').on(t.teamId, t.seq),
    index('audit_events_actor_seq_idx').on(t.actorId, t.seq),
    index('audit_events_target_seq_idx').on(t.targetId, t.seq),
    index('audit_events_target_idx').on(t.targetType, t.targetId),
    index('audit_events_kind_idx').on(t.kind, t.createdAt),
  ],
);
