import { and, count, eq, gt, ne } from 'drizzle-orm';
import { z } from 'zod';
import { newSecret, hashSecret } from '../../auth/secrets.js';
import { declaredUser, requireViewer, viewerName } from '../../auth/viewer.js';
import type { Tx } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { invitations, memberships, users } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { forbidden, notFound } from '../../graphql/errors.js';
import { toGlobalId } from '../../graphql/relay.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { fields, parseInput } from '../../graphql/validation.js';
import { TEAM_ROLE_PERMISSIONS, type Permission, type TeamRoleName } from '../../iam/permissions.js';
import { audited } from '../events/audit.js';
import { endPathsSetUpBy } from './departure.js';
import { invitationById, membershipById, viewerMembershipByTeam } from './loaders.js';
import { lockTeam, lockTeamOwner } from './team-service.js';
import type { InvitationRow, MembershipRow, TeamRow } from './types.js';
import { limitMail } from '../../mail/mail-limit.js';

const assignableRole = z.enum(['ADMIN', 'MEMBER', 'VIEWER'], {
  error: 'must be ADMIN, MEMBER or VIEWER; ownership moves only with transferTeamOwnership',
});

/**
 * The permissions of a role that the viewer does not hold in the team, sorted. Nobody hands out,
 * changes or takes away a role holding more than they hold themself there, with their token's
 * scopes applied (a token scoped to team:members:manage alone hands out no role at all).
 */
async function roleBeyondViewer(ctx: Context, teamId: string, role: TeamRoleName): Promise<Permission[]> {
  const held = await ctx.policy.teamPermissions(teamId);
  return [...TEAM_ROLE_PERMISSIONS[role]].filter((p) => !held.has(p)).sort();
}

/** Refuses (NOT_ALLOWED on `role`) to make anyone a role the viewer could not hold. */
async function ensureMayGrantRole(ctx: Context, teamId: string, role: TeamRoleName): Promise<void> {
  const missing = await roleBeyondViewer(ctx, teamId, role);
  if (missing.length)
    throw userError(
      'role',
      UserErrorCode.NOT_ALLOWED,
      `role ${role} holds permissions you do not hold in this team (${missing.join(', ')}).`,
    );
}

/** Refuses (FORBIDDEN) to change or remove a member whose role holds what the viewer does not. */
async function ensureMayTouchMember(ctx: Context, target: MembershipRow, action: string): Promise<void> {
  const missing = await roleBeyondViewer(ctx, target.teamId, target.role);
  if (missing.length)
    throw forbidden(
      `You cannot ${action} this ${target.role}: that role holds permissions you do not hold in this team (${missing.join(', ')}).`,
    );
}

async function membership(ctx: Context, membershipId: string): Promise<MembershipRow> {
  const row = await ctx.loaders.get(membershipById).load(membershipId);
  if (!row) throw notFound('Membership');
  return row;
}

/** Members plus pending invitations, counted under the team lock, against maxMembers. */
async function ensureSeat(tx: Tx, teamId: string): Promise<TeamRow> {
  const team = await lockTeam(tx, teamId);
  const [{ members }] = await tx.select({ members: count() }).from(memberships).where(eq(memberships.teamId, teamId));
  const [{ pending }] = await tx
    .select({ pending: count() })
    .from(invitations)
    .where(and(eq(invitations.teamId, teamId), eq(invitations.status, 'PENDING'), gt(invitations.expiresAt, new Date())));
  if (members + pending >= team.maxMembers)
    throw userError(
      null,
      UserErrorCode.LIMIT_REACHED,
      `The team has ${members} members and ${pending} pending invitations, its limit of ${team.maxMembers}; remove someone or revoke an invitation first.`,
    );
  return team;
}

const inviteSchema = z.object({ email: fields.email, role: assignableRole });

