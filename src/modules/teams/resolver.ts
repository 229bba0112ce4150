import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { TeamRole } from '../../graphql/enums.js';
import { notFound } from '../../graphql/errors.js';
import { idOf, toGlobalId } from '../../graphql/relay.js';
import { registerNodeType } from '../../graphql/node-registry.js';
import { Requires, asUser, on, permission, stateRule, withFullAccess } from '../../iam/declarations.js';
import { registerTarget, teamScopedTarget } from '../../iam/guard.js';
import { payload } from '../../graphql/user-errors.js';
import { INPUT_ARG, withoutNulls } from '../../graphql/inputs.js';
import { User } from '../users/types.js';
import { userById } from '../users/loaders.js';
import {
  AcceptInvitationInput,
  AcceptInvitationPayload,
  CreateTeamInput,
  CreateTeamPayload,
  DeleteTeamInput,
  DeleteTeamPayload,
  InviteMemberInput,
  InviteMemberPayload,
  LeaveTeamInput,
  MembershipPayload,
  RemoveMemberInput,
  RemoveMemberPayload,
  RevokeInvitationInput,
  RevokeInvitationPayload,
  SetMemberNotificationInput,
  SetMemberRoleInput,
  TransferTeamOwnershipInput,
  TransferTeamOwnershipPayload,
  UpdateMemberOptionsInput,
  UpdateTeamInput,
  UpdateTeamPayload,
} from './inputs.js';
import {
  allTeams,
  invitationById,
  invitationsOfTeam,
  membersOfTeam,
  membershipById,
  ownerByTeam,
  teamById,
  teamBySlug,
  teamCardById,
} from './loaders.js';
import * as memberships from './membership-service.js';
import * as teamService from './team-service.js';
import {
  Invitation,
  InvitationConnection,
  InvitationConnectionArgs,
  InvitationStatus,
  Membership,
  MembershipConnection,
  MembershipConnectionArgs,
  Team,
  TeamConnection,
  TeamConnectionArgs,
  TeamLimits,
  type InvitationRow,
  type MembershipRow,
  type TeamRow,
} from './types.js';

registerNodeType('Team', (ctx, id) => ctx.loaders.get(teamById).load(id));
registerTarget(
  'TEAM',
  teamScopedTarget(
    'Team',
    'Team',
    (ctx, id) => ctx.loaders.get(teamById).load(id),
    (team: TeamRow) => team.id,
  ),
);
registerTarget(
  'MEMBERSHIP',
  teamScopedTarget(
    'Membership',
    'Membership',
    (ctx, id) => ctx.loaders.get(membershipById).load(id),
    (m: MembershipRow) => m.teamId,
  ),
);
registerNodeType('Membership', (ctx, id) => ctx.loaders.get(membershipById).load(id));
registerNodeType('Invitation', (ctx, id) => ctx.loaders.get(invitationById).load(id));

const teamIdOf = (id: string) => idOf('Team', id, 'teamId');

@Resolver(() => Team)
export class TeamResolver {
  @Query(() => Team, { nullable: true, description: 'A team by slug; NOT_FOUND when it does not exist or you cannot read it.' })
  async team(@Arg('slug', () => String, { description: 'The team’s slug.' }) slug: string, @Ctx() ctx: Context): Promise<TeamRow> {
    const team = await ctx.loaders.get(teamBySlug).load(slug);
    if (!team) throw notFound(`Team "${slug}"`);
    return team;
  }

  @Query(() => TeamConnection, { description: 'The teams you can read (every team, for platform admins); by name by default.' })
  teams(@Args(() => TeamConnectionArgs) args: TeamConnectionArgs, @Ctx() ctx: Context) {
    return allTeams.root(ctx, args);
  }

  @FieldResolver(() => TeamLimits, { description: 'The team’s quotas.' })
  limits(@Root() team: TeamRow): TeamLimits {
    return team;
  }

  @FieldResolver(() => TeamRole, {
    nullable: true,
    description: 'Your role in this team; null when you are not a member (PM2 current_role).',
  })
  async viewerRole(@Root() team: TeamRow, @Ctx() ctx: Context): Promise<TeamRole | null> {
    return (await ctx.policy.memberRole(team.id)) as TeamRole | null;
  }

  @FieldResolver(() => [String], { description: 'The permissions you hold in this team, as `resource:action` strings.' })
  async viewerPermissions(@Root() team: TeamRow, @Ctx() ctx: Context): Promise<string[]> {
    return [...(await ctx.policy.teamPermissions(team.id))].sort();
  }

  @FieldResolver(() => User, { nullable: true, description: 'The team’s owner.' })
  owner(@Root() team: TeamRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(ownerByTeam).load(team.id);
  }

