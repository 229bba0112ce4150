import {
  Arg,
  Args,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import { requireViewer } from '../../auth/viewer.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { INPUT_ARG } from '../../graphql/inputs.js';
import { loadNode, registerNodeType } from '../../graphql/node-registry.js';
import { Requires, on, permission } from '../../iam/declarations.js';
import { registerTarget } from '../../iam/guard.js';
import type { ResourceKind } from '../../iam/policy.js';
import { Node, idOf, toGlobalId } from '../../graphql/relay.js';
import { Payload, payload } from '../../graphql/user-errors.js';
import { Deploy, type DeployRow } from '../apps/types.js';
import { teamById } from '../teams/loaders.js';
import { Team } from '../teams/types.js';
import { userById } from '../users/loaders.js';
import { User } from '../users/types.js';
import { allOperations, latestOperationByTarget, operationById } from './loaders.js';
import * as service from './service.js';
import { FINISHED, Operation, OperationConnection, OperationConnectionArgs, type OperationRow, type OperationType } from './types.js';

registerNodeType('Operation', (ctx, id) => ctx.loaders.get(operationById).load(id));
registerTarget<OperationRow>('OPERATION', {
  typeName: 'Operation',
  noun: 'Operation',
  load: (ctx, id) => ctx.loaders.get(operationById).load(id),
  permissions: (policy, operation) =>
    policy.resourcePermissions(operation.resourceType as ResourceKind, { id: operation.resourceId, teamId: operation.teamId }),
  teamOf: (operation) => operation.teamId,
});

@InputType({ description: 'The operation to run again.' })
export class RetryOperationInput {
  @Field(() => ID, { description: 'A FAILED operation, the latest on its cluster or app.' })
  operationId!: string;
}

@ObjectType({ description: 'Result of retryOperation.' })
export class OperationPayload extends Payload {
  @Field(() => Operation, { nullable: true, description: 'The operation, PENDING again.' })
  operation?: Operation | null;
}

@Resolver(() => Operation)
export class OperationResolver {
  @Query(() => Operation, { nullable: true, description: 'An operation by ID; NOT_FOUND when it does not exist or you cannot read it.' })
  async operation(@Arg('id', () => ID, { description: 'The operation’s ID.' }) id: string, @Ctx() ctx: Context): Promise<OperationRow> {
    const operation = await ctx.loaders.get(operationById).load(idOf('Operation', id, 'id'));
    if (!operation) throw notFound('Operation');
    return operation;
  }

  @Query(() => OperationConnection, { description: 'Operations on the clusters and apps you can read, newest first.' })
  operations(@Args(() => OperationConnectionArgs) args: OperationConnectionArgs, @Ctx() ctx: Context) {
    return allOperations.root(ctx, args);
  }

  @FieldResolver(() => Node, {
    nullable: true,
    description: 'The object worked on (a Cluster, NodePool or Deploy); null once it is gone or if you cannot read it.',
  })
  target(@Root() operation: OperationRow, @Ctx() ctx: Context) {
    return loadNode(ctx, operation.targetType, operation.targetId);
  }

  @FieldResolver(() => ID, { description: 'Global ID of the object worked on, kept after it is deleted.' })
  targetId(@Root() operation: OperationRow): string {
    return toGlobalId(operation.targetType, operation.targetId);
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The team the operation belongs to, when you can read it.' })
  team(@Root() operation: OperationRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(teamById).load(operation.teamId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who started it, when visible to you.' })
  createdBy(@Root() operation: OperationRow, @Ctx() ctx: Context) {
    return operation.createdById ? ctx.loaders.get(userById).load(operation.createdById) : null;
  }

  @Requires(
    permission(
      {
        of: (operation) => service.PERMISSION_TO_RUN[(operation as OperationRow).type as OperationType],
        describe: 'the permission that started it',
      },
      on.operation('input.operationId'),
      'retry this operation',
    ),
  )
  @Mutation(() => OperationPayload, {
    description: 'Runs a FAILED operation again from the step that failed (the latest operation of its cluster or app only).',
  })
  retryOperation(@Arg('input', () => RetryOperationInput, INPUT_ARG) input: RetryOperationInput, @Ctx() ctx: Context) {
    return payload(() => service.retryOperation(ctx, idOf('Operation', input.operationId, 'operationId')));
  }
}

/** The operation now, then after each change, until it finishes; each state is read with the subscriber's current access. */
async function operationStream(ctx: Context, globalId: string): Promise<AsyncIterable<OperationRow>> {
  // graphql-shield wraps a subscription's resolve (run per event), not its subscribe: check here too.
  requireViewer(ctx);
  const operationId = idOf('Operation', globalId, 'operationId');
  // What the viewer cannot read is refused at once, as the subscription's error.
  if (!(await ctx.loaders.get(operationById).load(operationId))) throw notFound('Operation');
  return (async function* () {
    const changes = ctx.app.events.operationChanges(operationId)[Symbol.asyncIterator]();
    try {
      let current = ctx;
      let last: OperationRow | undefined;
      for (;;) {
        // Listen before reading, so that a change is either in the read or announced after it. The
        // pubsub's iterator starts listening on its first pull (not when created): pull now.
        const change = changes.next();
        const operation = await current.loaders.get(operationById).clear(operationId).load(operationId);
        if (!operation) return;
        // A notice can announce a change an earlier read already saw: each state is sent once.
        if (!last || !sameState(last, operation)) yield operation;
        last = operation;
        if (FINISHED.has(operation.status)) return;
        if ((await change).done) return;
        current = ctx.renew ? await ctx.renew() : ctx;
        if (!current.viewer) return;
      }
    } finally {
      await changes.return?.();
    }
  })();
}

const sameState = (a: OperationRow, b: OperationRow) =>
  a.status === b.status && a.step === b.step && a.attempts === b.attempts && a.updatedAt.getTime() === b.updatedAt.getTime();

@Resolver(() => Operation)
export class OperationProgressResolver {
  @Subscription(() => Operation, {
    description: 'An operation as it progresses: its state now, then after every step, ending once it is DONE or FAILED.',
    subscribe: ({ args, context }) => operationStream(context as Context, (args as { operationId: string }).operationId),
  })
  operationProgress(
    @Root() operation: OperationRow,
    @Arg('operationId', () => ID, { description: 'The operation to follow.' }) _operationId: string,
  ): OperationRow {
    return operation;
  }
}

@Resolver(() => Deploy)
export class DeployOperationResolver {
  @FieldResolver(() => Operation, { nullable: true, description: 'The operation that builds and releases this deploy.' })
  operation(@Root() deploy: DeployRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(latestOperationByTarget).load(deploy.id);
  }
}
