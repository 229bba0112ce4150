import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { INPUT_ARG, withoutNulls } from '../../graphql/inputs.js';
import { registerNodeType } from '../../graphql/node-registry.js';
import { Requires, on, permission } from '../../iam/declarations.js';
import { registerTarget, resourceTarget } from '../../iam/guard.js';
import { idOf } from '../../graphql/relay.js';
import { Payload, payload } from '../../graphql/user-errors.js';
import { appsOfCluster } from '../apps/loaders.js';
import { App, AppConnection, AppConnectionArgs, type AppRow } from '../apps/types.js';
import { eventsOfCluster } from '../events/loaders.js';
import { AuditEventConnection, AuditEventConnectionArgs } from '../events/types.js';
import { operationsOfCluster } from '../operations/loaders.js';
import { Operation, OperationConnection, OperationConnectionArgs } from '../operations/types.js';
import { teamById } from '../teams/loaders.js';
import { Team, type TeamRow } from '../teams/types.js';
import { allClusters, clusterById, clustersOfTeam, nodePoolById, nodePoolsByCluster } from './loaders.js';
import * as service from './service.js';
import { Cluster, ClusterConnection, ClusterConnectionArgs, NodePool, type ClusterRow, type NodePoolRow } from './types.js';

registerNodeType('Cluster', (ctx, id) => ctx.loaders.get(clusterById).load(id));
registerNodeType('NodePool', (ctx, id) => ctx.loaders.get(nodePoolById).load(id));
registerTarget(
  'CLUSTER',
  resourceTarget('CLUSTER', 'Cluster', (ctx, id) => ctx.loaders.get(clusterById).load(id)),
);
registerTarget<NodePoolRow>('NODE_POOL', {
  typeName: 'NodePool',
  noun: 'NodePool',
  load: (ctx, id) => ctx.loaders.get(nodePoolById).load(id),
  permissions: (policy, pool) => policy.resourcePermissions('CLUSTER', { id: pool.clusterId, teamId: pool.teamId }),
  teamOf: (pool) => pool.teamId,
});

const clusterIdOf = (id: string) => idOf('Cluster', id, 'clusterId');
const nodePoolIdOf = (id: string) => idOf('NodePool', id, 'nodePoolId');

@InputType({ description: 'A node pool of a new cluster, or a pool to add to a cluster.' })
export class NodePoolInput {
  @Field(() => String, {
    description: 'Name, unique in the cluster: a lowercase letter, then up to 39 lowercase letters, digits or hyphens.',
  })
  name!: string;
  @Field(() => String, { description: 'Node size, from `nodeTypes`.' })
  nodeType!: string;
  @Field(() => Int, { description: 'Number of nodes, 1 to 100.' })
  nodeCount!: number;
  @Field(() => String, {
    nullable: true,
    description: 'Availability zone of the cluster’s region (e.g. eu-west-1b); the region’s first zone when omitted.',
  })
  zone?: string | null;
}

@InputType({ description: 'A new cluster.' })
export class CreateClusterInput {
  @Field(() => ID, { description: 'The team that owns it (you need cluster:create there).' })
  teamId!: string;
  @Field(() => String, { description: '3–64 letters, digits or hyphens; unique in the team.' })
  name!: string;
  @Field(() => String, { nullable: true, description: 'Free text; empty when omitted.' })
  description?: string | null;
  @Field(() => String, { nullable: true, description: 'An available version from `clusterVersions`; the default one when omitted.' })
  version?: string | null;
  @Field(() => String, { description: 'Private IPv4 network, /16 to /28, not overlapping the team’s other clusters, e.g. 10.1.0.0/16.' })
  cidr!: string;
  @Field(() => String, { description: 'A region from `regions`.' })
  region!: string;
  @Field(() => [NodePoolInput], { description: 'One to ten node pools.' })
  nodePools!: NodePoolInput[];
}

@InputType({ description: 'Changes to a cluster that take effect at once; omitted fields stay as they are.' })
export class UpdateClusterInput {
  @Field(() => ID, { description: 'The cluster.' })
  clusterId!: string;
  @Field(() => String, { nullable: true, description: 'New name: 3–64 letters, digits or hyphens; unique in the team.' })
  name?: string | null;
  @Field(() => String, { nullable: true, description: 'New description.' })
  description?: string | null;
}

@InputType({ description: 'A newer Kubernetes version for a cluster.' })
export class UpgradeClusterInput {
  @Field(() => ID, { description: 'The cluster (it must be READY).' })
  clusterId!: string;
  @Field(() => String, { description: 'An available version from `clusterVersions`, newer than the cluster’s.' })
  version!: string;
}

