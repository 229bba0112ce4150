import DataLoader from 'dataloader';
import { containsPattern } from '../../db/like.js';
import { and, eq, getTableColumns, gt, ilike, inArray, isNotNull, lte, or, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { invitations, memberships, teams, users } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { anyOf } from '../../iam/policy.js';
import { OrderDirection, defineConnection } from '../../graphql/connection.js';
import { byKeys } from '../../graphql/loaders.js';
import { CONDITION, RowReader, isAnyOf } from '../../db/read.js';
import { userProfile, type UserProfile } from '../users/loaders.js';
import {
  InvitationStatus,
  type InvitationConnectionArgs,
  type MembershipConnectionArgs,
  type TeamConnectionArgs,
  type TeamRow,
} from './types.js';

const teamRow = new RowReader(getTableColumns(teams));
const membershipRow = new RowReader(getTableColumns(memberships));
const selectTeams = teamRow.select((s) => s.from(teams).where(CONDITION));
const selectMemberships = membershipRow.select((s) => s.from(memberships).where(CONDITION));

/** Teams by id, only those the viewer can read. */
export const teamById = (ctx: Context) =>
  new DataLoader<string, TeamRow | null>(async (ids) => {
    const rows = await selectTeams.run(ctx.app.database, and(isAnyOf(teams.id, ids), ctx.policy.teamsGranting(teams.id)));
    return byKeys(ids, rows, (r) => r.id);
  });

/** Teams by slug, only those the viewer can read. */
export const teamBySlug = (ctx: Context) =>
  new DataLoader<string, TeamRow | null>(async (slugs) => {
    const rows = await selectTeams.run(ctx.app.database, and(isAnyOf(teams.slug, slugs), ctx.policy.teamsGranting(teams.id)));
    return byKeys(slugs, rows, (r) => r.slug);
  });

/** Slug and name of any team: what an invitee may see of a team they are not in yet. */
export const teamCardById = (ctx: Context) =>
  new DataLoader<string, { id: string; slug: string; name: string } | null>(async (ids) => {
    const rows = await ctx.db
      .select({ id: teams.id, slug: teams.slug, name: teams.name })
      .from(teams)
      .where(inArray(teams.id, ids as string[]));
    return byKeys(ids, rows, (r) => r.id);
  });

export const membershipById = (ctx: Context) =>
  new DataLoader<string, typeof memberships.$inferSelect | null>(async (ids) => {
    const rows = await ctx.db
      .select()
      .from(memberships)
      .where(and(inArray(memberships.id, ids as string[]), ctx.policy.teamsGranting(memberships.teamId)));
    return byKeys(ids, rows, (r) => r.id);
  });

/** The viewer's own membership in each team (null when not a member). */
export const viewerMembershipByTeam = (ctx: Context) =>
  new DataLoader<string, typeof memberships.$inferSelect | null>(async (teamIds) => {
    // Service accounts are never members: they hold roles through IAM policies only.
    if (!ctx.viewer?.user) return teamIds.map(() => null);
    const rows = await selectMemberships.run(
      ctx.app.database,
      and(eq(memberships.userId, ctx.viewer.user.id), isAnyOf(memberships.teamId, teamIds)),
    );
    return byKeys(teamIds, rows, (r) => r.teamId);
  });

const ownerRow = new RowReader({ ...userProfile.fields, ownedTeamId: memberships.teamId });
const selectOwners = ownerRow.select((s) => s.from(memberships).innerJoin(users, eq(users.id, memberships.userId)).where(CONDITION));

/**
 * Each team's owner, as a user. One join rather than membership-then-user, so the owner does
 * not wait a tick for a second batch (statement counts stay the same from run to run).
 */
export const ownerByTeam = (ctx: Context) =>
  new DataLoader<string, UserProfile | null>(async (teamIds) => {
    const rows = await selectOwners.run(
      ctx.app.database,
      and(isAnyOf(memberships.teamId, teamIds), eq(memberships.role, 'OWNER'), ctx.policy.usersVisible(users.id)),
    );
    return byKeys(teamIds, rows, (r) => r.ownedTeamId);
  });

/** Invitations the viewer may see: those of teams they manage, and those addressed to them. */
export function invitationsVisible(ctx: Context): SQL | undefined {
  if (!ctx.viewer) return sql`false`;
  // The addressee sees theirs once they proved the address is theirs.
  const user = ctx.viewer.user;
  const addressee = user?.emailVerifiedAt ? eq(invitations.email, user.email) : sql`false`;
  return anyOf(ctx.policy.teamsGranting(invitations.teamId, 'team:members:manage'), addressee);
}

export const invitationById = (ctx: Context) =>
  new DataLoader<string, typeof invitations.$inferSelect | null>(async (ids) => {
    const rows = await ctx.db
      .select()
      .from(invitations)
      .where(and(inArray(invitations.id, ids as string[]), invitationsVisible(ctx)));
    return byKeys(ids, rows, (r) => r.id);
  });

const teamOrderColumns = { NAME: teams.name, SLUG: teams.slug, CREATED_AT: teams.createdAt };

function teamFilter(args: TeamConnectionArgs): SQL | undefined {
  const f = args.filter;
  if (!f) return undefined;
  const pattern = f.search ? containsPattern(f.search) : null;
  return and(
    pattern ? or(ilike(teams.name, pattern), ilike(teams.slug, pattern)) : undefined,
    f.tag ? sql`${f.tag} = any(${teams.tags})` : undefined,
  );
}

/** `teams`: every team the viewer can read (all of them for platform admins). */
export const allTeams = defineConnection({
  name: 'teams',
  fields: getTableColumns(teams),
  from: (s) => s.from(teams),
  orderColumns: teamOrderColumns,
  defaultOrder: { field: 'NAME', direction: OrderDirection.ASC },
  where: (ctx, args: TeamConnectionArgs) => and(ctx.policy.teamsGranting(teams.id), teamFilter(args)),
});

/** `User.teams`: the teams a user is a member of, as far as the viewer can read them. */
export const teamsOfUser = defineConnection({
  name: 'User.teams',
  fields: getTableColumns(teams),
  from: (s) => s.from(teams).innerJoin(memberships, eq(memberships.teamId, teams.id)),
  parent: memberships.userId,
  orderColumns: teamOrderColumns,
  defaultOrder: { field: 'NAME', direction: OrderDirection.ASC },
  where: (ctx, args: TeamConnectionArgs) => and(ctx.policy.teamsGranting(teams.id), teamFilter(args)),
});

/** `Team.members`. The team was readable to be reached, so no further check is needed. */
export const membersOfTeam = defineConnection({
  name: 'Team.members',
  fields: getTableColumns(memberships),
  from: (s) => s.from(memberships),
  parent: memberships.teamId,
  orderColumns: { CREATED_AT: memberships.createdAt },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.ASC },
  where: (_ctx, args: MembershipConnectionArgs) => (args.role ? eq(memberships.role, args.role) : undefined),
});

