import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { ClassType } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Requires, on, permission } from '../../iam/declarations.js';
import type { ResourceKind, ResourceRef } from '../../iam/policy.js';
import { App } from '../apps/types.js';
import { Bucket } from '../buckets/types.js';
import { Cluster } from '../clusters/types.js';
import { collaborators } from './collaborators.js';
import { Collaborator } from './types.js';

/** The `collaborators` field of one resource type. */
function collaboratorsResolver(type: ClassType, kind: ResourceKind, noun: string) {
  @Resolver(() => type)
  class CollaboratorsResolver {
    @Requires(permission('iam:manage', on.parent(kind), 'see who has access'))
    @FieldResolver(() => [Collaborator], {
      description: `Who has access to this ${noun} and why: members and bindings of its team, ${kind === 'APP' ? 'members of teams it was granted to, ' : ''}bindings and ACL entries on it (platform-wide access is not listed).`,
    })
    collaborators(@Root() resource: ResourceRef, @Ctx() ctx: Context) {
      return collaborators(ctx, kind, resource);
    }
  }
  return CollaboratorsResolver;
}

export const BucketCollaboratorsResolver = collaboratorsResolver(Bucket, 'BUCKET', 'bucket');
export const AppCollaboratorsResolver = collaboratorsResolver(App, 'APP', 'app');
export const ClusterCollaboratorsResolver = collaboratorsResolver(Cluster, 'CLUSTER', 'cluster');
