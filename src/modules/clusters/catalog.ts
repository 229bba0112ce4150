import { Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { clusterVersions } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';

/** Node sizes a node pool can use: a fixed catalog, like the providers' instance type lists. */
export const NODE_TYPES = [
  { name: 'standard-2', cpus: 2, memoryGb: 8, description: 'General purpose, 2 vCPU, 8 GB' },
  { name: 'standard-4', cpus: 4, memoryGb: 16, description: 'General purpose, 4 vCPU, 16 GB' },
  { name: 'standard-8', cpus: 8, memoryGb: 32, description: 'General purpose, 8 vCPU, 32 GB' },
  { name: 'memory-4', cpus: 4, memoryGb: 32, description: 'Memory optimized, 4 vCPU, 32 GB' },
  { name: 'compute-8', cpus: 8, memoryGb: 16, description: 'Compute optimized, 8 vCPU, 16 GB' },
] as const;

@ObjectType({ description: 'A Kubernetes version clusters can run (Numspot cluster versions).' })
export class ClusterVersion {
  @Field(() => String, { description: 'The version, e.g. 1.31; used when creating or upgrading a cluster.' })
  version!: string;
  @Field(() => Boolean, { description: 'Whether new clusters may use it (deprecated versions only keep running).' })
  available!: boolean;
  @Field(() => Boolean, { description: 'The version new clusters get when none is named.' })
  isDefault!: boolean;
}

@ObjectType({ description: 'A node size for node pools.' })
export class NodeType {
  @Field(() => String, { description: 'Name, used in node pools.' })
  name!: string;
  @Field(() => Int, { description: 'Virtual CPUs per node.' })
  cpus!: number;
  @Field(() => Int, { description: 'Memory per node, in GB.' })
  memoryGb!: number;
  @Field(() => String, { description: 'What it is for.' })
  description!: string;
}

/** Version strings compare numerically part by part (1.10 after 1.9). */
const versionKey = (v: string) =>
  v
    .split('.')
    .map((p) => p.padStart(4, '0'))
    .join('.');

/** Orders Kubernetes versions: negative when `a` is older than `b`. */
export const compareVersions = (a: string, b: string) => versionKey(a).localeCompare(versionKey(b));

@Resolver()
export class ClusterCatalogResolver {
  @Query(() => [ClusterVersion], { description: 'Kubernetes versions, oldest first.' })
  async clusterVersions(@Ctx() ctx: Context): Promise<ClusterVersion[]> {
    const rows = await ctx.db.select().from(clusterVersions);
    return rows
      .map((r) => ({ version: r.version, available: !r.deprecated, isDefault: r.isDefault }))
      .sort((a, b) => compareVersions(a.version, b.version));
  }

  @Query(() => [NodeType], { description: 'Node sizes for node pools.' })
  nodeTypes(): NodeType[] {
    return NODE_TYPES.map((t) => ({ ...t }));
  }
}