/** `User.memberships`, in the teams the viewer can read. */
export const membershipsOfUser = defineConnection({
  name: 'User.memberships',
  fields: getTableColumns(memberships),
  from: (s) => s.from(memberships),
  parent: memberships.userId,
  orderColumns: { CREATED_AT: memberships.createdAt },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.ASC },
  where: (ctx, args: MembershipConnectionArgs) =>
    and(ctx.policy.teamsGranting(memberships.teamId), args.role ? eq(memberships.role, args.role) : undefined),
});

function invitationStatusFilter(status: InvitationStatus | null | undefined): SQL | undefined {
  const now = new Date();
  switch (status) {
    case InvitationStatus.PENDING:
      return and(eq(invitations.status, 'PENDING'), gt(invitations.expiresAt, now));
    case InvitationStatus.EXPIRED:
      return and(eq(invitations.status, 'PENDING'), lte(invitations.expiresAt, now));
    case InvitationStatus.ACCEPTED:
    case InvitationStatus.REVOKED:
      return eq(invitations.status, status);
    default:
      return undefined;
  }
}

/** `Team.invitations` (the field itself requires team:members:manage). */
export const invitationsOfTeam = defineConnection({
  name: 'Team.invitations',
  fields: getTableColumns(invitations),
  from: (s) => s.from(invitations),
  parent: invitations.teamId,
  orderColumns: { CREATED_AT: invitations.createdAt },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.DESC },
  where: (_ctx, args: InvitationConnectionArgs) => invitationStatusFilter(args.status),
});

/** `User.invitations`: invitations addressed to the user's email; pending ones unless asked otherwise. */
export const invitationsOfUser = defineConnection({
  name: 'User.invitations',
  fields: getTableColumns(invitations),
  // Only to users who verified the address: anyone can sign up with any email.
  from: (s) => s.from(invitations).innerJoin(users, and(eq(users.email, invitations.email), isNotNull(users.emailVerifiedAt))),
  parent: users.id,
  orderColumns: { CREATED_AT: invitations.createdAt },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.DESC },
  where: (_ctx, args: InvitationConnectionArgs) => invitationStatusFilter(args.status ?? InvitationStatus.PENDING),
});

/**
 * SQL condition for lists filtered by a team's slug: the row's team is that team and the viewer can
 * read it (a grantee must not learn an owner team's slug by filtering on it).
 */
export function inReadableTeamWithSlug(ctx: Context, teamIdColumn: AnyColumn, slug: string): SQL {
  return inArray(
    teamIdColumn,
    ctx.db
      .select({ id: teams.id })
      .from(teams)
      .where(and(eq(teams.slug, slug), ctx.policy.teamsGranting(teams.id))),
  );
}
