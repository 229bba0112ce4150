import { and, eq, gt, inArray, isNotNull, isNull, not, or, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { aclEntries, apiTokens, appGrants, invitations, memberships, roleBindings, roles } from '../../db/schema/index.js';
import { lockTeam } from './team-service.js';
import { toGlobalId } from '../../graphql/relay.js';
import { TEAM_ROLE_PERMISSIONS, type Permission, type TeamRoleName } from '../../iam/permissions.js';
import { bindingPermissions, roleOfBinding } from '../../iam/policy.js';

/** How many of each path a departure or demotion ended; audit events record it. */
export interface EndedPaths {
  roleBindings: number;
  aclEntries: number;
  invitations: number;
  apiTokens: number;
  appGrants: number;
}

const textArray = (values: Iterable<string>) =>
  sql`array[${sql.join(
    [...values].map((v) => sql`${v}`),
    sql`, `,
  )}]::text[]`;

const notExpired = (column: typeof invitations.expiresAt | typeof apiTokens.expiresAt) => or(isNull(column), gt(column, new Date()));

/**
 * Ends, in the caller's transaction, every grant path a user set up in a team besides their
 * membership, so that leaving the team leaves them nothing of it: the bindings and ACL entries they
 * hold in the team and on its resources, their pending invitations (they could have invited
 * another address of theirs), the tokens they minted for the team's service accounts, and grants
 * of the team's apps to teams they own (or granted to a team of theirs themselves).
 *
 * `within` is for a demotion: the new role's permissions. Then only what the user could no longer
 * set up ends: bindings and entries giving anything outside it, invitations without
 * team:members:manage (or to a role wider than it), tokens without iam:manage, app grants without
 * app:grant. Without it (leaving, removal, account deletion) everything ends.
 */
export async function endPathsSetUpBy(tx: Tx, userId: string, teamId: string, within?: ReadonlySet<Permission>): Promise<EndedPaths> {
  // Exclusive: a grant being set up in the team meanwhile either commits first (and is ended
  // below) or waits and then finds its actor gone (Policy.stillHolds).
  await lockTeam(tx, teamId);
  const lacks = (p: Permission) => !within || !within.has(p);
  const exceeding = (permissions: SQL) => (within ? not(sql`${permissions} <@ ${textArray(within)}`) : undefined);

  const bindings = await tx
    .delete(roleBindings)
    .where(
      inArray(
        roleBindings.id,
        tx
          .select({ id: roleBindings.id })
          .from(roleBindings)
          .leftJoin(roles, roleOfBinding)
          .where(and(eq(roleBindings.userId, userId), eq(roleBindings.teamId, teamId), exceeding(bindingPermissions))),
      ),
    )
    .returning({ id: roleBindings.id });

  const entries = await tx
    .delete(aclEntries)
    .where(and(eq(aclEntries.userId, userId), eq(aclEntries.teamId, teamId), exceeding(sql`array[${aclEntries.permission}]`)))
    .returning({ id: aclEntries.id });

  const widerRoles = (Object.keys(TEAM_ROLE_PERMISSIONS) as TeamRoleName[]).filter((r) =>
    [...TEAM_ROLE_PERMISSIONS[r]].some((p) => lacks(p)),
  );
  const invited =
    lacks('team:members:manage') || widerRoles.length
      ? await tx
          .update(invitations)
          .set({ status: 'REVOKED', respondedAt: new Date() })
          .where(
            and(
              eq(invitations.inviterId, userId),
              eq(invitations.teamId, teamId),
              eq(invitations.status, 'PENDING'),
              notExpired(invitations.expiresAt),
              lacks('team:members:manage') ? undefined : inArray(invitations.role, widerRoles),
            ),
          )
          .returning({ id: invitations.id })
      : [];

  const tokens = lacks('iam:manage')
    ? await tx
        .update(apiTokens)
        .set({ revokedAt: new Date() })
        .where(
          and(
            eq(apiTokens.createdById, userId),
            eq(apiTokens.teamId, teamId),
            isNotNull(apiTokens.serviceAccountId),
            isNull(apiTokens.revokedAt),
            notExpired(apiTokens.expiresAt),
          ),
        )
        .returning({ id: apiTokens.id })
    : [];

  const theirTeams = (ownerOnly: boolean) =>
    tx
      .select({ id: memberships.teamId })
      .from(memberships)
      .where(and(eq(memberships.userId, userId), ownerOnly ? eq(memberships.role, 'OWNER') : undefined));
  const grants = lacks('app:grant')
    ? await tx
        .delete(appGrants)
        .where(
          and(
            eq(appGrants.teamId, teamId),
            or(
              inArray(appGrants.granteeTeamId, theirTeams(true)),
              and(eq(appGrants.grantedById, userId), inArray(appGrants.granteeTeamId, theirTeams(false))),
            ),
          ),
        )
        .returning({ id: appGrants.id })
    : [];

  return {
    roleBindings: bindings.length,
    aclEntries: entries.length,
    invitations: invited.length,
    apiTokens: tokens.length,
    appGrants: grants.length,
  };
}

/** Ends the paths a user set up in every team they are a member of (account deletion); by team global ID, for the audit event. */
export async function endPathsInAllTeams(tx: Tx, userId: string): Promise<Record<string, EndedPaths>> {
  const teamIds = await tx
    .select({ teamId: memberships.teamId })
    .from(memberships)
    .where(eq(memberships.userId, userId))
    .orderBy(memberships.teamId);
  const ended: Record<string, EndedPaths> = {};
  for (const { teamId } of teamIds) ended[toGlobalId('Team', teamId)] = await endPathsSetUpBy(tx, userId, teamId);
  return ended;
}
