import { sql } from 'drizzle-orm';
import { type AnyPgColumn, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { at, rowBase } from './common.js';
import { platformRole, userStatus } from './enums.js';
import { teamOwned, teams } from './teams.js';

export const users = pgTable(
  'users',
  {
    ...rowBase(),
    /** Stored normalized (trimmed, lower case), so the plain unique index is case-insensitive. */
    email: text('email').notNull(),
    fullName: text('full_name').notNull().default(''),
    shortName: text('short_name').notNull().default(''),
    passwordHash: text('password_hash').notNull(),
    platformRole: platformRole('platform_role').notNull().default('USER'),
    status: userStatus('status').notNull().default('ACTIVE'),
    teamLimit: integer('team_limit').notNull().default(10),
    /** Set once the user proved they receive mail at `email`; cleared when the email changes. */
    emailVerifiedAt: at('email_verified_at'),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email), index('users_created_at_idx').on(t.createdAt, t.id)],
);

export const sessions = pgTable(
  'sessions',
  {
    ...rowBase(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    expiresAt: at('expires_at').notNull(),
    lastUsedAt: at('last_used_at'),
    endedAt: at('ended_at'),
    userAgent: text('user_agent'),
    ipAddress: text('ip_address'),
  },
  (t) => [uniqueIndex('sessions_token_hash_key').on(t.tokenHash), index('sessions_user_id_idx').on(t.userId, t.createdAt, t.id)],
);

export const serviceAccounts = pgTable(
  'service_accounts',
  {
    ...rowBase(),
    ...teamOwned(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    createdById: uuid('created_by_id').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [uniqueIndex('service_accounts_team_name_key').on(t.teamId, t.name), index('service_accounts_created_by_idx').on(t.createdById)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    ...rowBase(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    serviceAccountId: uuid('service_account_id').references(() => serviceAccounts.id, { onDelete: 'cascade' }),
    /** Set for service-account tokens: the team that owns the subject. */
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** First characters of the secret, shown in lists so people can tell tokens apart. */
    prefix: text('prefix').notNull(),
    secretHash: text('secret_hash').notNull(),
    /** Permission scopes narrowing the subject's grants; null means unrestricted. */
    scopes: text('scopes').array(),
    expiresAt: at('expires_at'),
    lastUsedAt: at('last_used_at'),
    revokedAt: at('revoked_at'),
    /** Who minted it: for service-account tokens, the member whose removal from the team revokes it. */
    createdById: uuid('created_by_id').references((): AnyPgColumn => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('api_tokens_secret_hash_key').on(t.secretHash),
    index('api_tokens_user_id_idx').on(t.userId, t.createdAt, t.id),
    index('api_tokens_service_account_id_idx').on(t.serviceAccountId),
    index('api_tokens_team_id_idx').on(t.teamId),
    index('api_tokens_created_by_idx').on(t.createdById),
    check('api_tokens_one_subject', sql`(${t.userId} is null) <> (${t.serviceAccountId} is null)`),
  ],
);

export const passwordResets = pgTable(
  'password_resets',
  {
    ...rowBase(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The address the token was mailed to: it proves only that one, so it is void once the account's email changes. */
    email: text('email').notNull().default(''),
    tokenHash: text('token_hash').notNull(),
    expiresAt: at('expires_at').notNull(),
    usedAt: at('used_at'),
  },
  (t) => [uniqueIndex('password_resets_token_hash_key').on(t.tokenHash), index('password_resets_user_id_idx').on(t.userId)],
);

/** Single-use tokens mailed to prove that a user receives mail at an address. */
export const emailVerifications = pgTable(
  'email_verifications',
  {
    ...rowBase(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: at('expires_at').notNull(),
    usedAt: at('used_at'),
  },
  (t) => [uniqueIndex('email_verifications_token_hash_key').on(t.tokenHash), index('email_verifications_user_id_idx').on(t.userId)],
);

/** Messages for people (invitations, password resets); a mailer delivers and marks them sent. */
export const outbox = pgTable(
  'outbox',
  {
    ...rowBase(),
    kind: text('kind').notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    payload: jsonb('payload').notNull().default({}),
    sentAt: at('sent_at'),
  },
  (t) => [
    index('outbox_unsent_idx')
      .on(t.createdAt)
      .where(sql`${t.sentAt} is null`),
    index('outbox_recipient_idx').on(t.recipient),
  ],
);
