import { boolean, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { rowBase } from './common.js';
import { clusterStatus } from './enums.js';
import { teamOwned, teams } from './teams.js';

/** Catalog of the Kubernetes versions a cluster can run. */
export const clusterVersions = pgTable('cluster_versions', {
  ...rowBase(),
  version: text('version').notNull().unique('cluster_versions_version_key'),
  isDefault: boolean('is_default').notNull().default(false),
  deprecated: boolean('deprecated').notNull().default(false),
});

export const clusters = pgTable(
  'clusters',
  {
    ...rowBase(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    version: text('version').notNull(),
    cidr: text('cidr').notNull(),
    region: text('region').notNull(),
    status: clusterStatus('status').notNull().default('PROVISIONING'),
    apiUrl: text('api_url'),
    consoleUrl: text('console_url'),
  },
  (t) => [uniqueIndex('clusters_team_name_key').on(t.teamId, t.name), index('clusters_team_created_idx').on(t.teamId, t.createdAt, t.id)],
);

export const nodePools = pgTable(
  'node_pools',
  {
    ...rowBase(),
    ...teamOwned(),
    clusterId: uuid('cluster_id')
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    nodeType: text('node_type').notNull(),
    nodeCount: integer('node_count').notNull(),
    zone: text('zone').notNull(),
  },
  (t) => [uniqueIndex('node_pools_cluster_name_key').on(t.clusterId, t.name), index('node_pools_team_idx').on(t.teamId)],
);
