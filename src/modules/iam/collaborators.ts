import DataLoader from 'dataloader';
import { inArray } from 'drizzle-orm';
import { serviceAccounts, teams, users } from '../../db/schema/index.js';
import type { Context, ServiceAccountRow, UserRow } from '../../graphql/context.js';
import { forbidden } from '../../graphql/errors.js';
import { effectivePermissions, grantRows, pathsAt, type AccessSource, type GrantRow } from '../../iam/grant-paths.js';
import { RESOURCE_PERMISSION_PREFIX, type ResourceKind, type ResourceRef } from '../../iam/policy.js';

export type AccessSourceKind = Exclude<AccessSource, 'PLATFORM_BINDING'>;

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

/**
 * Who holds permissions on each resource and why, for a batch of resources of one kind, read from
 * the grant paths (iam/grant-paths.ts) the policy itself decides by: the owner team's paths
 * (members' roles, team bindings) and the paths onto the resource itself (bindings, ACL entries,
 * for apps grants to other teams). Platform-wide access is left out: it covers every resource alike.
 */
function collaboratorsLoader(ctx: Context, kind: string) {
  const resourceKind = kind as ResourceKind;
  const prefix = RESOURCE_PERMISSION_PREFIX[resourceKind];
  // What the resource's collaborators may do to it: its kind's actions (creating is a team matter).
  const onResource = (row: GrantRow) =>
    [...effectivePermissions(row)].filter((p) => p.startsWith(prefix) && p !== `${prefix}create`).sort();
  return new DataLoader<string, CollaboratorView[]>(async (keys) => {
    const refs = keys.map((k) => ({ id: k.split('/')[0], teamId: k.split('/')[1] }));
    const rows = await grantRows(
      ctx.db,
      { paths: pathsAt(['TEAM']), filter: { teamIds: [...new Set(refs.map((r) => r.teamId))] } },
      { paths: pathsAt(['RESOURCE'], resourceKind), filter: { kind: resourceKind, resourceIds: refs.map((r) => r.id) } },
    );
    const relevant = rows.map((r) => ({ ...r, granted: onResource(r) })).filter((r) => r.granted.length > 0);
    const ids = (pick: (r: GrantRow) => string | null) => [...new Set(relevant.flatMap((r) => pick(r) ?? []))];
    const [userIds, accountIds, teamIds] = [ids((r) => r.userId), ids((r) => r.serviceAccountId), ids((r) => r.viaTeamId)];
    const [people, accounts, slugs] = await Promise.all([
      userIds.length ? ctx.db.select().from(users).where(inArray(users.id, userIds)) : [],
      accountIds.length ? ctx.db.select().from(serviceAccounts).where(inArray(serviceAccounts.id, accountIds)) : [],
      teamIds.length ? ctx.db.select({ id: teams.id, slug: teams.slug }).from(teams).where(inArray(teams.id, teamIds)) : [],
    ]);
    return refs.map((ref) => {
      const bySubject = new Map<string, CollaboratorView>();
      const applies = (r: GrantRow) => (r.resourceId === null ? r.teamId === ref.teamId : r.resourceId === ref.id);
      for (const r of relevant.filter(applies)) {
        const key = r.userId ? `u:${r.userId}` : `s:${r.serviceAccountId}`;
        let entry = bySubject.get(key);
        if (!entry) {
          entry = {
            user: people.find((p) => p.id === r.userId) ?? null,
            serviceAccount: accounts.find((a) => a.id === r.serviceAccountId) ?? null,
            permissions: [],
            sources: [],
          };
          bySubject.set(key, entry);
        }
        entry.sources.push({
          kind: r.source as AccessSourceKind,
          role: r.role,
          teamSlug: slugs.find((t) => t.id === r.viaTeamId)?.slug ?? null,
          permissions: r.granted,
        });
        entry.permissions = [...new Set([...entry.permissions, ...r.granted])].sort();
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
