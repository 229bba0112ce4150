import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Requires, on, permission, stateRule, withFullAccess } from '../../iam/declarations.js';
import type { Context, UserRow } from '../../graphql/context.js';
import { ConnectionArgs } from '../../graphql/connection.js';
import { registerNodeType } from '../../graphql/node-registry.js';
import { idOf, toGlobalId } from '../../graphql/relay.js';
import { payload } from '../../graphql/user-errors.js';
import { INPUT_ARG, withoutNulls } from '../../graphql/inputs.js';
import { invitationsOfUser, membershipsOfUser, teamsOfUser } from '../teams/loaders.js';
import {
  InvitationConnection,
  InvitationConnectionArgs,
  MembershipConnection,
  MembershipConnectionArgs,
  TeamConnection,
  TeamConnectionArgs,
} from '../teams/types.js';
import { apiTokensOfUser, sessionsOfUser } from '../tokens/loaders.js';
import { ApiTokenConnection, SessionConnection } from '../tokens/types.js';
import {
  AdminCreateUserInput,
  AdminDeleteUserInput,
  AdminUpdateUserInput,
  DeleteUserPayload,
  DeleteViewerInput,
  UpdateViewerInput,
  UserPayload,
} from './inputs.js';
import { allUsers, userById, type UserProfile } from './loaders.js';
import * as service from './service.js';
import { User, UserConnection, UserConnectionArgs } from './types.js';

registerNodeType('User', (ctx, id) => ctx.loaders.get(userById).load(id));

const userIdOf = (id: string) => idOf('User', id, 'userId');

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, {
    nullable: true,
    description:
      'The user making the request: profile, teams, invitations, tokens and sessions; null for anonymous requests and service accounts.',
  })
  viewer(@Ctx() ctx: Context): UserRow | null {
    return ctx.viewer?.user ?? null;
  }

  @Query(() => User, { nullable: true, description: 'A user by email, with their teams (platform admins; Storj admin API).' })
  user(@Arg('email', () => String, { description: 'The user’s email address.' }) email: string, @Ctx() ctx: Context) {
    return service.userByEmail(ctx, email);
  }

  @Query(() => UserConnection, { nullable: true, description: 'All users, newest first (platform admins).' })
  users(@Args(() => UserConnectionArgs) args: UserConnectionArgs, @Ctx() ctx: Context) {
    return allUsers.root(ctx, args);
  }

  @FieldResolver(() => Boolean, {
    description: 'Whether the user confirmed their email address (verifyEmail); invitations by email reach verified users only.',
  })
  emailVerified(@Root() user: UserProfile): boolean {
    return user.emailVerifiedAt !== null;
  }

  @FieldResolver(() => MembershipConnection, { description: 'The user’s team memberships (in teams you can read).' })
  memberships(@Root() user: UserProfile, @Args(() => MembershipConnectionArgs) args: MembershipConnectionArgs, @Ctx() ctx: Context) {
    return membershipsOfUser.forParent(ctx, user.id, args);
  }

  @FieldResolver(() => TeamConnection, { description: 'The teams the user is a member of (those you can read); by name.' })
  teams(@Root() user: UserProfile, @Args(() => TeamConnectionArgs) args: TeamConnectionArgs, @Ctx() ctx: Context) {
    return teamsOfUser.forParent(ctx, user.id, args);
  }

  @FieldResolver(() => InvitationConnection, {
    nullable: true,
    description: 'Invitations addressed to the user’s email; pending ones by default. Only for yourself and platform admins.',
  })
  invitations(@Root() user: UserProfile, @Args(() => InvitationConnectionArgs) args: InvitationConnectionArgs, @Ctx() ctx: Context) {
    return invitationsOfUser.forParent(ctx, user.id, args);
  }

  @FieldResolver(() => ApiTokenConnection, {
    nullable: true,
    description: 'The user’s API tokens, newest first (never their secrets). Only for yourself and platform admins.',
  })
  apiTokens(@Root() user: UserProfile, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: Context) {
    return apiTokensOfUser.forParent(ctx, user.id, args);
  }

  @FieldResolver(() => SessionConnection, {
    nullable: true,
    description: 'The user’s sessions, newest first. Only for yourself and platform admins.',
  })
  sessions(@Root() user: UserProfile, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: Context) {
    return sessionsOfUser.forParent(ctx, user.id, args);
  }

  @Requires(withFullAccess('change the account'))
  @Mutation(() => UserPayload, { description: 'Changes your name, short name or email.' })
  updateViewer(@Arg('input', () => UpdateViewerInput, INPUT_ARG) input: UpdateViewerInput, @Ctx() ctx: Context) {
    return payload(() => service.updateViewer(ctx, withoutNulls(input)));
  }

  @Requires(withFullAccess('delete the account'))
  @Mutation(() => DeleteUserPayload, { description: 'Deletes your account; refused while you own a team.' })
  deleteViewer(@Arg('input', () => DeleteViewerInput, INPUT_ARG) input: DeleteViewerInput, @Ctx() ctx: Context) {
    return payload(async () => ({ deletedUserId: toGlobalId('User', (await service.deleteViewer(ctx, input)).deletedUserId) }));
  }

  @Requires(permission('user:manage', on.platform, 'manage users'))
  @Mutation(() => UserPayload, { description: 'Creates a user (platform admins).' })
  adminCreateUser(
    @Arg('input', () => AdminCreateUserInput, INPUT_ARG)
    input: AdminCreateUserInput,
    @Ctx() ctx: Context,
  ) {
    return payload(() => service.adminCreateUser(ctx, withoutNulls(input)));
  }

  @Requires(
    permission('user:manage', on.platform, 'manage users'),
    stateRule('Granting or taking the platform ADMIN role, or changing an admin, needs platform ADMIN.'),
  )
  @Mutation(() => UserPayload, { description: 'Changes a user’s email, names, team limit, status or platform role (platform admins).' })
  adminUpdateUser(
    @Arg('input', () => AdminUpdateUserInput, INPUT_ARG)
    input: AdminUpdateUserInput,
    @Ctx() ctx: Context,
  ) {
    const { userId, ...change } = input;
    return payload(() => service.adminUpdateUser(ctx, userIdOf(userId), withoutNulls(change)));
  }

  @Requires(permission('user:manage', on.platform, 'manage users'))
  @Mutation(() => DeleteUserPayload, { description: 'Deletes a user (platform admins); refused while they own teams.' })
  adminDeleteUser(
    @Arg('input', () => AdminDeleteUserInput, INPUT_ARG)
    input: AdminDeleteUserInput,
    @Ctx() ctx: Context,
  ) {
    return payload(async () => ({
      deletedUserId: toGlobalId('User', (await service.adminDeleteUser(ctx, userIdOf(input.userId))).deletedUserId),
    }));
  }
}
