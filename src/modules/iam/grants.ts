import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { aclEntries, roleBindings, roles } from '../../db/schema/index.js';
import type { Context, Subject } from '../../graphql/context.js';
import { forbidden } from '../../graphql/errors.js';
import { isPermission, type GrantScope, type Permission } from '../../iam/permissions.js';
import { bindingPermissions, heldBy, roleOfBinding, type ResourceKind } from '../../iam/policy.js';

/** A scope: the platform, a team, or one resource (owned by `teamId`). */
export interface ScopeRef {
  type: GrantScope;
  teamId: string | null;
  resourceId: string | null;
}

/** Permissions granted at one scope. */
export interface Grant extends ScopeRef {
  permissions: Permission[];
}

/** Everything a subject was granted by bindings (custom roles, single permissions) and ACL entries. */
export async function grantsOf(db: Executor, subject: Subject): Promise<Grant[]> {
  const rows = await db
    .select({
      type: sql<GrantScope>`${roleBindings.scope}::text`,
      teamId: roleBindings.teamId,
      resourceId: roleBindings.resourceId,
      permissions: bindingPermissions,
    })
    .from(roleBindings)
    .leftJoin(roles, roleOfBinding)
    .where(heldBy(roleBindings, subject))
    .unionAll(
      db
        .select({
          type: sql<GrantScope>`${aclEntries.resourceType}::text`,
          teamId: aclEntries.teamId,
          resourceId: aclEntries.resourceId,
          permissions: sql<string[]>`array[${aclEntries.permission}]`,
        })
        .from(aclEntries)
        .where(heldBy(aclEntries, subject)),
    );
  return rows.map((r) => ({ ...r, permissions: r.permissions.filter(isPermission) }));
}

/** The permissions the viewer holds at a grant's scope (batched through the request's policy loaders). */
export async function viewerHoldsAt(ctx: Context, scope: ScopeRef): Promise<ReadonlySet<Permission>> {
  if (scope.type === 'PLATFORM') return ctx.policy.platformPermissions();
  if (scope.type === 'TEAM') return ctx.policy.teamPermissions(scope.teamId!);
  return ctx.policy.resourcePermissions(scope.type as ResourceKind, { id: scope.resourceId!, teamId: scope.teamId! });
}

/**
 * No privilege escalation: refuses (FORBIDDEN, naming what is missing) unless the viewer holds
 * every permission of every grant at its scope.
 */
export async function requireHoldsAll(ctx: Context, grants: Grant[], action: string): Promise<void> {
  const held = await Promise.all(grants.map((g) => viewerHoldsAt(ctx, g)));
  const missing = new Set<string>();
  grants.forEach((g, i) => g.permissions.filter((p) => !held[i].has(p)).forEach((p) => missing.add(p)));
  if (missing.size)
    throw forbidden(`You cannot ${action}: it would give permissions you do not hold yourself (${[...missing].sort().join(', ')}).`);
}