@InputType({ description: 'The cluster to delete.' })
export class DeleteClusterInput {
  @Field(() => ID, { description: 'The cluster (READY or ERROR, with no apps placed on it).' })
  clusterId!: string;
}

@InputType({ description: 'A node pool to add to a cluster.' })
export class CreateNodePoolInput extends NodePoolInput {
  @Field(() => ID, { description: 'The cluster (it must be READY).' })
  clusterId!: string;
}

@InputType({ description: 'A new node count for a node pool.' })
export class ScaleNodePoolInput {
  @Field(() => ID, { description: 'The node pool (its cluster must be READY).' })
  nodePoolId!: string;
  @Field(() => Int, { description: 'Number of nodes, 1 to 100.' })
  nodeCount!: number;
}

@InputType({ description: 'The node pool to remove.' })
export class DeleteNodePoolInput {
  @Field(() => ID, { description: 'The node pool (not its cluster’s last one; the cluster must be READY).' })
  nodePoolId!: string;
}

@ObjectType({ description: 'Result of a cluster mutation.' })
export class ClusterPayload extends Payload {
  @Field(() => Cluster, { nullable: true, description: 'The cluster, as the mutation left it.' })
  cluster?: Cluster | null;
  @Field(() => Operation, {
    nullable: true,
    description: 'The long-running operation started (null for updateCluster, which takes effect at once).',
  })
  operation?: Operation | null;
}

@ObjectType({ description: 'Result of a node-pool mutation.' })
export class NodePoolPayload extends Payload {
  @Field(() => NodePool, {
    nullable: true,
    description: 'The node pool, as the mutation left it (the change lands when the operation is DONE).',
  })
  nodePool?: NodePool | null;
  @Field(() => Cluster, { nullable: true, description: 'Its cluster (UPDATING while the operation runs).' })
  cluster?: Cluster | null;
  @Field(() => Operation, { nullable: true, description: 'The long-running operation started.' })
  operation?: Operation | null;
}

@Resolver(() => Cluster)
export class ClusterResolver {
  @Query(() => Cluster, { nullable: true, description: 'A cluster by ID; NOT_FOUND when it does not exist or you cannot read it.' })
  async cluster(@Arg('id', () => ID, { description: 'The cluster’s ID.' }) id: string, @Ctx() ctx: Context): Promise<ClusterRow> {
    const cluster = await ctx.loaders.get(clusterById).load(idOf('Cluster', id, 'id'));
    if (!cluster) throw notFound('Cluster');
    return cluster;
  }

