import { and, count, eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor, Tx } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { apps, clusterVersions, clusters, nodePools } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { fields, parseInput } from '../../graphql/validation.js';
import { REGION_NAMES } from '../buckets/regions.js';
import { audited } from '../events/audit.js';
import { enqueueOperation } from '../operations/queue.js';
import { OperationType, type OperationRow } from '../operations/types.js';
import { lockTeam } from '../teams/team-service.js';
import { guarded } from '../../iam/guard.js';
import { NODE_TYPES, compareVersions } from './catalog.js';
import { formatCidr, overlaps, parseCidr, type Cidr } from './cidr.js';
import { clusterById, clustersReadable, nodePoolById } from './loaders.js';
import { ClusterStatus, type ClusterRow, type NodePoolRow } from './types.js';

export const MAX_NODE_POOLS = 10;
const NODE_TYPE_NAMES: readonly string[] = NODE_TYPES.map((t) => t.name);
const ZONE_LETTERS = ['a', 'b', 'c'];
/** Availability zones of a region. */
export const zonesOf = (region: string) => ZONE_LETTERS.map((letter) => `${region}${letter}`);

const clusterName = z
  .string()
  .trim()
  .regex(/^[a-zA-Z0-9-]{3,64}$/, { error: 'must be 3–64 letters, digits or hyphens' });
const poolName = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, {
    error: 'must start with a lowercase letter and have at most 40 lowercase letters, digits or hyphens',
  });
const nodeCount = z
  .number()
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be from 1 to 100' })
  .max(100, { error: 'must be from 1 to 100' });
const nodeType = z
  .string()
  .refine((t) => NODE_TYPE_NAMES.includes(t), { error: `must be one of the node types: ${NODE_TYPE_NAMES.join(', ')}` });
const cidr = z.string().transform((text, ctx): Cidr => {
  const parsed = parseCidr(text.trim());
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});
const region = z.string().refine((r) => REGION_NAMES.includes(r), { error: `must be one of the regions: ${REGION_NAMES.join(', ')}` });

const nodePoolSchema = z.object({ name: poolName, nodeType, nodeCount, zone: z.string().trim().optional() });

const createSchema = z
  .object({
    name: clusterName,
    description: fields.personName(1000).default(''),
    // Empty is not "omitted": it is refused, as in upgradeCluster (and for app plans and pools).
    version: z.string().trim().min(1, { error: 'must not be empty' }).optional(),
    cidr,
    region,
    nodePools: z
      .array(nodePoolSchema)
      .min(1, { error: 'must have at least one node pool' })
      .max(MAX_NODE_POOLS, { error: `must have at most ${MAX_NODE_POOLS} node pools` }),
  })
  .superRefine((input, issue) => {
    const seen = new Set<string>();
    input.nodePools.forEach((pool, index) => {
      if (seen.has(pool.name))
        issue.addIssue({ code: 'custom', path: ['nodePools', index, 'name'], message: `is used by another node pool of this cluster` });
      seen.add(pool.name);
      if (pool.zone !== undefined && !zonesOf(input.region).includes(pool.zone))
        issue.addIssue({
          code: 'custom',
          path: ['nodePools', index, 'zone'],
          message: `must be a zone of ${input.region}: ${zonesOf(input.region).join(', ')}`,
        });
    });
  });

const updateSchema = z.object({ name: clusterName.optional(), description: fields.personName(1000).optional() });

const STATUS_DURING: Partial<Record<OperationType, ClusterStatus>> = {
  CLUSTER_CREATE: ClusterStatus.PROVISIONING,
  CLUSTER_DELETE: ClusterStatus.DELETING,
};
/** The status a cluster shows while an operation of this type runs on it. */
export const clusterStatusDuring = (type: OperationType) => STATUS_DURING[type] ?? ClusterStatus.UPDATING;

