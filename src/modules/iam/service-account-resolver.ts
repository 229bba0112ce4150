import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ConnectionArgs } from '../../graphql/connection.js';
import type { Context, ServiceAccountRow } from '../../graphql/context.js';
import { forbidden } from '../../graphql/errors.js';
import { INPUT_ARG, withoutNulls } from '../../graphql/inputs.js';
import { registerNodeType } from '../../graphql/node-registry.js';
import { Requires, on, permission } from '../../iam/declarations.js';
import { registerTarget, teamScopedTarget } from '../../iam/guard.js';
import { idOf, toGlobalId } from '../../graphql/relay.js';
import { payload } from '../../graphql/user-errors.js';
import { teamById } from '../teams/loaders.js';
import { Team, type TeamRow } from '../teams/types.js';
import { apiTokensOfServiceAccount } from '../tokens/loaders.js';
import { ApiTokenConnection } from '../tokens/types.js';
import { userById } from '../users/loaders.js';
import { User } from '../users/types.js';
import { serviceAccountById, serviceAccountsOfTeam } from './loaders.js';
import * as service from './service-accounts.js';
import {
  CreateServiceAccountInput,
  DeleteServiceAccountInput,
  DeleteServiceAccountPayload,
  ServiceAccount,
  ServiceAccountConnection,
  ServiceAccountPayload,
  UpdateServiceAccountInput,
} from './types.js';

registerNodeType('ServiceAccount', (ctx, id) => ctx.loaders.get(serviceAccountById).load(id));
registerTarget(
  'SERVICE_ACCOUNT',
  teamScopedTarget(
    'ServiceAccount',
    'Service account',
    (ctx, id) => ctx.loaders.get(serviceAccountById).load(id),
    (a: ServiceAccountRow) => a.teamId,
  ),
);

const accountIdOf = (id: string) => idOf('ServiceAccount', id, 'serviceAccountId');

@Resolver(() => ServiceAccount)
export class ServiceAccountResolver {
  @Query(() => ServiceAccount, {
    nullable: true,
    description: 'The service account making the request, when it calls with one of its tokens (`viewer` is then null).',
  })
  viewerServiceAccount(@Ctx() ctx: Context): ServiceAccountRow | null {
    return ctx.viewer?.serviceAccount ?? null;
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The team it belongs to.' })
  team(@Root() account: ServiceAccountRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(teamById).load(account.teamId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who created it, when visible to you.' })
  createdBy(@Root() account: ServiceAccountRow, @Ctx() ctx: Context) {
    return account.createdById ? ctx.loaders.get(userById).load(account.createdById) : null;
  }

  @FieldResolver(() => ApiTokenConnection, { description: 'Its API tokens, newest first (needs iam:manage in its team).' })
  async apiTokens(@Root() account: ServiceAccountRow, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: Context) {
    if (!(await ctx.policy.can(account.teamId, 'iam:manage')))
      throw forbidden('You need the iam:manage permission to see service account tokens.');
    return apiTokensOfServiceAccount.forParent(ctx, account.id, args);
  }

  @Requires(permission('iam:manage', on.team('input.teamId'), 'create service accounts in this team'))
  @Mutation(() => ServiceAccountPayload, { description: 'Creates a service account in a team (needs iam:manage there).' })
  createServiceAccount(@Arg('input', () => CreateServiceAccountInput, INPUT_ARG) input: CreateServiceAccountInput, @Ctx() ctx: Context) {
    const { teamId, ...rest } = input;
    return payload(() => service.createServiceAccount(ctx, idOf('Team', teamId, 'teamId'), withoutNulls(rest)));
  }

  @Requires(permission('iam:manage', on.serviceAccount('input.serviceAccountId'), 'change this service account'))
  @Mutation(() => ServiceAccountPayload, { description: 'Renames a service account or changes its description.' })
  updateServiceAccount(@Arg('input', () => UpdateServiceAccountInput, INPUT_ARG) input: UpdateServiceAccountInput, @Ctx() ctx: Context) {
    const { serviceAccountId, ...rest } = input;
    return payload(() => service.updateServiceAccount(ctx, accountIdOf(serviceAccountId), withoutNulls(rest)));
  }

  @Requires(permission('iam:manage', on.serviceAccount('input.serviceAccountId'), 'delete this service account'))
  @Mutation(() => DeleteServiceAccountPayload, { description: 'Deletes a service account; its tokens stop working at once.' })
  deleteServiceAccount(@Arg('input', () => DeleteServiceAccountInput, INPUT_ARG) input: DeleteServiceAccountInput, @Ctx() ctx: Context) {
    return payload(async () => {
      const { serviceAccount } = await service.deleteServiceAccount(ctx, accountIdOf(input.serviceAccountId));
      return { deletedServiceAccountId: toGlobalId('ServiceAccount', serviceAccount.id) };
    });
  }
}

@Resolver(() => Team)
export class TeamServiceAccountsResolver {
  @FieldResolver(() => ServiceAccountConnection, { description: 'The team’s service accounts, by name.' })
  serviceAccounts(@Root() team: TeamRow, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: Context) {
    return serviceAccountsOfTeam.forParent(ctx, team.id, args);
  }
}
