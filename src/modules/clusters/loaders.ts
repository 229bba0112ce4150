import DataLoader from 'dataloader';
import { and, asc, eq, getTableColumns, inArray } from 'drizzle-orm';
import { clusters, nodePools } from '../../db/schema/index.js';
import { OrderDirection, defineConnection } from '../../graphql/connection.js';
import type { Context } from '../../graphql/context.js';
import { byKeys, groupByKeys } from '../../graphql/loaders.js';
import { idOf } from '../../graphql/relay.js';
import type { ClusterConnectionArgs, ClusterRow, NodePoolRow } from './types.js';

/** SQL condition: the viewer can read the cluster (through its team, a binding or an ACL). */
export const clustersReadable = (ctx: Context) => ctx.policy.resourcesGranting('CLUSTER', clusters.id, clusters.teamId, 'cluster:read');

export const clusterById = (ctx: Context) =>
  new DataLoader<string, ClusterRow | null>(async (ids) => {
    const rows = await ctx.db
      .select()
      .from(clusters)
      .where(and(inArray(clusters.id, ids as string[]), clustersReadable(ctx)));
    return byKeys(ids, rows, (r) => r.id);
  });

/** A node pool, when its cluster is readable. */
export const nodePoolById = (ctx: Context) =>
  new DataLoader<string, NodePoolRow | null>(async (ids) => {
    const rows = await ctx.db
      .select(getTableColumns(nodePools))
      .from(nodePools)
      .innerJoin(clusters, eq(clusters.id, nodePools.clusterId))
      .where(and(inArray(nodePools.id, ids as string[]), clustersReadable(ctx)));
    return byKeys(ids, rows, (r) => r.id);
  });

/** The node pools of clusters the viewer already reached, by name. */
export const nodePoolsByCluster = (ctx: Context) =>
  new DataLoader<string, NodePoolRow[]>(async (clusterIds) => {
    const rows = await ctx.db
      .select()
      .from(nodePools)
      .where(inArray(nodePools.clusterId, clusterIds as string[]))
      .orderBy(asc(nodePools.name));
    return groupByKeys(clusterIds, rows, (r) => r.clusterId);
  });

function clusterFilter(args: ClusterConnectionArgs) {
  const f = args.filter;
  if (!f) return undefined;
  return and(
    f.teamId ? eq(clusters.teamId, idOf('Team', f.teamId, 'filter.teamId')) : undefined,
    f.status ? eq(clusters.status, f.status) : undefined,
    f.region ? eq(clusters.region, f.region) : undefined,
    f.version ? eq(clusters.version, f.version) : undefined,
  );
}

const clusterList = {
  fields: getTableColumns(clusters),
  from: (s: any) => s.from(clusters),
  orderColumns: { NAME: clusters.name, CREATED_AT: clusters.createdAt },
  defaultOrder: { field: 'NAME', direction: OrderDirection.ASC },
  where: (ctx: Context, args: ClusterConnectionArgs) => and(clustersReadable(ctx), clusterFilter(args)),
};

/** `clusters`: every cluster the viewer can read. */
export const allClusters = defineConnection({ ...clusterList, name: 'clusters' });

/** `Team.clusters`. */
export const clustersOfTeam = defineConnection({ ...clusterList, name: 'Team.clusters', parent: clusters.teamId });
