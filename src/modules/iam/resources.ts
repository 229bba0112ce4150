import type { Context } from '../../graphql/context.js';
import type { ResourceKind, ResourceRef } from '../../iam/policy.js';
import { appById } from '../apps/loaders.js';
import { bucketById } from '../buckets/loaders.js';
import { clusterById } from '../clusters/loaders.js';

/** The GraphQL type of each kind of resource that bindings and ACL entries apply to. */
export const RESOURCE_NODE_TYPE = { BUCKET: 'Bucket', APP: 'App', CLUSTER: 'Cluster' } as const satisfies Record<ResourceKind, string>;

const LOADERS = { BUCKET: bucketById, APP: appById, CLUSTER: clusterById } as const;

/** A bucket, app or cluster the viewer can read (through the request's loaders), or null. */
export function readableResource(ctx: Context, kind: ResourceKind, id: string): Promise<ResourceRef | null> {
  return ctx.loaders.get(LOADERS[kind] as typeof bucketById).load(id);
}
