import { ArgsType, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { invitations, memberships, teams } from '../../db/schema/index.js';
import { ConnectionArgs, connectionType, orderInput } from '../../graphql/connection.js';
import { TeamRole } from '../../graphql/enums.js';
import { Node } from '../../graphql/relay.js';
import { BigIntScalar, DateTime, JSONScalar } from '../../graphql/scalars.js';

export type TeamRow = typeof teams.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;

export enum NotificationState {
  EMAIL = 'EMAIL',
  NONE = 'NONE',
}
registerEnumType(NotificationState, {
  name: 'NotificationState',
  description: 'How a member hears about their team’s events (PM2 manage_notif).',
  valuesConfig: { EMAIL: { description: 'By email.' }, NONE: { description: 'Not at all.' } },
});

export enum InvitationStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(InvitationStatus, {
  name: 'InvitationStatus',
  description: 'Where an invitation stands.',
  valuesConfig: {
    PENDING: { description: 'Sent and waiting for the invitee.' },
    ACCEPTED: { description: 'The invitee joined the team.' },
    REVOKED: { description: 'Withdrawn by a team manager or declined by the invitee.' },
    EXPIRED: { description: 'Not accepted in time.' },
  },
});

@ObjectType({ description: 'Quotas of a team (Storj project limits).' })
export class TeamLimits {
  @Field(() => Int, { description: 'How many apps the team may own.' })
  maxApps!: number;
  @Field(() => Int, { description: 'How many clusters the team may own.' })
  maxClusters!: number;
  @Field(() => Int, { description: 'How many buckets the team may own.' })
  maxBuckets!: number;
  @Field(() => Int, { description: 'How many members (counting pending invitations) the team may have.' })
  maxMembers!: number;
  @Field(() => BigIntScalar, { description: 'Storage the team’s buckets may use, in bytes.' })
  storageBytes!: bigint;
  @Field(() => BigIntScalar, { description: 'Egress bandwidth per month, in bytes.' })
  bandwidthBytes!: bigint;
  @Field(() => Int, { description: 'Requests per second the team’s buckets may serve.' })
  rateLimit!: number;
}

@ObjectType({
  implements: Node,
  description: 'A team owns apps, clusters and buckets, and has members with roles (tsuru team, Storj project, Numspot space).',
})
export class Team extends Node {
  @Field(() => String, { description: 'Unique short name used in URLs: 2–63 lowercase letters, digits or hyphens.' })
  slug!: string;
  @Field(() => String, { description: 'Display name.' })
  name!: string;
  @Field(() => String, { description: 'Free-form description (may be empty).' })
  description!: string;
  @Field(() => [String], { description: 'Labels for grouping and filtering.' })
  tags!: string[];
  @Field(() => DateTime, { description: 'When the team was created.' })
  createdAt!: Date;
  @Field(() => DateTime, { description: 'When the team was last changed.' })
  updatedAt!: Date;
}

@ObjectType({ implements: Node, description: 'A user’s membership in a team, with their role and preferences.' })
export class Membership extends Node {
  @Field(() => TeamRole, { description: 'The member’s built-in role in the team.' })
  role!: TeamRole;
  @Field(() => NotificationState, { description: 'How the member is notified of team events.' })
  notification!: NotificationState;
  @Field(() => JSONScalar, { description: 'Free-form per-member options (PM2 user_options).' })
  options!: unknown;
  @Field(() => DateTime, { description: 'When the user joined the team.', name: 'since' })
  createdAt!: Date;
}

@ObjectType({ implements: Node, description: 'An invitation for an email address to join a team with a role.' })
export class Invitation extends Node {
  @Field(() => String, { description: 'The invited email address (normalized to lower case).' })
  email!: string;
  @Field(() => TeamRole, { description: 'The role the invitee gets on accepting.' })
  role!: TeamRole;
  @Field(() => DateTime, { description: 'When the invitation stops being valid.' })
  expiresAt!: Date;
  @Field(() => DateTime, { description: 'When the invitation was sent.' })
  createdAt!: Date;
  @Field(() => DateTime, { nullable: true, description: 'When it was accepted or revoked.' })
  respondedAt!: Date | null;
}

export const TeamConnection = connectionType(Team, 'Team', 'teams');
export const MembershipConnection = connectionType(Membership, 'Membership', 'team memberships');
export const InvitationConnection = connectionType(Invitation, 'Invitation', 'invitations');

export enum TeamOrderField {
  NAME = 'NAME',
  SLUG = 'SLUG',
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(TeamOrderField, {
  name: 'TeamOrderField',
  description: 'Fields teams can be ordered by.',
  valuesConfig: { NAME: { description: 'By name.' }, SLUG: { description: 'By slug.' }, CREATED_AT: { description: 'By creation time.' } },
});
export const TeamOrder = orderInput(TeamOrderField, 'Team', 'teams');

@InputType({ description: 'Narrows a list of teams.' })
export class TeamFilter {
  @Field(() => String, { nullable: true, description: 'Teams whose name or slug contains this text (case-insensitive).' })
  search?: string | null;
  @Field(() => String, { nullable: true, description: 'Teams carrying this tag.' })
  tag?: string | null;
}

@ArgsType()
export class TeamConnectionArgs extends ConnectionArgs {
  @Field(() => TeamOrder, { nullable: true, description: 'Order of the teams; by name, A to Z, by default.' })
  orderBy?: InstanceType<typeof TeamOrder> | null;
  @Field(() => TeamFilter, { nullable: true, description: 'Only teams matching this filter.' })
  filter?: TeamFilter | null;
}

export enum MembershipOrderField {
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(MembershipOrderField, {
  name: 'MembershipOrderField',
  description: 'Fields memberships can be ordered by.',
  valuesConfig: { CREATED_AT: { description: 'By when the member joined.' } },
});
export const MembershipOrder = orderInput(MembershipOrderField, 'Membership', 'memberships');

@ArgsType()
export class MembershipConnectionArgs extends ConnectionArgs {
  @Field(() => MembershipOrder, { nullable: true, description: 'Order of the memberships; oldest first by default.' })
  orderBy?: InstanceType<typeof MembershipOrder> | null;
  @Field(() => TeamRole, { nullable: true, description: 'Only members with this role.' })
  role?: TeamRole | null;
}

export enum InvitationOrderField {
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(InvitationOrderField, {
  name: 'InvitationOrderField',
  description: 'Fields invitations can be ordered by.',
  valuesConfig: { CREATED_AT: { description: 'By when the invitation was sent.' } },
});
export const InvitationOrder = orderInput(InvitationOrderField, 'Invitation', 'invitations');

@ArgsType()
export class InvitationConnectionArgs extends ConnectionArgs {
  @Field(() => InvitationOrder, { nullable: true, description: 'Order of the invitations; newest first by default.' })
  orderBy?: InstanceType<typeof InvitationOrder> | null;
  @Field(() => InvitationStatus, {
    nullable: true,
    description: 'Only invitations in this state. Team lists default to all; the viewer’s list shows pending ones.',
  })
  status?: InvitationStatus | null;
}