export async function inviteMember(
  ctx: Context,
  teamId: string,
  rawInput: { email: unknown; role: unknown },
): Promise<{ invitation: InvitationRow }> {
  await limitMail(ctx, rawInput.email);
  const input = parseInput(inviteSchema, rawInput);
  await ensureMayGrantRole(ctx, teamId, input.role);
  const token = newSecret('invitation');
  const taken = () => userError('email', UserErrorCode.TAKEN, `${input.email} already has a pending invitation to this team.`);
  try {
    return await audited(ctx, 'team.invitation.create', async (tx) => {
      const team = await ensureSeat(tx, teamId);
      await ctx.policy.stillHolds(tx);
      const [member] = await tx
        .select({ id: memberships.id })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.teamId, teamId), eq(users.email, input.email)));
      if (member) throw userError('email', UserErrorCode.TAKEN, `${input.email} is already a member of this team.`);
      const [pending] = await tx
        .select({ id: invitations.id, expiresAt: invitations.expiresAt })
        .from(invitations)
        .where(and(eq(invitations.teamId, teamId), eq(invitations.email, input.email), eq(invitations.status, 'PENDING')));
      if (pending && pending.expiresAt > new Date()) throw taken();
      // An expired invitation makes room for a new one.
      if (pending) await tx.update(invitations).set({ status: 'REVOKED', respondedAt: new Date() }).where(eq(invitations.id, pending.id));
      const [invitation] = await tx
        .insert(invitations)
        .values({
          teamId,
          email: input.email,
          role: input.role,
          inviterId: ctx.viewer!.user?.id ?? null,
          tokenHash: hashSecret(token),
          expiresAt: new Date(Date.now() + ctx.app.config.invitationTtlSeconds * 1000),
        })
        .returning();
      await ctx.app.mail.enqueue(tx, {
        kind: 'invitation',
        recipient: input.email,
        subject: `You are invited to join ${team.name} on Graphplane`,
        body: `${viewerName(ctx.viewer!)} invited you to join the team "${team.name}" (${team.slug}) as ${input.role}. Accept with the acceptInvitation mutation and this token: ${token}`,
        payload: { invitationId: invitation.id, teamId, token },
      });
      return {
        result: { invitation },
        target: { type: 'Invitation', id: invitation.id },
        teamId,
        data: { email: input.email, role: input.role },
      };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'invitations_one_pending_key')) throw taken();
    throw error;
  }
}

/** Accepts by token (from the mail) or by id (from the viewer's pending invitations). */
export async function acceptInvitation(
  ctx: Context,
  by: { token?: string | null; invitationId?: string | null },
): Promise<{ membership: MembershipRow }> {
  // Joining a team is an account change: not for narrowed tokens (declared).
  const viewer = declaredUser(ctx);
  if (!by.token === !by.invitationId)
    throw userError(null, UserErrorCode.REQUIRED, 'Give either token (from the invitation mail) or invitationId, not both.');
  const expired = () =>
    userError(
      by.token ? 'token' : 'invitationId',
      UserErrorCode.EXPIRED,
      'This invitation is no longer valid: it expired, was revoked or was already used. Ask for a new one.',
    );
  const alreadyMember = () => userError(null, UserErrorCode.TAKEN, 'You are already a member of this team.');
  return audited(ctx, 'team.member.join', async (tx) => {
    const [invitation] = await tx
      .select()
      .from(invitations)
      .where(by.token ? eq(invitations.tokenHash, hashSecret(by.token)) : eq(invitations.id, by.invitationId!))
      .for('update');
    // By id, only the addressee may accept, once they proved the address is theirs; anything else
    // is indistinguishable from "no such invitation".
    if (!invitation || (!by.token && (invitation.email !== viewer.user.email || !viewer.user.emailVerifiedAt))) {
      if (by.token) throw expired();
      throw notFound('Invitation');
    }
    if (invitation.status !== 'PENDING' || invitation.expiresAt <= new Date()) throw expired();
    const [existing] = await tx
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.teamId, invitation.teamId), eq(memberships.userId, viewer.user.id)));
    if (existing) throw alreadyMember();
    const [membership] = await tx
      .insert(memberships)
      .values({ teamId: invitation.teamId, userId: viewer.user.id, role: invitation.role })
      .returning();
    await tx
      .update(invitations)
      .set({ status: 'ACCEPTED', acceptedById: viewer.user.id, respondedAt: new Date() })
      .where(eq(invitations.id, invitation.id));
    return {
      result: { membership },
      target: { type: 'Membership', id: membership.id },
      teamId: invitation.teamId,
      data: { invitationId: toGlobalId('Invitation', invitation.id), role: invitation.role },
    };
  }).catch((error) => {
    // Two invitations to one team accepted at once: the second insert meets the first's membership.
    if (isUniqueViolation(error, 'memberships_team_user_key')) throw alreadyMember();
    throw error;
  });
}