  @FieldResolver(() => MembershipConnection, { description: 'The team’s members with their roles; oldest first.' })
  members(@Root() team: TeamRow, @Args(() => MembershipConnectionArgs) args: MembershipConnectionArgs, @Ctx() ctx: Context) {
    return membersOfTeam.forParent(ctx, team.id, args);
  }

  @Requires(permission('team:members:manage', on.parent('TEAM'), 'see the team’s invitations'))
  @FieldResolver(() => InvitationConnection, {
    nullable: true,
    description: 'Invitations to the team; newest first.',
  })
  invitations(@Root() team: TeamRow, @Args(() => InvitationConnectionArgs) args: InvitationConnectionArgs, @Ctx() ctx: Context) {
    return invitationsOfTeam.forParent(ctx, team.id, args);
  }

  @Requires(withFullAccess('create teams'), stateRule('You own it; it counts against your teamLimit.'))
  @Mutation(() => CreateTeamPayload, { description: 'Creates a team owned by you, within your teamLimit.' })
  createTeam(@Arg('input', () => CreateTeamInput, INPUT_ARG) input: CreateTeamInput, @Ctx() ctx: Context) {
    return payload(() => teamService.createTeam(ctx, input));
  }

  @Requires(permission('team:update', on.team('input.teamId'), 'update this team'))
  @Mutation(() => UpdateTeamPayload, { description: 'Changes a team’s slug, name, description or tags (team:update).' })
  updateTeam(@Arg('input', () => UpdateTeamInput, INPUT_ARG) input: UpdateTeamInput, @Ctx() ctx: Context) {
    const { teamId, ...change } = input;
    return payload(() => teamService.updateTeam(ctx, teamIdOf(teamId), withoutNulls(change)));
  }

  @Requires(asUser('delete teams'), permission('team:delete', on.team('input.teamId'), 'delete this team'))
  @Mutation(() => DeleteTeamPayload, {
    description: 'Deletes a team (OWNER only); refused while it owns apps, clusters or buckets, or has bucket usage this month.',
  })
  deleteTeam(@Arg('input', () => DeleteTeamInput, INPUT_ARG) input: DeleteTeamInput, @Ctx() ctx: Context) {
    return payload(async () => {
      const { deletedTeamId } = await teamService.deleteTeam(ctx, teamIdOf(input.teamId));
      return { deletedTeamId: toGlobalId('Team', deletedTeamId) };
    });
  }

  @Requires(
    permission('team:members:manage', on.team('input.teamId'), 'manage this team’s members'),
    stateRule('The role may hold only permissions you hold in the team.'),
  )
  @Mutation(() => InviteMemberPayload, { description: 'Invites an email address to the team (PM2 add_user); the token goes out by mail.' })
  inviteMember(@Arg('input', () => InviteMemberInput, INPUT_ARG) input: InviteMemberInput, @Ctx() ctx: Context) {
    return payload(() => memberships.inviteMember(ctx, teamIdOf(input.teamId), input));
  }

  @Requires(withFullAccess('accept invitations'), stateRule('The invitation must be addressed to your verified email.'))
  @Mutation(() => AcceptInvitationPayload, { description: 'Joins a team by accepting an invitation, by token or by ID.' })
  acceptInvitation(
    @Arg('input', () => AcceptInvitationInput, INPUT_ARG)
    input: AcceptInvitationInput,
    @Ctx() ctx: Context,
  ) {
    return payload(() =>
      memberships.acceptInvitation(ctx, {
        token: input.token,
        invitationId: input.invitationId ? idOf('Invitation', input.invitationId, 'invitationId') : null,
      }),
    );
  }

  @Requires('SIGNED_IN', stateRule('Your own invitation, or team:members:manage in its team.'))
  @Mutation(() => RevokeInvitationPayload, {
    description: 'Withdraws a pending invitation (team managers) or declines one addressed to you.',
  })
  revokeInvitation(
    @Arg('input', () => RevokeInvitationInput, INPUT_ARG)
    input: RevokeInvitationInput,
    @Ctx() ctx: Context,
  ) {
    return payload(() => memberships.revokeInvitation(ctx, idOf('Invitation', input.invitationId, 'invitationId')));
  }

  @Requires(permission('team:members:manage', on.membership('input.membershipId'), 'manage this team’s members'))
  @Mutation(() => RemoveMemberPayload, { description: 'Removes a member from a team (team:members:manage); not the owner.' })
  removeMember(@Arg('input', () => RemoveMemberInput, INPUT_ARG) input: RemoveMemberInput, @Ctx() ctx: Context) {
    return payload(async () => {
      const { membership } = await memberships.removeMember(ctx, idOf('Membership', input.membershipId, 'membershipId'));
      return {
        deletedMembershipId: toGlobalId('Membership', membership.id),
        team: await ctx.loaders.get(teamById).load(membership.teamId),
      };
    });
  }

