import DataLoader from 'dataloader';
import { and, eq, inArray } from 'drizzle-orm';
import { aclEntries, appGrants, memberships, roleBindings, roles, serviceAccounts, teams, users } from '../../db/schema/index.js';
import type { Context, ServiceAccountRow, UserRow } from '../../graphql/context.js';
import { forbidden } from '../../graphql/errors.js';
import { TEAM_ROLE_PERMISSIONS, grantableAt, isPermission, type TeamRoleName } from '../../iam/permissions.js';
import { RESOURCE_PERMISSION_PREFIX, bindingPermissions, roleOfBinding, type ResourceKind, type ResourceRef } from '../../iam/policy.js';

export type AccessSourceKind = 'TEAM_ROLE' | 'TEAM_BINDING' | 'GRANTED_TEAM' | 'RESOURCE_BINDING' | 'ACL';

export interface AccessSourceView {
  kind: AccessSourceKind;
  /** The built-in or custom role behind it, if any. */
  role: string | null;
  /** The team it comes through (the owner team, or the team an app was granted to). */
  teamSlug: string | null;
  permissions: string[];
}

export interface CollaboratorView {
  user: UserRow | null;
  serviceAccount: ServiceAccountRow | null;
  permissions: string[];
  sources: AccessSourceView[];
}

interface Row {
  resourceId: string;
  kind: AccessSourceKind;
  userId: string | null;
  serviceAccountId: string | null;
  role: string | null;
  teamSlug: string | null;
  permissions: string[];
}

/**
 * Who holds permissions on each resource and why, for a batch of resources of one kind: members
 * of the owner team (role) and subjects bound in it, for apps the members of teams the app was
 * granted to, and bindings and ACL entries on the resource itself. Platform-wide access (platform
 * admins, platform bindings) is left out: it covers every resource alike.
 */