/** Withdraws an invitation (team managers) or declines it (the invitee). */
export async function revokeInvitation(ctx: Context, invitationId: string): Promise<{ invitation: InvitationRow }> {
  const viewer = requireViewer(ctx);
  const invitation = await ctx.loaders.get(invitationById).load(invitationId);
  if (!invitation) throw notFound('Invitation');
  if (invitation.email !== viewer.user?.email) await ctx.policy.require(invitation.teamId, 'team:members:manage', 'revoke this invitation');
  if (invitation.status !== 'PENDING')
    throw userError('invitationId', UserErrorCode.EXPIRED, `The invitation is already ${invitation.status.toLowerCase()}.`);
  return audited(ctx, 'team.invitation.revoke', async (tx) => {
    const [updated] = await tx
      .update(invitations)
      .set({ status: 'REVOKED', respondedAt: new Date() })
      .where(and(eq(invitations.id, invitationId), eq(invitations.status, 'PENDING')))
      .returning();
    if (!updated) throw userError('invitationId', UserErrorCode.EXPIRED, 'The invitation was answered meanwhile.');
    return { result: { invitation: updated }, target: { type: 'Invitation', id: invitationId }, teamId: invitation.teamId };
  });
}

/**
 * The owner checks above run before the transaction; an ownership transfer may land in between.
 * Writes are therefore conditional on the member still not being the owner, so a team never
 * loses its owner.
 */
const nonOwner = (membershipId: string) => and(eq(memberships.id, membershipId), ne(memberships.role, 'OWNER'));

async function changeNonOwner<R>(write: Promise<R[]>): Promise<R[]> {
  const rows = await write;
  if (!rows.length)
    throw userError(null, UserErrorCode.NOT_ALLOWED, 'The member became the team’s owner or left meanwhile; reload and try again.');
  return rows;
}

export async function removeMember(ctx: Context, membershipId: string): Promise<{ membership: MembershipRow }> {
  const target = await membership(ctx, membershipId);
  if (target.role === 'OWNER')
    throw userError('membershipId', UserErrorCode.NOT_ALLOWED, 'The owner cannot be removed; transfer ownership first.');
  await ensureMayTouchMember(ctx, target, 'remove');
  return audited(ctx, 'team.member.remove', async (tx) => {
    // Paths first: that takes the team's lock before any membership row, in a transfer's order.
    const ended = await endPathsSetUpBy(tx, target.userId, target.teamId);
    await changeNonOwner(tx.delete(memberships).where(nonOwner(membershipId)).returning({ id: memberships.id }));
    return {
      result: { membership: target },
      target: { type: 'Membership', id: membershipId },
      teamId: target.teamId,
      data: { userId: toGlobalId('User', target.userId), ended },
    };
  });
}

export async function setMemberRole(ctx: Context, membershipId: string, rawRole: unknown): Promise<{ membership: MembershipRow }> {
  const { role } = parseInput(z.object({ role: assignableRole }), { role: rawRole });
  const target = await membership(ctx, membershipId);
  if (target.role === 'OWNER')
    throw userError('membershipId', UserErrorCode.NOT_ALLOWED, 'The owner’s role cannot be changed; transfer ownership instead.');
  await ensureMayGrantRole(ctx, target.teamId, role);
  await ensureMayTouchMember(ctx, target, 'change the role of');
  const newPermissions = TEAM_ROLE_PERMISSIONS[role];
  const demotion = [...TEAM_ROLE_PERMISSIONS[target.role]].some((p) => !newPermissions.has(p));
  return audited(ctx, 'team.member.role', async (tx) => {
    // What they set up for themself under the old role goes where the new one could not have set it up
    // (first: that takes the team's lock before the membership row, in a transfer's order).
    const ended = demotion ? await endPathsSetUpBy(tx, target.userId, target.teamId, newPermissions) : undefined;
    const [updated] = await changeNonOwner(tx.update(memberships).set({ role }).where(nonOwner(membershipId)).returning());
    return {
      result: { membership: updated },
      target: { type: 'Membership', id: membershipId },
      teamId: target.teamId,
      data: { from: target.role, to: role, ...(ended ? { ended } : {}) },
    };
  });
}

