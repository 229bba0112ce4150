import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { clusters, nodePools } from '../../db/schema/index.js';
import { ConnectionArgs, connectionType, orderInput } from '../../graphql/connection.js';
import { Node } from '../../graphql/relay.js';
import { DateTime } from '../../graphql/scalars.js';

export type ClusterRow = typeof clusters.$inferSelect;
export type NodePoolRow = typeof nodePools.$inferSelect;

export enum ClusterStatus {
  PROVISIONING = 'PROVISIONING',
  READY = 'READY',
  UPDATING = 'UPDATING',
  DELETING = 'DELETING',
  ERROR = 'ERROR',
}
registerEnumType(ClusterStatus, {
  name: 'ClusterStatus',
  description: 'Where a cluster is in its life; long-running changes are only accepted while it is READY.',
  valuesConfig: {
    PROVISIONING: { description: 'Being created (a CLUSTER_CREATE operation is under way).' },
    READY: { description: 'Running and accepting changes.' },
    UPDATING: { description: 'An upgrade or a node-pool change is under way.' },
    DELETING: { description: 'Being torn down.' },
    ERROR: { description: 'An operation failed; retry it (retryOperation) or delete the cluster.' },
  },
});

@ObjectType({ implements: Node, description: 'A managed Kubernetes cluster owned by a team (Numspot cluster, tsuru provisioner cluster).' })
export class Cluster extends Node {
  @Field(() => String, { description: 'Name, unique in the team: 3–64 letters, digits or hyphens.' })
  name!: string;
  @Field(() => String, { description: 'Free text.' })
  description!: string;
  @Field(() => String, { description: 'Kubernetes version, from `clusterVersions`.' })
  version!: string;
  @Field(() => String, { description: 'The cluster network, an IPv4 CIDR such as 10.0.0.0/16.' })
  cidr!: string;
  @Field(() => String, { description: 'Region, from `regions`.' })
  region!: string;
  @Field(() => ClusterStatus, { description: 'Where the cluster is in its life.' })
  status!: ClusterStatus;
  @Field(() => String, { nullable: true, description: 'Kubernetes API endpoint, once provisioned.' })
  apiUrl!: string | null;
  @Field(() => String, { nullable: true, description: 'Web console, once provisioned.' })
  consoleUrl!: string | null;
  @Field(() => DateTime, { description: 'When the cluster was requested.' })
  createdAt!: Date;
  @Field(() => DateTime, { description: 'When the cluster last changed.' })
  updatedAt!: Date;
}

@ObjectType({ implements: Node, description: 'A group of identical nodes in a cluster.' })
export class NodePool extends Node {
  @Field(() => String, { description: 'Name, unique in the cluster.' })
  name!: string;
  @Field(() => String, { description: 'Node size, from `nodeTypes`.' })
  nodeType!: string;
  @Field(() => Int, { description: 'Number of nodes (1 to 100).' })
  nodeCount!: number;
  @Field(() => String, { description: 'Availability zone of the cluster’s region, e.g. eu-west-1a.' })
  zone!: string;
  @Field(() => DateTime, { description: 'When the pool was added.' })
  createdAt!: Date;
}

export const ClusterConnection = connectionType(Cluster, 'Cluster', 'clusters');

export enum ClusterOrderField {
  NAME = 'NAME',
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(ClusterOrderField, {
  name: 'ClusterOrderField',
  description: 'Fields clusters can be ordered by.',
  valuesConfig: { NAME: { description: 'By name.' }, CREATED_AT: { description: 'By creation time.' } },
});
export const ClusterOrder = orderInput(ClusterOrderField, 'Cluster', 'clusters');

@InputType({ description: 'Narrows a list of clusters.' })
export class ClusterFilter {
  @Field(() => ID, { nullable: true, description: 'Only clusters of this team.' })
  teamId?: string | null;
  @Field(() => ClusterStatus, { nullable: true, description: 'Only clusters in this status.' })
  status?: ClusterStatus | null;
  @Field(() => String, { nullable: true, description: 'Only clusters in this region.' })
  region?: string | null;
  @Field(() => String, { nullable: true, description: 'Only clusters running this Kubernetes version.' })
  version?: string | null;
}

@ArgsType()
export class ClusterConnectionArgs extends ConnectionArgs {
  @Field(() => ClusterOrder, { nullable: true, description: 'Order of the clusters; by name by default.' })
  orderBy?: InstanceType<typeof ClusterOrder> | null;
  @Field(() => ClusterFilter, { nullable: true, description: 'Only clusters matching this filter.' })
  filter?: ClusterFilter | null;
}