/** The cluster a mutation's declaration was checked on (by the guard, before the service runs). */
const declaredCluster = (ctx: Context, clusterId: string): Promise<ClusterRow> =>
  guarded(ctx.loaders.get(clusterById).load(clusterId), 'Cluster');

/** Re-reads the cluster under a row lock: long-running changes to one cluster are serialized. */
export async function lockCluster(tx: Executor, clusterId: string): Promise<ClusterRow> {
  const [cluster] = await tx.select().from(clusters).where(eq(clusters.id, clusterId)).for('update');
  if (!cluster) throw notFound('Cluster');
  return cluster;
}

/** Long-running changes need a READY cluster: one change at a time, and none on a broken one. */
function requireReady(cluster: ClusterRow, field: string[]): void {
  if (cluster.status === ClusterStatus.READY) return;
  const why =
    cluster.status === ClusterStatus.ERROR
      ? 'its last operation failed; retry it with retryOperation, or delete the cluster'
      : 'wait for its current operation to finish (see Cluster.operations)';
  throw userError(field, UserErrorCode.INVALID_STATE, `Cluster ${cluster.name} is ${cluster.status}; ${why}.`);
}

async function availableVersion(tx: Executor, version: string | undefined): Promise<string> {
  const rows = await tx
    .select()
    .from(clusterVersions)
    .where(version ? eq(clusterVersions.version, version) : eq(clusterVersions.isDefault, true));
  const found = rows[0];
  if (!found || found.deprecated)
    throw userError(
      'version',
      UserErrorCode.INVALID,
      version
        ? `version ${version} is ${found ? 'deprecated: clusters cannot be created on it or upgraded to it' : 'not a known Kubernetes version'}; see clusterVersions for the available ones.`
        : 'version is required: no default version is configured; see clusterVersions.',
    );
  return found.version;
}

type Started<T> = T & { operation: OperationRow };

function startOperation(tx: Tx, ctx: Context, type: OperationType, cluster: ClusterRow, target: { type: string; id: string }, input = {}) {
  return enqueueOperation(tx, {
    type,
    teamId: cluster.teamId,
    resource: { type: 'CLUSTER', id: cluster.id },
    target,
    input: { region: cluster.region, ...input },
    createdById: ctx.viewer!.user?.id ?? null,
  });
}

/** Puts the cluster in the status of a long-running change and queues the operation that makes the change. */
async function beginChange(
  tx: Tx,
  ctx: Context,
  cluster: ClusterRow,
  type: OperationType,
  target: { type: string; id: string },
  input: Record<string, unknown> = {},
): Promise<{ cluster: ClusterRow; operation: OperationRow }> {
  const [updated] = await tx
    .update(clusters)
    .set({ status: clusterStatusDuring(type), updatedAt: new Date() })
    .where(eq(clusters.id, cluster.id))
    .returning();
  return { cluster: updated, operation: await startOperation(tx, ctx, type, cluster, target, input) };
}

