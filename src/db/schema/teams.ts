import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { at, rowBase } from './common.js';
import { invitationStatus, notificationState, teamRole } from './enums.js';
import { users } from './users.js';

/** The tenant key of a row a team owns: removed with the team. */
export const teamOwned = () => ({
  teamId: uuid('team_id')
    .notNull()
    .references(() => teams.id, { onDelete: 'cascade' }),
});

export const teams = pgTable(
  'teams',
  {
    ...rowBase(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    maxApps: integer('max_apps').notNull().default(20),
    maxClusters: integer('max_clusters').notNull().default(5),
    maxBuckets: integer('max_buckets').notNull().default(100),
    maxMembers: integer('max_members').notNull().default(50),
    storageBytes: bigint('storage_bytes', { mode: 'bigint' })
      .notNull()
      .default(sql`1099511627776`),
    bandwidthBytes: bigint('bandwidth_bytes', { mode: 'bigint' })
      .notNull()
      .default(sql`1099511627776`),
    rateLimit: integer('rate_limit').notNull().default(100),
  },
  (t) => [
    uniqueIndex('teams_slug_key').on(t.slug),
    index('teams_name_idx').on(t.name, t.id),
    index('teams_created_at_idx').on(t.createdAt, t.id),
  ],
);

export const memberships = pgTable(
  'memberships',
  {
    ...rowBase(),
    ...teamOwned(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: teamRole('role').notNull(),
    notification: notificationState('notification').notNull().default('EMAIL'),
    options: jsonb('options').notNull().default({}),
  },
  (t) => [
    uniqueIndex('memberships_team_user_key').on(t.teamId, t.userId),
    // Exactly one OWNER per team: at most one by this index, at least one by the services.
    uniqueIndex('memberships_one_owner_key')
      .on(t.teamId)
      .where(sql`${t.role} = 'OWNER'`),
    index('memberships_team_created_idx').on(t.teamId, t.createdAt, t.id),
    index('memberships_user_idx').on(t.userId, t.createdAt, t.id),
  ],
);

export const invitations = pgTable(
  'invitations',
  {
    ...rowBase(),
    ...teamOwned(),
    email: text('email').notNull(),
    role: teamRole('role').notNull(),
    inviterId: uuid('inviter_id').references(() => users.id, { onDelete: 'set null' }),
    tokenHash: text('token_hash').notNull(),
    /** EXPIRED is not stored: a PENDING invitation past expires_at reads as EXPIRED. */
    status: invitationStatus('status').notNull().default('PENDING'),
    expiresAt: at('expires_at').notNull(),
    acceptedById: uuid('accepted_by_id').references(() => users.id, { onDelete: 'set null' }),
    respondedAt: at('responded_at'),
  },
  (t) => [
    uniqueIndex('invitations_token_hash_key').on(t.tokenHash),
    uniqueIndex('invitations_one_pending_key')
      .on(t.teamId, t.email)
      .where(sql`${t.status} = 'PENDING'`),
    index('invitations_team_created_idx').on(t.teamId, t.createdAt, t.id),
    index('invitations_email_idx').on(t.email, t.createdAt, t.id),
    index('invitations_inviter_idx').on(t.inviterId),
    index('invitations_accepted_by_idx').on(t.acceptedById),
  ],
);
