import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { clusters, nodePools } from '../../db/schema/index.js';
import { toGlobalId } from '../../graphql/relay.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { OperationFailure } from '../operations/provisioner.js';
import type { OperationHandler, OperationStep } from '../operations/queue.js';
import { OperationType, type OperationRow } from '../operations/types.js';
import { clusterStatusDuring } from './service.js';
import { ClusterStatus } from './types.js';

type ClusterOperationType =
  'CLUSTER_CREATE' | 'CLUSTER_UPDATE' | 'CLUSTER_DELETE' | 'NODE_POOL_CREATE' | 'NODE_POOL_SCALE' | 'NODE_POOL_DELETE';

const input = (operation: OperationRow) => operation.input as { nodePoolId?: string; nodeCount?: number; version?: string };

async function setStatus(tx: Tx, clusterId: string, status: ClusterStatus, changes: Partial<typeof clusters.$inferInsert> = {}) {
  const [cluster] = await tx
    .update(clusters)
    .set({ ...changes, status, updatedAt: new Date() })
    .where(eq(clusters.id, clusterId))
    .returning();
  // The cluster went away under the operation (it cannot while the operation runs, but a step must not crash on it).
  if (!cluster) throw new OperationFailure('The cluster no longer exists.');
  return cluster;
}

/** A step the cloud does that changes nothing in our records until the last one. */
const cloudStep = (name: string): OperationStep => ({ name });

/** Builds a cluster operation: the cluster turns ERROR when it fails and back to its in-progress status on retry. */
function clusterOperation(steps: OperationStep[], extraRetryCheck?: (tx: Tx, operation: OperationRow) => Promise<void>): OperationHandler {
  return {
    steps,
    async onFailure(tx, operation) {
      await tx.update(clusters).set({ status: ClusterStatus.ERROR, updatedAt: new Date() }).where(eq(clusters.id, operation.resourceId));
    },
    async onRetry(tx, operation) {
      const [cluster] = await tx.select().from(clusters).where(eq(clusters.id, operation.resourceId)).for('update');
      if (!cluster)
        throw userError(['input', 'operationId'], UserErrorCode.INVALID_STATE, 'The cluster of this operation no longer exists.');
      if (cluster.status !== ClusterStatus.ERROR)
        throw userError(
          ['input', 'operationId'],
          UserErrorCode.INVALID_STATE,
          `Cluster ${cluster.name} is ${cluster.status}; only an operation that left its cluster in ERROR can be retried.`,
        );
      await extraRetryCheck?.(tx, operation);
      await tx
        .update(clusters)
        .set({ status: clusterStatusDuring(operation.type as OperationType), updatedAt: new Date() })
        .where(eq(clusters.id, cluster.id));
    },
  };
}

async function nodePoolStillThere(tx: Tx, operation: OperationRow) {
  const [pool] = await tx
    .select({ id: nodePools.id })
    .from(nodePools)
    .where(eq(nodePools.id, input(operation).nodePoolId!));
  if (!pool) throw userError(['input', 'operationId'], UserErrorCode.INVALID_STATE, 'The node pool of this operation no longer exists.');
}

export const clusterOperationHandlers: Record<ClusterOperationType, OperationHandler> = {
  CLUSTER_CREATE: clusterOperation([
    cloudStep('network'),
    {
      name: 'control-plane',
      apply: async (tx, operation, outcome) => {
        const endpoints = outcome as { apiUrl?: string; consoleUrl?: string } | undefined;
        await tx
          .update(clusters)
          .set({ apiUrl: endpoints?.apiUrl ?? null, consoleUrl: endpoints?.consoleUrl ?? null, updatedAt: new Date() })
          .where(eq(clusters.id, operation.resourceId));
      },
    },
    cloudStep('node-pools'),
    {
      name: 'health-check',
      apply: async (tx, operation) => {
        const cluster = await setStatus(tx, operation.resourceId, ClusterStatus.READY);
        return { apiUrl: cluster.apiUrl, consoleUrl: cluster.consoleUrl };
      },
    },
  ]),
  CLUSTER_UPDATE: clusterOperation([
    cloudStep('control-plane'),
    {
      name: 'node-pools',
      apply: async (tx, operation) => {
        const cluster = await setStatus(tx, operation.resourceId, ClusterStatus.READY, { version: input(operation).version });
        return { version: cluster.version };
      },
    },
  ]),
  CLUSTER_DELETE: clusterOperation([
    cloudStep('node-pools'),
    cloudStep('control-plane'),
    {
      name: 'network',
      apply: async (tx, operation) => {
        // Node pools go with it (cascade); the operation and the audit trail stay.
        await tx.delete(clusters).where(eq(clusters.id, operation.resourceId));
        return { deleted: true };
      },
    },
  ]),
  NODE_POOL_CREATE: clusterOperation(
    [
      cloudStep('nodes'),
      {
        name: 'join',
        apply: async (tx, operation) => {
          await setStatus(tx, operation.resourceId, ClusterStatus.READY);
          return { nodePoolId: toGlobalId('NodePool', input(operation).nodePoolId!), nodeCount: input(operation).nodeCount };
        },
      },
    ],
    nodePoolStillThere,
  ),
  NODE_POOL_SCALE: clusterOperation(
    [
      {
        name: 'nodes',
        apply: async (tx, operation) => {
          const { nodePoolId, nodeCount } = input(operation);
          const [pool] = await tx
            .update(nodePools)
            .set({ nodeCount, updatedAt: new Date() })
            .where(eq(nodePools.id, nodePoolId!))
            .returning();
          if (!pool) throw new OperationFailure('The node pool no longer exists.');
          await setStatus(tx, operation.resourceId, ClusterStatus.READY);
          return { nodePoolId: toGlobalId('NodePool', nodePoolId!), nodeCount };
        },
      },
    ],
    nodePoolStillThere,
  ),
  NODE_POOL_DELETE: clusterOperation([
    cloudStep('drain'),
    {
      name: 'nodes',
      apply: async (tx, operation) => {
        await tx.delete(nodePools).where(eq(nodePools.id, input(operation).nodePoolId!));
        await setStatus(tx, operation.resourceId, ClusterStatus.READY);
        return { nodePoolId: toGlobalId('NodePool', input(operation).nodePoolId!), deleted: true };
      },
    },
  ]),
};