export async function createCluster(ctx: Context, teamId: string, rawInput: unknown): Promise<Started<{ cluster: ClusterRow }>> {
  const input = parseInput(createSchema, rawInput);
  const taken = () => userError('name', UserErrorCode.TAKEN, `The team already has a cluster named ${input.name}.`);
  try {
    return await audited(ctx, 'cluster.create', async (tx) => {
      // The team lock makes the cluster limit and the no-overlap rule hold under concurrent creates.
      const team = await lockTeam(tx, teamId);
      const others = await tx.select({ name: clusters.name, cidr: clusters.cidr }).from(clusters).where(eq(clusters.teamId, teamId));
      if (others.length >= team.maxClusters)
        throw userError(
          ['input', 'teamId'],
          UserErrorCode.LIMIT_REACHED,
          `Team ${team.slug} already has ${others.length} clusters, its limit; delete one or ask an admin to raise it.`,
        );
      if (others.some((o) => o.name === input.name)) throw taken();
      const clash = others.find((o) => {
        const theirs = parseCidr(o.cidr);
        return typeof theirs !== 'string' && overlaps(theirs, input.cidr);
      });
      if (clash)
        throw userError(
          'cidr',
          UserErrorCode.INVALID,
          `cidr ${formatCidr(input.cidr)} overlaps ${clash.cidr} of cluster ${clash.name}; choose a range that does not.`,
        );
      const version = await availableVersion(tx, input.version);
      const [cluster] = await tx
        .insert(clusters)
        .values({
          teamId,
          name: input.name,
          description: input.description,
          version,
          cidr: formatCidr(input.cidr),
          region: input.region,
          status: ClusterStatus.PROVISIONING,
        })
        .returning();
      await tx.insert(nodePools).values(
        input.nodePools.map((pool) => ({
          teamId,
          clusterId: cluster.id,
          name: pool.name,
          nodeType: pool.nodeType,
          nodeCount: pool.nodeCount,
          zone: pool.zone ?? zonesOf(input.region)[0],
        })),
      );
      const operation = await startOperation(tx, ctx, OperationType.CLUSTER_CREATE, cluster, { type: 'Cluster', id: cluster.id });
      return {
        result: { cluster, operation },
        target: { type: 'Cluster', id: cluster.id },
        teamId,
        data: { name: cluster.name, version, region: cluster.region, cidr: cluster.cidr, nodePools: input.nodePools.length },
      };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'clusters_team_name_key')) throw taken();
    throw error;
  }
}

export async function updateCluster(ctx: Context, clusterId: string, rawInput: unknown): Promise<{ cluster: ClusterRow }> {
  const input = parseInput(updateSchema, rawInput);
  const found = await declaredCluster(ctx, clusterId);
  const taken = () => userError('name', UserErrorCode.TAKEN, `The team already has a cluster named ${input.name}.`);
  try {
    return await audited(ctx, 'cluster.update', async (tx) => {
      const cluster = await lockCluster(tx, clusterId);
      if (cluster.status === ClusterStatus.DELETING)
        throw userError(['input', 'clusterId'], UserErrorCode.INVALID_STATE, `Cluster ${cluster.name} is being deleted.`);
      const [updated] = await tx
        .update(clusters)
        .set({ ...input, updatedAt: new Date() })
        .where(eq(clusters.id, clusterId))
        .returning();
      return { result: { cluster: updated }, target: { type: 'Cluster', id: clusterId }, teamId: found.teamId, data: { changed: input } };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'clusters_team_name_key')) throw taken();
    throw error;
  }
}

/** Moves a cluster to a newer Kubernetes version (never back). */
export async function upgradeCluster(ctx: Context, clusterId: string, rawVersion: unknown): Promise<Started<{ cluster: ClusterRow }>> {
  const { version } = parseInput(z.object({ version: z.string().trim().min(1, { error: 'must not be empty' }) }), { version: rawVersion });
  const found = await declaredCluster(ctx, clusterId);
  return audited(ctx, 'cluster.upgrade', async (tx) => {
    const cluster = await lockCluster(tx, clusterId);
    requireReady(cluster, ['input', 'clusterId']);
    if (compareVersions(version, cluster.version) <= 0)
      throw userError(
        'version',
        UserErrorCode.INVALID,
        `version ${version} is not newer than the cluster’s ${cluster.version}; clusters are only upgraded forward.`,
      );
    await availableVersion(tx, version);
    const started = await beginChange(
      tx,
      ctx,
      cluster,
      OperationType.CLUSTER_UPDATE,
      { type: 'Cluster', id: clusterId },
      { fromVersion: cluster.version, version },
    );
    return {
      result: started,
      target: { type: 'Cluster', id: clusterId },
      teamId: found.teamId,
      data: { from: cluster.version, to: version },
    };
  });
}

