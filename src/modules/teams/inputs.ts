import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { TeamRole } from '../../graphql/enums.js';
import { JSONScalar } from '../../graphql/scalars.js';
import { Payload } from '../../graphql/user-errors.js';
import { Invitation, Membership, NotificationState, Team } from './types.js';

@InputType({ description: 'A new team; you become its OWNER.' })
export class CreateTeamInput {
  @Field(() => String, { description: 'Unique short name: 2–63 lowercase letters, digits or hyphens.' })
  slug!: string;
  @Field(() => String, { description: 'Display name, 1–100 characters.' })
  name!: string;
  @Field(() => String, { nullable: true, description: 'Description, up to 1000 characters.' })
  description?: string | null;
  @Field(() => [String], { nullable: true, description: 'Up to 20 tags of up to 50 characters.' })
  tags?: string[] | null;
}

@InputType({ description: 'Changes to a team; omitted fields stay as they are.' })
export class UpdateTeamInput {
  @Field(() => ID, { description: 'The team to change.' })
  teamId!: string;
  @Field(() => String, { nullable: true, description: 'New slug.' })
  slug?: string | null;
  @Field(() => String, { nullable: true, description: 'New display name.' })
  name?: string | null;
  @Field(() => String, { nullable: true, description: 'New description.' })
  description?: string | null;
  @Field(() => [String], { nullable: true, description: 'New tags (replaces the old ones).' })
  tags?: string[] | null;
}

@InputType({ description: 'The team to delete.' })
export class DeleteTeamInput {
  @Field(() => ID, { description: 'The team to delete; it must own no apps, clusters or buckets.' })
  teamId!: string;
}

@InputType({ description: 'Who to invite, and with which role.' })
export class InviteMemberInput {
  @Field(() => ID, { description: 'The team to invite to.' })
  teamId!: string;
  @Field(() => String, { description: 'Email address of the invitee; they need no account yet.' })
  email!: string;
  @Field(() => TeamRole, { description: 'Role on joining: ADMIN, MEMBER or VIEWER, not above your own.' })
  role!: TeamRole;
}

@InputType({ description: 'The invitation to accept: its token from the mail, or its ID from `viewer.invitations`.' })
export class AcceptInvitationInput {
  @Field(() => String, { nullable: true, description: 'The token sent in the invitation mail.' })
  token?: string | null;
  @Field(() => ID, { nullable: true, description: 'An invitation addressed to your email (see `viewer.invitations`).' })
  invitationId?: string | null;
}

@InputType({ description: 'The invitation to withdraw or decline.' })
export class RevokeInvitationInput {
  @Field(() => ID, { description: 'The invitation.' })
  invitationId!: string;
}

@InputType({ description: 'The membership to end.' })
export class RemoveMemberInput {
  @Field(() => ID, { description: 'The membership (from `team.members`); not the owner’s.' })
  membershipId!: string;
}

@InputType({ description: 'A member’s new role.' })
export class SetMemberRoleInput {
  @Field(() => ID, { description: 'The membership to change; not the owner’s.' })
  membershipId!: string;
  @Field(() => TeamRole, { description: 'ADMIN, MEMBER or VIEWER, not above your own role.' })
  role!: TeamRole;
}

@InputType({ description: 'Who becomes the team’s owner.' })
export class TransferTeamOwnershipInput {
  @Field(() => ID, { description: 'The team.' })
  teamId!: string;
  @Field(() => String, { description: 'Email of a current member, who becomes OWNER; you become ADMIN.' })
  newOwnerEmail!: string;
}

@InputType({ description: 'The team to leave.' })
export class LeaveTeamInput {
  @Field(() => ID, { description: 'A team you are a member (not the owner) of.' })
  teamId!: string;
}

@InputType({ description: 'Your notification state in a team.' })
export class SetMemberNotificationInput {
  @Field(() => ID, { description: 'A team you are a member of.' })
  teamId!: string;
  @Field(() => NotificationState, { description: 'EMAIL or NONE.' })
  state!: NotificationState;
}

@InputType({ description: 'Your options in a team.' })
export class UpdateMemberOptionsInput {
  @Field(() => ID, { description: 'A team you are a member of.' })
  teamId!: string;
  @Field(() => JSONScalar, { description: 'A JSON object, up to 16 KB; replaces the previous options.' })
  options!: unknown;
}

@ObjectType({ description: 'Result of createTeam.' })
export class CreateTeamPayload extends Payload {
  @Field(() => Team, { nullable: true, description: 'The new team.' })
  team?: Team | null;
}

@ObjectType({ description: 'Result of updateTeam.' })
export class UpdateTeamPayload extends Payload {
  @Field(() => Team, { nullable: true, description: 'The changed team.' })
  team?: Team | null;
}

@ObjectType({ description: 'Result of deleteTeam.' })
export class DeleteTeamPayload extends Payload {
  @Field(() => ID, { nullable: true, description: 'The ID of the deleted team.' })
  deletedTeamId?: string | null;
}

@ObjectType({ description: 'Result of inviteMember.' })
export class InviteMemberPayload extends Payload {
  @Field(() => Invitation, { nullable: true, description: 'The invitation; its token went to the invitee by mail.' })
  invitation?: Invitation | null;
}

@ObjectType({ description: 'Result of acceptInvitation.' })
export class AcceptInvitationPayload extends Payload {
  @Field(() => Membership, { nullable: true, description: 'Your new membership.' })
  membership?: Membership | null;
}

@ObjectType({ description: 'Result of revokeInvitation.' })
export class RevokeInvitationPayload extends Payload {
  @Field(() => Invitation, { nullable: true, description: 'The revoked invitation.' })
  invitation?: Invitation | null;
}

@ObjectType({ description: 'Result of removeMember or leaveTeam.' })
export class RemoveMemberPayload extends Payload {
  @Field(() => ID, { nullable: true, description: 'The ID of the ended membership.' })
  deletedMembershipId?: string | null;
  @Field(() => Team, { nullable: true, description: 'The team, if you can still read it.' })
  team?: Team | null;
}

@ObjectType({ description: 'Result of a change to a membership.' })
export class MembershipPayload extends Payload {
  @Field(() => Membership, { nullable: true, description: 'The changed membership.' })
  membership?: Membership | null;
}

@ObjectType({ description: 'Result of transferTeamOwnership.' })
export class TransferTeamOwnershipPayload extends Payload {
  @Field(() => Membership, { nullable: true, description: 'The new owner’s membership.' })
  membership?: Membership | null;
  @Field(() => Membership, { nullable: true, description: 'The previous owner’s membership, now ADMIN.' })
  previousOwner?: Membership | null;
}