function collaboratorsLoader(ctx: Context, kind: string) {
  const resourceKind = kind as ResourceKind;
  return new DataLoader<string, CollaboratorView[]>(async (keys) => {
    const refs = keys.map((k) => ({ id: k.split('/')[0], teamId: k.split('/')[1] }));
    const teamIds = [...new Set(refs.map((r) => r.teamId))];
    const ids = refs.map((r) => r.id);
    const db = ctx.db;
    const [members, teamBindings, grants, resourceBindings, acl] = await Promise.all([
      db
        .select({ teamId: memberships.teamId, userId: memberships.userId, role: memberships.role, teamSlug: teams.slug })
        .from(memberships)
        .innerJoin(teams, eq(teams.id, memberships.teamId))
        .where(inArray(memberships.teamId, teamIds)),
      db
        .select({
          teamId: roleBindings.teamId,
          userId: roleBindings.userId,
          serviceAccountId: roleBindings.serviceAccountId,
          role: roles.name,
          teamSlug: teams.slug,
          permissions: bindingPermissions,
        })
        .from(roleBindings)
        .leftJoin(roles, roleOfBinding)
        .innerJoin(teams, eq(teams.id, roleBindings.teamId))
        .where(and(eq(roleBindings.scope, 'TEAM'), inArray(roleBindings.teamId, teamIds))),
      resourceKind === 'APP'
        ? db
            .select({ appId: appGrants.appId, userId: memberships.userId, role: memberships.role, teamSlug: teams.slug })
            .from(appGrants)
            .innerJoin(memberships, eq(memberships.teamId, appGrants.granteeTeamId))
            .innerJoin(teams, eq(teams.id, appGrants.granteeTeamId))
            .where(inArray(appGrants.appId, ids))
        : Promise.resolve([]),
      db
        .select({
          resourceId: roleBindings.resourceId,
          userId: roleBindings.userId,
          serviceAccountId: roleBindings.serviceAccountId,
          role: roles.name,
          permissions: bindingPermissions,
        })
        .from(roleBindings)
        .leftJoin(roles, roleOfBinding)
        .where(and(eq(roleBindings.scope, resourceKind), inArray(roleBindings.resourceId, ids))),
      db
        .select({
          resourceId: aclEntries.resourceId,
          userId: aclEntries.userId,
          serviceAccountId: aclEntries.serviceAccountId,
          permission: aclEntries.permission,
        })
        .from(aclEntries)
        .where(and(eq(aclEntries.resourceType, resourceKind), inArray(aclEntries.resourceId, ids))),
    ]);
    const rows: Row[] = [];
    for (const ref of refs) {
      for (const m of members.filter((m) => m.teamId === ref.teamId))
        rows.push({
          resourceId: ref.id,
          kind: 'TEAM_ROLE',
          userId: m.userId,
          serviceAccountId: null,
          role: m.role,
          teamSlug: m.teamSlug,
          permissions: [...TEAM_ROLE_PERMISSIONS[m.role as TeamRoleName]],
        });
      for (const b of teamBindings.filter((b) => b.teamId === ref.teamId))
        rows.push({
          resourceId: ref.id,
          kind: 'TEAM_BINDING',
          userId: b.userId,
          serviceAccountId: b.serviceAccountId,
          role: b.role,
          teamSlug: b.teamSlug,
          permissions: b.permissions,
        });
      for (const g of grants.filter((g) => g.appId === ref.id))
        rows.push({
          resourceId: ref.id,
          kind: 'GRANTED_TEAM',
          userId: g.userId,
          serviceAccountId: null,
          role: g.role,
          teamSlug: g.teamSlug,
          permissions: [...TEAM_ROLE_PERMISSIONS[g.role as TeamRoleName]],
        });
      for (const b of resourceBindings.filter((b) => b.resourceId === ref.id))
        rows.push({
          resourceId: ref.id,
          kind: 'RESOURCE_BINDING',
          userId: b.userId,
          serviceAccountId: b.serviceAccountId,
          role: b.role,
          teamSlug: null,
          permissions: b.permissions,
        });
      for (const a of acl.filter((a) => a.resourceId === ref.id))
        rows.push({
          resourceId: ref.id,
          kind: 'ACL',
          userId: a.userId,
          serviceAccountId: a.serviceAccountId,
          role: null,
          teamSlug: null,
          permissions: [a.permission],
        });
    }
    // As the policy counts them: team-level sources give the kind's actions; sources on the resource
    // (or through a grant) only what can be granted on one resource.
    const prefix = RESOURCE_PERMISSION_PREFIX[resourceKind];
    const counts = (kind: AccessSourceKind, p: string) =>
      isPermission(p) &&
      (kind === 'TEAM_ROLE' || kind === 'TEAM_BINDING' ? p.startsWith(prefix) && p !== `${prefix}create` : grantableAt(p, resourceKind));
    const relevant = rows
      .map((r) => ({ ...r, permissions: r.permissions.filter((p) => counts(r.kind, p)).sort() }))
      .filter((r) => r.permissions.length > 0);
    const userIds = [...new Set(relevant.flatMap((r) => (r.userId ? [r.userId] : [])))];
    const accountIds = [...new Set(relevant.flatMap((r) => (r.serviceAccountId ? [r.serviceAccountId] : [])))];
    const [people, accounts] = await Promise.all([
      userIds.length ? db.select().from(users).where(inArray(users.id, userIds)) : Promise.resolve([]),
      accountIds.length ? db.select().from(serviceAccounts).where(inArray(serviceAccounts.id, accountIds)) : Promise.resolve([]),
    ]);
    return refs.map((ref) => {
      const bySubject = new Map<string, CollaboratorView>();
      for (const r of relevant.filter((r) => r.resourceId === ref.id)) {
        const key = r.userId ? `u:${r.userId}` : `s:${r.serviceAccountId}`;
        const entry =
          bySubject.get(key) ??
          bySubject
            .set(key, {
              user: r.userId ? (people.find((p) => p.id === r.userId) ?? null) : null,
              serviceAccount: r.serviceAccountId ? (accounts.find((a) => a.id === r.serviceAccountId) ?? null) : null,
              permissions: [],
              sources: [],
            })
            .get(key)!;
        entry.sources.push({ kind: r.kind, role: r.role, teamSlug: r.teamSlug, permissions: r.permissions });
        entry.permissions = [...new Set([...entry.permissions, ...r.permissions])].sort();
      }
      const name = (c: CollaboratorView) => c.user?.email ?? c.serviceAccount?.name ?? '';
      return [...bySubject.values()].sort((a, b) => name(a).localeCompare(name(b)));
    });
  });
}

/** `Bucket/App/Cluster.collaborators`: for holders of iam:manage in the resource's team. */
export async function collaborators(ctx: Context, kind: ResourceKind, resource: ResourceRef): Promise<CollaboratorView[]> {
  if (!(await ctx.policy.can(resource.teamId, 'iam:manage'))) throw forbidden('You need the iam:manage permission to see who has access.');
  return ctx.loaders.get(collaboratorsLoader, kind).load(`${resource.id}/${resource.teamId}`);
}