/** Starts tearing a cluster down; refused while apps are placed on it. */
export async function deleteCluster(ctx: Context, clusterId: string): Promise<Started<{ cluster: ClusterRow }>> {
  const found = await declaredCluster(ctx, clusterId);
  return audited(ctx, 'cluster.delete', async (tx) => {
    // Placing an app takes a share lock on the cluster, so no app lands on it after this count.
    const cluster = await lockCluster(tx, clusterId);
    if (cluster.status !== ClusterStatus.READY && cluster.status !== ClusterStatus.ERROR)
      throw userError(
        ['input', 'clusterId'],
        UserErrorCode.INVALID_STATE,
        `Cluster ${cluster.name} is ${cluster.status}; wait for its current operation to finish (see Cluster.operations).`,
      );
    const [{ placed }] = await tx.select({ placed: count() }).from(apps).where(eq(apps.clusterId, clusterId));
    if (placed > 0)
      throw userError(
        ['input', 'clusterId'],
        UserErrorCode.IN_USE,
        `Cluster ${cluster.name} still runs ${placed} app${placed === 1 ? '' : 's'}; move them off it (updateApp with clusterId: null) first.`,
      );
    const started = await beginChange(tx, ctx, cluster, OperationType.CLUSTER_DELETE, { type: 'Cluster', id: clusterId });
    return {
      result: started,
      target: { type: 'Cluster', id: clusterId },
      teamId: found.teamId,
      data: { name: cluster.name },
    };
  });
}

const createPoolSchema = nodePoolSchema;

export async function createNodePool(
  ctx: Context,
  clusterId: string,
  rawInput: unknown,
): Promise<Started<{ cluster: ClusterRow; nodePool: NodePoolRow }>> {
  const input = parseInput(createPoolSchema, rawInput);
  const found = await declaredCluster(ctx, clusterId);
  const taken = () => userError('name', UserErrorCode.TAKEN, `The cluster already has a node pool named ${input.name}.`);
  try {
    return await audited(ctx, 'cluster.nodePool.create', async (tx) => {
      const cluster = await lockCluster(tx, clusterId);
      requireReady(cluster, ['input', 'clusterId']);
      if (input.zone !== undefined && !zonesOf(cluster.region).includes(input.zone))
        throw userError('zone', UserErrorCode.INVALID, `zone must be a zone of ${cluster.region}: ${zonesOf(cluster.region).join(', ')}.`);
      const [{ pools }] = await tx.select({ pools: count() }).from(nodePools).where(eq(nodePools.clusterId, clusterId));
      if (pools >= MAX_NODE_POOLS)
        throw userError(
          ['input', 'clusterId'],
          UserErrorCode.LIMIT_REACHED,
          `Cluster ${cluster.name} already has ${pools} node pools, the most a cluster may have.`,
        );
      const [nodePool] = await tx
        .insert(nodePools)
        .values({ ...input, teamId: cluster.teamId, clusterId, zone: input.zone ?? zonesOf(cluster.region)[0] })
        .onConflictDoNothing()
        .returning();
      if (!nodePool) throw taken();
      const started = await beginChange(
        tx,
        ctx,
        cluster,
        OperationType.NODE_POOL_CREATE,
        { type: 'NodePool', id: nodePool.id },
        {
          nodePoolId: nodePool.id,
          nodeCount: nodePool.nodeCount,
        },
      );
      return {
        result: { ...started, nodePool },
        target: { type: 'Cluster', id: clusterId },
        teamId: found.teamId,
        data: { nodePool: nodePool.name, nodeType: nodePool.nodeType, nodeCount: nodePool.nodeCount },
      };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'node_pools_cluster_name_key')) throw taken();
    throw error;
  }
}

/** The node pool (re-read) and its cluster (locked, READY) for a long-running change. */
async function poolForChange(tx: Tx, found: NodePoolRow): Promise<{ cluster: ClusterRow; pool: NodePoolRow }> {
  const cluster = await lockCluster(tx, found.clusterId);
  requireReady(cluster, ['input', 'nodePoolId']);
  const [pool] = await tx.select().from(nodePools).where(eq(nodePools.id, found.id));
  if (!pool) throw notFound('NodePool');
  return { cluster, pool };
}

