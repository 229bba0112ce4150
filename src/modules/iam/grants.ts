import type { Executor } from '../../db/client.js';
import type { Context, Subject } from '../../graphql/context.js';
import { forbidden } from '../../graphql/errors.js';
import { isPermission, type GrantScope, type Permission } from '../../iam/permissions.js';
import { GRANT_PATHS, grantRows } from '../../iam/grant-paths.js';
import type { Policy, ResourceKind } from '../../iam/policy.js';

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

/** Everything a subject holds, by every grant path (iam/grant-paths.ts), each at its scope. */
export async function grantsOf(db: Executor, subject: Subject): Promise<Grant[]> {
  const rows = await grantRows(db, { paths: GRANT_PATHS, filter: { subject } });
  return rows.map((r) => ({
    type: r.resourceKind ?? (r.teamId === null ? 'PLATFORM' : 'TEAM'),
    teamId: r.teamId,
    resourceId: r.resourceId,
    permissions: r.permissions.filter(isPermission),
  }));
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

/**
 * Managing IAM where something lives (a role, a policy, an ACL entry) takes iam:manage there:
 * in its team, or on the platform for what is platform-wide.
 */
export async function requireIamManage(ctx: Context, where: { teamId: string | null }, action: string): Promise<void> {
  const refusal = `You need the iam:manage permission ${where.teamId ? 'in the team' : 'on the platform'} to ${action}.`;
  if (!(await managesIam(ctx, where.teamId, refusal))) throw forbidden(refusal);
}

/** Whether the viewer holds iam:manage in the team (or platform-wide); the request relies on it (Policy.stillHolds). */
export async function managesIam(ctx: Context, teamId: string | null, refusal: string): Promise<boolean> {
  const holds = (policy: Policy) => (teamId ? policy.can(teamId, 'iam:manage') : policy.canOnPlatform('iam:manage'));
  const held = await holds(ctx.policy);
  if (held) ctx.policy.relyOn(teamId, holds, refusal);
  return held;
}