  @Query(() => ClusterConnection, { description: 'The clusters you can read; by name.' })
  clusters(@Args(() => ClusterConnectionArgs) args: ClusterConnectionArgs, @Ctx() ctx: Context) {
    return allClusters.root(ctx, args);
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The owner team, when you can read it.' })
  team(@Root() cluster: ClusterRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(teamById).load(cluster.teamId);
  }

  @FieldResolver(() => [NodePool], { description: 'Its node pools, by name.' })
  nodePools(@Root() cluster: ClusterRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(nodePoolsByCluster).load(cluster.id);
  }

  @FieldResolver(() => AppConnection, { description: 'Apps placed on it (those you can read), by name.' })
  apps(@Root() cluster: ClusterRow, @Args(() => AppConnectionArgs) args: AppConnectionArgs, @Ctx() ctx: Context) {
    return appsOfCluster.forParent(ctx, cluster.id, args);
  }

  @FieldResolver(() => OperationConnection, { description: 'Operations on it and its node pools, newest first.' })
  operations(@Root() cluster: ClusterRow, @Args(() => OperationConnectionArgs) args: OperationConnectionArgs, @Ctx() ctx: Context) {
    return operationsOfCluster.forParent(ctx, cluster.id, args);
  }

  @FieldResolver(() => AuditEventConnection, {
    description: 'What was done to it, newest first (needs audit:read in its team, or being the actor).',
  })
  events(@Root() cluster: ClusterRow, @Args(() => AuditEventConnectionArgs) args: AuditEventConnectionArgs, @Ctx() ctx: Context) {
    return eventsOfCluster.forParent(ctx, cluster.id, args);
  }

  @FieldResolver(() => [String], { description: 'The permissions you hold on this cluster (`cluster:…`), to show or hide actions.' })
  viewerPermissions(@Root() cluster: ClusterRow, @Ctx() ctx: Context): Promise<string[]> {
    return ctx.policy.resourceActions('CLUSTER', cluster);
  }

  @Requires(permission('cluster:create', on.team('input.teamId'), 'create clusters in this team'))
  @Mutation(() => ClusterPayload, { description: 'Creates a cluster (PROVISIONING) and starts the operation that provisions it.' })
  createCluster(@Arg('input', () => CreateClusterInput, INPUT_ARG) input: CreateClusterInput, @Ctx() ctx: Context) {
    const { teamId, nodePools, ...rest } = input;
    return payload(() =>
      service.createCluster(ctx, idOf('Team', teamId, 'teamId'), {
        ...withoutNulls(rest),
        nodePools: nodePools.map((p) => withoutNulls(p)),
      }),
    );
  }

  @Requires(permission('cluster:update', on.cluster('input.clusterId'), 'update this cluster'))
  @Mutation(() => ClusterPayload, { description: 'Renames a cluster or changes its description, at once.' })
  updateCluster(@Arg('input', () => UpdateClusterInput, INPUT_ARG) input: UpdateClusterInput, @Ctx() ctx: Context) {
    const { clusterId, ...rest } = input;
    return payload(() => service.updateCluster(ctx, clusterIdOf(clusterId), withoutNulls(rest)));
  }

  @Requires(permission('cluster:update', on.cluster('input.clusterId'), 'upgrade this cluster'))
  @Mutation(() => ClusterPayload, { description: 'Starts upgrading a READY cluster to a newer Kubernetes version.' })
  upgradeCluster(@Arg('input', () => UpgradeClusterInput, INPUT_ARG) input: UpgradeClusterInput, @Ctx() ctx: Context) {
    return payload(() => service.upgradeCluster(ctx, clusterIdOf(input.clusterId), input.version));
  }

  @Requires(permission('cluster:delete', on.cluster('input.clusterId'), 'delete this cluster'))
  @Mutation(() => ClusterPayload, { description: 'Starts deleting a cluster (refused while apps are placed on it).' })
  deleteCluster(@Arg('input', () => DeleteClusterInput, INPUT_ARG) input: DeleteClusterInput, @Ctx() ctx: Context) {
    return payload(() => service.deleteCluster(ctx, clusterIdOf(input.clusterId)));
  }

  @Requires(permission('cluster:scale', on.cluster('input.clusterId'), 'add node pools to this cluster'))
  @Mutation(() => NodePoolPayload, { description: 'Adds a node pool to a READY cluster.' })
  createNodePool(@Arg('input', () => CreateNodePoolInput, INPUT_ARG) input: CreateNodePoolInput, @Ctx() ctx: Context) {
    const { clusterId, ...rest } = input;
    return payload(() => service.createNodePool(ctx, clusterIdOf(clusterId), withoutNulls(rest)));
  }

  @Requires(permission('cluster:scale', on.nodePool('input.nodePoolId'), 'change this cluster’s node pools'))
  @Mutation(() => NodePoolPayload, { description: 'Changes a node pool’s node count.' })
  scaleNodePool(@Arg('input', () => ScaleNodePoolInput, INPUT_ARG) input: ScaleNodePoolInput, @Ctx() ctx: Context) {
    return payload(() => service.scaleNodePool(ctx, nodePoolIdOf(input.nodePoolId), input.nodeCount));
  }

  @Requires(permission('cluster:scale', on.nodePool('input.nodePoolId'), 'change this cluster’s node pools'))
  @Mutation(() => NodePoolPayload, { description: 'Removes a node pool (a cluster keeps at least one).' })
  deleteNodePool(@Arg('input', () => DeleteNodePoolInput, INPUT_ARG) input: DeleteNodePoolInput, @Ctx() ctx: Context) {
    return payload(() => service.deleteNodePool(ctx, nodePoolIdOf(input.nodePoolId)));
  }
}

@Resolver(() => NodePool)
export class NodePoolResolver {
  @FieldResolver(() => Cluster, { nullable: true, description: 'The cluster it belongs to.' })
  cluster(@Root() pool: NodePoolRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(clusterById).load(pool.clusterId);
  }
}

@Resolver(() => Team)
export class TeamClustersResolver {
  @FieldResolver(() => ClusterConnection, { description: 'Clusters the team owns (those you can read), by name.' })
  clusters(@Root() team: TeamRow, @Args(() => ClusterConnectionArgs) args: ClusterConnectionArgs, @Ctx() ctx: Context) {
    return clustersOfTeam.forParent(ctx, team.id, args);
  }
}

@Resolver(() => App)
export class AppClusterResolver {
  @FieldResolver(() => Cluster, { nullable: true, description: 'The cluster the app is placed on, if any (and you can read it).' })
  cluster(@Root() app: AppRow, @Ctx() ctx: Context) {
    return app.clusterId ? ctx.loaders.get(clusterById).load(app.clusterId) : null;
  }
}