/** The node pool a mutation's declaration was checked on. */
const declaredPool = (ctx: Context, nodePoolId: string): Promise<NodePoolRow> =>
  guarded(ctx.loaders.get(nodePoolById).load(nodePoolId), 'NodePool');

export async function scaleNodePool(
  ctx: Context,
  nodePoolId: string,
  rawCount: unknown,
): Promise<Started<{ cluster: ClusterRow; nodePool: NodePoolRow }>> {
  const { nodeCount: target } = parseInput(z.object({ nodeCount }), { nodeCount: rawCount });
  const found = await declaredPool(ctx, nodePoolId);
  return audited(ctx, 'cluster.nodePool.scale', async (tx) => {
    const { cluster, pool } = await poolForChange(tx, found);
    if (pool.nodeCount === target)
      throw userError('nodeCount', UserErrorCode.INVALID, `Node pool ${pool.name} already has ${target} node${target === 1 ? '' : 's'}.`);
    const started = await beginChange(
      tx,
      ctx,
      cluster,
      OperationType.NODE_POOL_SCALE,
      { type: 'NodePool', id: pool.id },
      { nodePoolId: pool.id, fromCount: pool.nodeCount, nodeCount: target },
    );
    return {
      result: { ...started, nodePool: pool },
      target: { type: 'Cluster', id: cluster.id },
      teamId: cluster.teamId,
      data: { nodePool: pool.name, from: pool.nodeCount, to: target },
    };
  });
}

/** Starts removing a node pool; a cluster keeps at least one. */
export async function deleteNodePool(ctx: Context, nodePoolId: string): Promise<Started<{ cluster: ClusterRow; nodePool: NodePoolRow }>> {
  const found = await declaredPool(ctx, nodePoolId);
  return audited(ctx, 'cluster.nodePool.delete', async (tx) => {
    const { cluster, pool } = await poolForChange(tx, found);
    const [{ others }] = await tx
      .select({ others: count() })
      .from(nodePools)
      .where(and(eq(nodePools.clusterId, cluster.id), ne(nodePools.id, pool.id)));
    if (others === 0)
      throw userError(
        ['input', 'nodePoolId'],
        UserErrorCode.NOT_ALLOWED,
        `Node pool ${pool.name} is the last one of cluster ${cluster.name}; a cluster needs at least one (delete the cluster instead).`,
      );
    const started = await beginChange(
      tx,
      ctx,
      cluster,
      OperationType.NODE_POOL_DELETE,
      { type: 'NodePool', id: pool.id },
      { nodePoolId: pool.id },
    );
    return {
      result: { ...started, nodePool: pool },
      target: { type: 'Cluster', id: cluster.id },
      teamId: cluster.teamId,
      data: { nodePool: pool.name },
    };
  });
}

/**
 * For app placement (createApp/updateApp): the cluster, share-locked so that deleteCluster
 * cannot miss the app, when it belongs to the app's team and is not being deleted.
 */
export async function clusterForPlacement(ctx: Context, tx: Tx, clusterId: string, appTeamId: string): Promise<ClusterRow> {
  const notHere = () => userError('clusterId', UserErrorCode.INVALID, 'clusterId must be a cluster of the app’s team (see Team.clusters).');
  // Read (and check readability) in the caller's transaction: a read outside it, through the loader,
  // would wait for this transaction on a one-connection database (PGlite) and hang the server.
  const [cluster] = await tx
    .select()
    .from(clusters)
    .where(and(eq(clusters.id, clusterId), clustersReadable(ctx)))
    .for('share');
  if (!cluster || cluster.teamId !== appTeamId) throw notHere();
  if (cluster.status === ClusterStatus.DELETING || cluster.status === ClusterStatus.ERROR)
    throw userError(
      'clusterId',
      UserErrorCode.INVALID_STATE,
      `Cluster ${cluster.name} is ${cluster.status}; place the app on another cluster.`,
    );
  return cluster;
}
