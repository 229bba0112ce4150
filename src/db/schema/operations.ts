import { bigint, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { at, rowBase } from './common.js';
import { operationStatus, operationType, resourceType } from './enums.js';
import { teamOwned } from './teams.js';
import { users } from './users.js';

/**
 * Long-running actions, and the durable queue that runs them: workers claim PENDING rows with
 * FOR UPDATE SKIP LOCKED and hold a lease they renew by heartbeat, so another replica resumes
 * the work of one that crashed.
 */
export const operations = pgTable(
  'operations',
  {
    ...rowBase(),
    ...teamOwned(),
    /** Queue order: assigned at insert, so operations queued under a lock run in that lock's order. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    type: operationType('type').notNull(),
    targetType: text('target_type').notNull(),
    targetId: uuid('target_id').notNull(),
    /**
     * The resource the operation works on (the cluster of a node-pool change, the app of a
     * deploy): who may read it may read the operation, and one resource's operations run one
     * at a time, in queue order.
     */
    resourceType: resourceType('resource_type').notNull(),
    resourceId: uuid('resource_id').notNull(),
    status: operationStatus('status').notNull().default('PENDING'),
    /** Steps completed; a resumed operation continues from here. */
    step: integer('step').notNull().default(0),
    progress: integer('progress').notNull().default(0),
    input: jsonb('input').notNull().default({}),
    result: jsonb('result'),
    error: text('error'),
    createdById: uuid('created_by_id').references(() => users.id, { onDelete: 'set null' }),
    startedAt: at('started_at'),
    finishedAt: at('finished_at'),
    attempts: integer('attempts').notNull().default(0),
    /** Unexpected errors in a row since the operation was queued or last retried; the worker gives up at its limit. */
    failures: integer('failures').notNull().default(0),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: at('lease_expires_at'),
  },
  (t) => [
    index('operations_queue_idx').on(t.status, t.seq),
    index('operations_resource_idx').on(t.resourceType, t.resourceId, t.seq),
    index('operations_team_created_idx').on(t.teamId, t.createdAt, t.id),
    index('operations_target_idx').on(t.targetType, t.targetId, t.createdAt),
    index('operations_created_by_idx').on(t.createdById),
  ],
);
