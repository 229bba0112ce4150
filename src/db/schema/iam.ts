import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { rowBase } from './common.js';
import { bindingScope, resourceType, roleScope } from './enums.js';
import { teamOwned, teams } from './teams.js';
import { serviceAccounts, users } from './users.js';

/** Custom roles; the built-in ones (platform ADMIN, team OWNER/ADMIN/MEMBER/VIEWER) live in code. */
export const roles = pgTable(
  'roles',
  {
    ...rowBase(),
    scope: roleScope('scope').notNull(),
    /** The team that owns a TEAM-scope role; null for PLATFORM-scope roles. */
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    permissions: text('permissions')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
  },
  (t) => [
    uniqueIndex('roles_team_name_key')
      .on(t.teamId, t.name)
      .where(sql`${t.teamId} is not null`),
    uniqueIndex('roles_platform_name_key')
      .on(t.name)
      .where(sql`${t.teamId} is null`),
    check('roles_scope_team', sql`(${t.scope} = 'TEAM') = (${t.teamId} is not null)`),
  ],
);

/**
 * A subject's grant at a scope: one custom role or one single permission. Team membership roles
 * are not stored here; they come from memberships.
 */
export const roleBindings = pgTable(
  'role_bindings',
  {
    ...rowBase(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    serviceAccountId: uuid('service_account_id').references(() => serviceAccounts.id, { onDelete: 'cascade' }),
    scope: bindingScope('scope').notNull(),
    /** The team for TEAM scope, or the team owning the resource for resource scopes. */
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    /** The bucket, app or cluster for resource scopes. */
    resourceId: uuid('resource_id'),
    roleId: uuid('role_id').references(() => roles.id, { onDelete: 'cascade' }),
    permission: text('permission'),
    createdById: uuid('created_by_id').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    index('role_bindings_user_idx').on(t.userId),
    index('role_bindings_service_account_idx').on(t.serviceAccountId),
    index('role_bindings_team_idx').on(t.teamId),
    index('role_bindings_resource_idx').on(t.scope, t.resourceId),
    index('role_bindings_role_idx').on(t.roleId),
    index('role_bindings_created_by_idx').on(t.createdById),
    check('role_bindings_one_subject', sql`(${t.userId} is null) <> (${t.serviceAccountId} is null)`),
    check('role_bindings_role_or_permission', sql`(${t.roleId} is null) <> (${t.permission} is null)`),
  ],
);

/** A fine-grained grant: subject × permission × one resource (Numspot ACLs). */
export const aclEntries = pgTable(
  'acl_entries',
  {
    ...rowBase(),
    ...teamOwned(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    serviceAccountId: uuid('service_account_id').references(() => serviceAccounts.id, { onDelete: 'cascade' }),
    permission: text('permission').notNull(),
    resourceType: resourceType('resource_type').notNull(),
    resourceId: uuid('resource_id').notNull(),
    createdById: uuid('created_by_id').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('acl_entries_grant_key').on(t.resourceType, t.resourceId, t.permission, sql`coalesce(${t.userId}, ${t.serviceAccountId})`),
    index('acl_entries_user_idx').on(t.userId),
    index('acl_entries_service_account_idx').on(t.serviceAccountId),
    index('acl_entries_team_idx').on(t.teamId),
    index('acl_entries_created_by_idx').on(t.createdById),
    check('acl_entries_one_subject', sql`(${t.userId} is null) <> (${t.serviceAccountId} is null)`),
  ],
);
