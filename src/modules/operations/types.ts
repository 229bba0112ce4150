import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { operations } from '../../db/schema/index.js';
import { ConnectionArgs, connectionType } from '../../graphql/connection.js';
import { Node } from '../../graphql/relay.js';
import { DateTime, JSONScalar } from '../../graphql/scalars.js';

export type OperationRow = typeof operations.$inferSelect;

export enum OperationType {
  CLUSTER_CREATE = 'CLUSTER_CREATE',
  CLUSTER_UPDATE = 'CLUSTER_UPDATE',
  CLUSTER_DELETE = 'CLUSTER_DELETE',
  NODE_POOL_CREATE = 'NODE_POOL_CREATE',
  NODE_POOL_SCALE = 'NODE_POOL_SCALE',
  NODE_POOL_DELETE = 'NODE_POOL_DELETE',
  APP_DEPLOY = 'APP_DEPLOY',
  APP_ROLLBACK = 'APP_ROLLBACK',
}
registerEnumType(OperationType, {
  name: 'OperationType',
  description: 'What a long-running operation does.',
  valuesConfig: {
    CLUSTER_CREATE: { description: 'Provisioning a new cluster (createCluster).' },
    CLUSTER_UPDATE: { description: 'Upgrading a cluster’s Kubernetes version (upgradeCluster).' },
    CLUSTER_DELETE: { description: 'Tearing a cluster down (deleteCluster).' },
    NODE_POOL_CREATE: { description: 'Adding a node pool to a cluster (createNodePool).' },
    NODE_POOL_SCALE: { description: 'Changing a node pool’s node count (scaleNodePool).' },
    NODE_POOL_DELETE: { description: 'Removing a node pool (deleteNodePool).' },
    APP_DEPLOY: { description: 'Putting a new version of an app live (deployApp).' },
    APP_ROLLBACK: { description: 'Putting an earlier version of an app live again (rollbackApp).' },
  },
});

export enum OperationStatus {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  DONE = 'DONE',
  FAILED = 'FAILED',
}
registerEnumType(OperationStatus, {
  name: 'OperationStatus',
  description: 'Where an operation is in its life.',
  valuesConfig: {
    PENDING: { description: 'Queued; a worker will pick it up (after earlier operations on the same resource).' },
    RUNNING: { description: 'A worker is running its steps.' },
    DONE: { description: 'Finished successfully; see `result`.' },
    FAILED: { description: 'Stopped at a failed step; see `error`. retryOperation runs it again from that step.' },
  },
});

@ObjectType({
  implements: Node,
  description:
    'A long-running action (Numspot operation): cluster and node-pool changes, app deploys. Poll it, or follow it with the `operationProgress` subscription.',
})
export class Operation extends Node {
  @Field(() => OperationType, { description: 'What it does.' })
  type!: OperationType;
  @Field(() => OperationStatus, { description: 'Where it is.' })
  status!: OperationStatus;
  @Field(() => Int, { description: 'Percent of its steps done, 0 to 100.' })
  progress!: number;
  @Field(() => String, { nullable: true, description: 'Why it failed, when FAILED.' })
  error!: string | null;
  @Field(() => JSONScalar, { nullable: true, description: 'What it produced, when DONE (e.g. a cluster’s endpoints).' })
  result!: unknown;
  @Field(() => Int, { description: 'How many times a worker has started it (more than 1 after a retry or a worker crash).' })
  attempts!: number;
  @Field(() => DateTime, { description: 'When it was requested.' })
  createdAt!: Date;
  @Field(() => DateTime, { nullable: true, description: 'When a worker first started it.' })
  startedAt!: Date | null;
  @Field(() => DateTime, { nullable: true, description: 'When it finished (DONE or FAILED).' })
  finishedAt!: Date | null;
}

export const OperationConnection = connectionType(Operation, 'Operation', 'operations');

@InputType({ description: 'Narrows a list of operations.' })
export class OperationFilter {
  @Field(() => ID, { nullable: true, description: 'Only operations of this team.' })
  teamId?: string | null;
  @Field(() => [OperationStatus], { nullable: true, description: 'Only operations in one of these statuses.' })
  status?: OperationStatus[] | null;
  @Field(() => ID, { nullable: true, description: 'Only operations on this cluster (and its node pools).' })
  clusterId?: string | null;
  @Field(() => OperationType, { nullable: true, description: 'Only operations of this type.' })
  type?: OperationType | null;
}

@ArgsType()
export class OperationConnectionArgs extends ConnectionArgs {
  @Field(() => OperationFilter, { nullable: true, description: 'Only operations matching this filter.' })
  filter?: OperationFilter | null;
}

/** Operations that have finished, one way or the other. */
export const FINISHED: ReadonlySet<string> = new Set([OperationStatus.DONE, OperationStatus.FAILED]);
