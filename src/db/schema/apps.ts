import { boolean, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { at, rowBase } from './common.js';
import { appState, deployOrigin, deployStatus, unitStatus } from './enums.js';
import { teamOwned, teams } from './teams.js';
import { users } from './users.js';
import { clusters } from './clusters.js';
import { operations } from './operations.js';

/** Read-only catalogs, seeded by migrations' companion seed: platforms, plans, pools. */
export const platforms = pgTable('platforms', {
  ...rowBase(),
  name: text('name').notNull().unique('platforms_name_key'),
  description: text('description').notNull().default(''),
});

export const plans = pgTable('plans', {
  ...rowBase(),
  name: text('name').notNull().unique('plans_name_key'),
  description: text('description').notNull().default(''),
  memoryMb: integer('memory_mb').notNull(),
  cpuMillis: integer('cpu_millis').notNull(),
  isDefault: boolean('is_default').notNull().default(false),
});

export const pools = pgTable('pools', {
  ...rowBase(),
  name: text('name').notNull().unique('pools_name_key'),
  description: text('description').notNull().default(''),
  isDefault: boolean('is_default').notNull().default(false),
});

export const apps = pgTable(
  'apps',
  {
    ...rowBase(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    platform: text('platform').notNull(),
    plan: text('plan').notNull(),
    pool: text('pool').notNull(),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    state: appState('state').notNull().default('STOPPED'),
    clusterId: uuid('cluster_id').references(() => clusters.id, { onDelete: 'set null' }),
    locked: boolean('locked').notNull().default(false),
    unitLimit: integer('unit_limit'),
  },
  (t) => [
    uniqueIndex('apps_name_key').on(t.name),
    index('apps_team_name_idx').on(t.teamId, t.name, t.id),
    index('apps_team_created_idx').on(t.teamId, t.createdAt, t.id),
    index('apps_cluster_idx').on(t.clusterId),
  ],
);

/** Columns of a row that belongs to an app (and so to its team): removed with the app. */
const appOwned = () => ({
  ...teamOwned(),
  appId: uuid('app_id')
    .notNull()
    .references(() => apps.id, { onDelete: 'cascade' }),
});

export const appProcesses = pgTable(
  'app_processes',
  {
    ...rowBase(),
    ...appOwned(),
    name: text('name').notNull(),
    units: integer('units').notNull().default(0),
  },
  (t) => [uniqueIndex('app_processes_app_name_key').on(t.appId, t.name), index('app_processes_team_idx').on(t.teamId)],
);

export const appUnits = pgTable(
  'app_units',
  {
    ...rowBase(),
    ...appOwned(),
    processId: uuid('process_id')
      .notNull()
      .references(() => appProcesses.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    status: unitStatus('status').notNull().default('CREATED'),
  },
  (t) => [
    index('app_units_app_idx').on(t.appId, t.name, t.id),
    index('app_units_process_idx').on(t.processId),
    index('app_units_team_idx').on(t.teamId),
  ],
);

export const appEnvVars = pgTable(
  'app_env_vars',
  {
    ...rowBase(),
    ...appOwned(),
    name: text('name').notNull(),
    value: text('value').notNull(),
    secret: boolean('secret').notNull().default(false),
  },
  (t) => [uniqueIndex('app_env_vars_app_name_key').on(t.appId, t.name), index('app_env_vars_team_idx').on(t.teamId)],
);

export const appCnames = pgTable(
  'app_cnames',
  {
    ...rowBase(),
    ...appOwned(),
    hostname: text('hostname').notNull(),
  },
  (t) => [
    uniqueIndex('app_cnames_hostname_key').on(t.hostname),
    index('app_cnames_app_idx').on(t.appId, t.hostname),
    index('app_cnames_team_idx').on(t.teamId),
  ],
);

/** Teams granted access to an app besides its owner (tsuru grant/revoke). */
export const appGrants = pgTable(
  'app_grants',
  {
    ...rowBase(),
    ...appOwned(),
    granteeTeamId: uuid('grantee_team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    /**
     * What the grant can carry: the app permissions its granter held when sharing. The grantee
     * team's members get their membership role's permissions within this set.
     */
    permissions: text('permissions').array().notNull(),
    grantedById: uuid('granted_by_id').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('app_grants_app_grantee_key').on(t.appId, t.granteeTeamId),
    index('app_grants_grantee_idx').on(t.granteeTeamId),
    index('app_grants_team_idx').on(t.teamId),
    index('app_grants_granted_by_idx').on(t.grantedById),
  ],
);

export const deploys = pgTable(
  'deploys',
  {
    ...rowBase(),
    ...appOwned(),
    version: integer('version').notNull(),
    image: text('image'),
    commit: text('commit'),
    origin: deployOrigin('origin').notNull(),
    message: text('message').notNull().default(''),
    status: deployStatus('status').notNull().default('PENDING'),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    startedAt: at('started_at'),
    finishedAt: at('finished_at'),
    rollbackOfId: uuid('rollback_of_id'),
    operationId: uuid('operation_id').references(() => operations.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('deploys_app_version_key').on(t.appId, t.version),
    index('deploys_app_created_idx').on(t.appId, t.createdAt, t.id),
    index('deploys_team_idx').on(t.teamId),
    index('deploys_user_idx').on(t.userId),
    index('deploys_rollback_of_idx').on(t.rollbackOfId),
    index('deploys_operation_idx').on(t.operationId),
  ],
);