  @Requires(
    permission('team:members:manage', on.membership('input.membershipId'), 'manage this team’s members'),
    stateRule('The old and the new role may hold only permissions you hold in the team.'),
  )
  @Mutation(() => MembershipPayload, {
    description: 'Changes a member’s role (PM2 promote_user); not the owner’s, and not above your own.',
  })
  setMemberRole(@Arg('input', () => SetMemberRoleInput, INPUT_ARG) input: SetMemberRoleInput, @Ctx() ctx: Context) {
    return payload(() => memberships.setMemberRole(ctx, idOf('Membership', input.membershipId, 'membershipId'), input.role));
  }

  @Requires(asUser('transfer a team’s ownership'), permission('team:transfer', on.team('input.teamId'), 'transfer this team’s ownership'))
  @Mutation(() => TransferTeamOwnershipPayload, { description: 'Makes another member the owner; you become ADMIN (OWNER only).' })
  transferTeamOwnership(
    @Arg('input', () => TransferTeamOwnershipInput, INPUT_ARG)
    input: TransferTeamOwnershipInput,
    @Ctx() ctx: Context,
  ) {
    return payload(() => memberships.transferTeamOwnership(ctx, teamIdOf(input.teamId), input.newOwnerEmail));
  }

  @Requires(
    withFullAccess('leave teams'),
    permission('team:read', on.team('input.teamId'), 'leave this team'),
    stateRule('The owner cannot leave.'),
  )
  @Mutation(() => RemoveMemberPayload, { description: 'Leaves a team you are a member of; the owner cannot leave.' })
  leaveTeam(@Arg('input', () => LeaveTeamInput, INPUT_ARG) input: LeaveTeamInput, @Ctx() ctx: Context) {
    return payload(async () => {
      const { membership } = await memberships.leaveTeam(ctx, teamIdOf(input.teamId));
      return { deletedMembershipId: toGlobalId('Membership', membership.id), team: null };
    });
  }

  @Requires('SIGNED_IN', permission('team:read', on.team('input.teamId'), 'change your notifications in this team'))
  @Mutation(() => MembershipPayload, { description: 'Sets how you are notified of a team’s events (PM2 manage_notif).' })
  setMemberNotification(
    @Arg('input', () => SetMemberNotificationInput, INPUT_ARG)
    input: SetMemberNotificationInput,
    @Ctx() ctx: Context,
  ) {
    return payload(() => memberships.updateOwnMembership(ctx, teamIdOf(input.teamId), { notification: input.state }));
  }

  @Requires('SIGNED_IN', permission('team:read', on.team('input.teamId'), 'change your options in this team'))
  @Mutation(() => MembershipPayload, { description: 'Replaces your options in a team (PM2 user_options).' })
  updateMemberOptions(
    @Arg('input', () => UpdateMemberOptionsInput, INPUT_ARG)
    input: UpdateMemberOptionsInput,
    @Ctx() ctx: Context,
  ) {
    const options = input.options;
    if (typeof options !== 'object' || options === null || Array.isArray(options))
      return { userErrors: [{ field: ['input', 'options'], code: 'INVALID', message: 'options must be a JSON object.' }] };
    return payload(() => memberships.updateOwnMembership(ctx, teamIdOf(input.teamId), { options: options as Record<string, unknown> }));
  }
}

@Resolver(() => Membership)
export class MembershipResolver {
  @FieldResolver(() => User, { nullable: true, description: 'The member.' })
  user(@Root() m: MembershipRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(userById).load(m.userId);
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The team.' })
  team(@Root() m: MembershipRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(teamById).load(m.teamId);
  }
}

@Resolver(() => Invitation)
export class InvitationResolver {
  @FieldResolver(() => InvitationStatus, { description: 'Where the invitation stands.' })
  status(@Root() i: InvitationRow): InvitationStatus {
    if (i.status === 'PENDING' && i.expiresAt <= new Date()) return InvitationStatus.EXPIRED;
    return i.status as InvitationStatus;
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The team, when you can read it (not yet, as an invitee).' })
  team(@Root() i: InvitationRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(teamById).load(i.teamId);
  }

  @FieldResolver(() => String, { description: 'The slug of the team the invitation is for.' })
  async teamSlug(@Root() i: InvitationRow, @Ctx() ctx: Context) {
    return (await ctx.loaders.get(teamCardById).load(i.teamId))?.slug ?? '';
  }

  @FieldResolver(() => String, { description: 'The name of the team the invitation is for.' })
  async teamName(@Root() i: InvitationRow, @Ctx() ctx: Context) {
    return (await ctx.loaders.get(teamCardById).load(i.teamId))?.name ?? '';
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who sent the invitation, when visible to you.' })
  inviter(@Root() i: InvitationRow, @Ctx() ctx: Context) {
    return i.inviterId ? ctx.loaders.get(userById).load(i.inviterId) : null;
  }
}
