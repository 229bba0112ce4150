import { sql } from 'drizzle-orm';
import { bigint, boolean, date, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { rowBase } from './common.js';
import { bucketVisibility } from './enums.js';
import { teamOwned } from './teams.js';

export const buckets = pgTable(
  'buckets',
  {
    ...rowBase(),
    ...teamOwned(),
    name: text('name').notNull(),
    region: text('region').notNull(),
    versioning: boolean('versioning').notNull().default(false),
    visibility: bucketVisibility('visibility').notNull().default('PRIVATE'),
    storedBytes: bigint('stored_bytes', { mode: 'bigint' })
      .notNull()
      .default(sql`0`),
    objectCount: bigint('object_count', { mode: 'bigint' })
      .notNull()
      .default(sql`0`),
  },
  (t) => [uniqueIndex('buckets_team_name_key').on(t.teamId, t.name), index('buckets_team_created_idx').on(t.teamId, t.createdAt, t.id)],
);

/** One row per bucket and day: dashboards chart it, and a team with usage this month cannot be deleted. */
export const bucketUsage = pgTable(
  'bucket_usage',
  {
    ...rowBase(),
    ...teamOwned(),
    bucketId: uuid('bucket_id').references(() => buckets.id, { onDelete: 'set null' }),
    day: date('day', { mode: 'string' }).notNull(),
    storedBytes: bigint('stored_bytes', { mode: 'bigint' })
      .notNull()
      .default(sql`0`),
    egressBytes: bigint('egress_bytes', { mode: 'bigint' })
      .notNull()
      .default(sql`0`),
    objectCount: bigint('object_count', { mode: 'bigint' })
      .notNull()
      .default(sql`0`),
  },
  (t) => [uniqueIndex('bucket_usage_bucket_day_key').on(t.bucketId, t.day), index('bucket_usage_team_day_idx').on(t.teamId, t.day)],
);