export async function transferTeamOwnership(
  ctx: Context,
  teamId: string,
  rawEmail: unknown,
): Promise<{ membership: MembershipRow; previousOwner: MembershipRow }> {
  // Ownership is a person's: a service account holding team:transfer cannot hand a team over (declared).
  const { newOwnerEmail } = parseInput(z.object({ newOwnerEmail: fields.email }), { newOwnerEmail: rawEmail });
  return audited(ctx, 'team.owner.transfer', async (tx) => {
    await lockTeam(tx, teamId);
    const notMember = () =>
      userError('newOwnerEmail', UserErrorCode.INVALID, `${newOwnerEmail} is not a member of this team; invite them first.`);
    const [target] = await tx
      .select({ membership: memberships })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.teamId, teamId), eq(users.email, newOwnerEmail)));
    if (!target) throw notMember();
    if (target.membership.role === 'OWNER')
      throw userError('newOwnerEmail', UserErrorCode.NOT_ALLOWED, `${newOwnerEmail} already owns this team.`);
    // The new owner's row lock (after the team's, as everywhere) holds off deleting their account meanwhile.
    const newOwner = await lockTeamOwner(tx, target.membership.userId, (owned) =>
      userError(
        'newOwnerEmail',
        UserErrorCode.LIMIT_REACHED,
        `${newOwnerEmail} already owns ${owned} team${owned === 1 ? '' : 's'}, their limit; they must give one up or an admin must raise their limit first.`,
      ),
    );
    if (!newOwner) throw notMember();
    // Demote first: the one-owner index allows no moment with two owners.
    const [previousOwner] = await tx
      .update(memberships)
      .set({ role: 'ADMIN' })
      .where(and(eq(memberships.teamId, teamId), eq(memberships.role, 'OWNER')))
      .returning();
    const [membership] = await tx.update(memberships).set({ role: 'OWNER' }).where(eq(memberships.id, target.membership.id)).returning();
    // Removed or left meanwhile: roll back, the old owner stays.
    if (!membership) throw notMember();
    return {
      result: { membership, previousOwner },
      target: { type: 'Team', id: teamId },
      teamId,
      data: { from: previousOwner ? toGlobalId('User', previousOwner.userId) : null, to: toGlobalId('User', membership.userId) },
    };
  });
}

/** The viewer's own membership in a team, or NOT_FOUND. */
async function ownMembership(ctx: Context, teamId: string): Promise<MembershipRow> {
  const own = await ctx.loaders.get(viewerMembershipByTeam).load(teamId);
  if (!own) throw notFound('Team');
  return own;
}

export async function leaveTeam(ctx: Context, teamId: string): Promise<{ membership: MembershipRow }> {
  const own = await ownMembership(ctx, teamId);
  if (own.role === 'OWNER')
    throw userError('teamId', UserErrorCode.NOT_ALLOWED, 'The owner cannot leave the team; transfer ownership or delete the team.');
  return audited(ctx, 'team.member.leave', async (tx) => {
    const ended = await endPathsSetUpBy(tx, own.userId, teamId);
    await changeNonOwner(tx.delete(memberships).where(nonOwner(own.id)).returning({ id: memberships.id }));
    return { result: { membership: own }, target: { type: 'Membership', id: own.id }, teamId, data: { ended } };
  });
}

/** Updates the viewer's own notification state or options (PM2 manage_notif, user_options). */
export async function updateOwnMembership(
  ctx: Context,
  teamId: string,
  change: { notification?: 'EMAIL' | 'NONE'; options?: Record<string, unknown> },
): Promise<{ membership: MembershipRow }> {
  const own = await ownMembership(ctx, teamId);
  if (change.options !== undefined && JSON.stringify(change.options).length > 16_384)
    throw userError('options', UserErrorCode.TOO_LONG, 'options must be at most 16 KB of JSON.');
  return audited(ctx, change.notification ? 'team.member.notification' : 'team.member.options', async (tx) => {
    const [membership] = await tx.update(memberships).set(change).where(eq(memberships.id, own.id)).returning();
    return { result: { membership }, target: { type: 'Membership', id: own.id }, teamId, data: change.notification ? change : {} };
  });
}
