import { and, eq, inArray, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client.js';
import { memberships, roleBindings, roles, serviceAccounts, users } from '../../db/schema/index.js';
import type { Context, Subject } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { UserErrorCode, UserErrors, userError, type UserError } from '../../graphql/user-errors.js';
import { parseInput } from '../../graphql/validation.js';
import { PERMISSIONS, builtInRoleById, grantableAt, isPermission, type GrantScope, type Permission } from '../../iam/permissions.js';
import { heldBy, roleOfBinding } from '../../iam/policy.js';
import { audited } from '../events/audit.js';
import { readableTeam } from '../teams/team-service.js';
import { requireHoldsAll, requireIamManage, type ScopeRef } from './grants.js';
import { RESOURCE_NODE_TYPE, readableResource } from './resources.js';
import { BUILT_IN_VIEWS, viewOfRole, type RoleView } from './roles.js';

export interface IamPolicyView {
  subject: Subject;
  scope: ScopeRef;
  roles: RoleView[];
  permissions: string[];
}

/**
 * What is wrong with a scope's id, if anything: it is required for a team or resource and left out
 * for the platform. The message follows the field's name. Callers refuse as their kind of field
 * does: a userError in mutations, BAD_USER_INPUT in queries (which have no userErrors).
 */
export function scopeIdProblem(type: GrantScope, hasId: boolean): { code: UserErrorCode; message: string } | null {
  if (type === 'PLATFORM' && hasId) return { code: UserErrorCode.INVALID, message: 'must be left out for the PLATFORM scope' };
  if (type !== 'PLATFORM' && !hasId) return { code: UserErrorCode.REQUIRED, message: `is required for the ${type} scope` };
  return null;
}

/**
 * The scope named by the client, when the viewer can read it (NOT_FOUND otherwise, as for any
 * unreadable object). The resolvers have refused a missing or extra id already (scopeIdProblem).
 */
export async function resolveScope(ctx: Context, type: GrantScope, id: string | null): Promise<ScopeRef> {
  if (type === 'PLATFORM') return { type, teamId: null, resourceId: null };
  if (id === null) throw new Error(`the ${type} scope needs an id; resolvers check it with scopeIdProblem`);
  if (type === 'TEAM') return { type, teamId: (await readableTeam(ctx, id)).id, resourceId: null };
  const resource = await readableResource(ctx, type, id);
  if (!resource) throw notFound(RESOURCE_NODE_TYPE[type]);
  return { type, teamId: resource.teamId, resourceId: resource.id };
}

/** The subject's row facts the rules need; NOT_FOUND when it does not exist. */
export async function subjectFacts(db: Executor, subject: Subject): Promise<{ teamId: string | null; platformAdmin: boolean }> {
  if (subject.type === 'USER') {
    const [user] = await db.select({ role: users.platformRole }).from(users).where(eq(users.id, subject.id));
    if (!user) throw notFound('User');
    return { teamId: null, platformAdmin: user.role === 'ADMIN' };
  }
  const [account] = await db.select({ teamId: serviceAccounts.teamId }).from(serviceAccounts).where(eq(serviceAccounts.id, subject.id));
  if (!account) throw notFound('Service account');
  return { teamId: account.teamId, platformAdmin: false };
}

/** SQL condition: the binding is at exactly this scope. */
function atScope(scope: ScopeRef): SQL {
  if (scope.type === 'PLATFORM') return eq(roleBindings.scope, 'PLATFORM');
  if (scope.type === 'TEAM') return and(eq(roleBindings.scope, 'TEAM'), eq(roleBindings.teamId, scope.teamId!))!;
  return and(eq(roleBindings.scope, scope.type), eq(roleBindings.resourceId, scope.resourceId!))!;
}

/** The subject's policy at the scope: built-in roles that come with membership or platform role, custom roles and single permissions bound there. */
export async function readPolicy(db: Executor, subject: Subject, scope: ScopeRef): Promise<IamPolicyView> {
  const bound = await db
    .select({ role: roles, permission: roleBindings.permission })
    .from(roleBindings)
    .leftJoin(roles, roleOfBinding)
    .where(and(heldBy(roleBindings, subject), atScope(scope)));
  const builtIn: RoleView[] = [];
  if (subject.type === 'USER' && scope.type === 'TEAM') {
    const [membership] = await db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.userId, subject.id), eq(memberships.teamId, scope.teamId!)));
    if (membership) builtIn.push(BUILT_IN_VIEWS.find((r) => r.scope === 'TEAM' && r.name === membership.role)!);
  }
  if (subject.type === 'USER' && scope.type === 'PLATFORM' && (await subjectFacts(db, subject)).platformAdmin)
    builtIn.push(BUILT_IN_VIEWS.find((r) => r.scope === 'PLATFORM')!);
  const custom = new Map(bound.filter((b) => b.role).map((b) => [b.role!.id, viewOfRole(b.role!)]));
  return {
    subject,
    scope,
    roles: [...builtIn, ...[...custom.values()].sort((a, b) => a.name.localeCompare(b.name))],
    permissions: [...new Set(bound.flatMap((b) => (b.permission ? [b.permission] : [])))].sort(),
  };
}

/** Reading a policy: the subject reads its own; holders of iam:manage at the scope read anyone's. */
export async function iamPolicy(ctx: Context, subject: Subject, scopeType: GrantScope, scopeId: string | null): Promise<IamPolicyView> {
  const scope = await resolveScope(ctx, scopeType, scopeId);
  const self = ctx.viewer?.subject.type === subject.type && ctx.viewer.subject.id === subject.id;
  if (!self) await requireIamManage(ctx, scope, 'read other subjects’ IAM policies here');
  await subjectFacts(ctx.db, subject);
  return readPolicy(ctx.db, subject, scope);
}

const changeSchema = z
  .object({
    roles: z.array(z.string()).max(50, { error: 'must name at most 50 roles' }).default([]),
    permissions: z.array(z.string()).max(PERMISSIONS.length, { error: 'must name at most one of each permission' }).default([]),
  })
  .default({ roles: [], permissions: [] });
const setSchema = z.object({ add: changeSchema, delete: changeSchema });

/**
 * Adds and deletes roles and single permissions of a subject at a scope, in one transaction
 * (Numspot SetIAMPolicy). Adding what is there and deleting what is not are no-ops. Nobody grants
 * what they do not hold at that scope.
 */
export async function setIamPolicy(
  ctx: Context,
  subject: Subject,
  scopeType: GrantScope,
  scopeId: string | null,
  rawChanges: unknown,
): Promise<{ iamPolicy: IamPolicyView }> {
  const changes = parseInput(setSchema, rawChanges);
  const scope = await resolveScope(ctx, scopeType, scopeId);
  await requireIamManage(ctx, scope, 'change IAM policies here');
  const facts = await subjectFacts(ctx.db, subject);
  if (subject.type === 'SERVICE_ACCOUNT' && facts.teamId !== scope.teamId)
    throw userError(
      ['input', 'subject', 'id'],
      UserErrorCode.INVALID,
      'A service account holds roles only in its own team and on that team’s resources.',
    );

  const errors: UserError[] = [];
  const wanted = new Map<string, typeof roles.$inferSelect>();
  const roleIds = [...changes.add.roles, ...changes.delete.roles].filter((id) => !builtInRoleById(id));
  const named = roleIds.length ? await ctx.db.select().from(roles).where(inArray(roles.id, roleIds)) : [];
  for (const [which, list] of [
    ['add', changes.add.roles],
    ['delete', changes.delete.roles],
  ] as const)
    for (const [i, roleId] of list.entries()) {
      const field = ['input', which, 'roles', String(i)];
      if (builtInRoleById(roleId)) {
        const builtIn = builtInRoleById(roleId)!;
        errors.push({
          field,
          code: UserErrorCode.NOT_ALLOWED,
          message:
            builtIn.scope === 'TEAM'
              ? `${builtIn.name} is a membership role: change it with inviteMember or setMemberRole.`
              : 'The platform ADMIN role is a user’s platform role: change it with adminUpdateUser.',
        });
        continue;
      }
      const role = named.find((r) => r.id === roleId);
      const fits = role && (role.scope === 'PLATFORM' ? scope.type === 'PLATFORM' : role.teamId === scope.teamId);
      if (!fits)
        errors.push({
          field,
          code: UserErrorCode.INVALID,
          message: `roles[${i}] is not a role that can be bound here: use a PLATFORM role at the PLATFORM scope, or a role of this team (see roles).`,
        });
      else wanted.set(role.id, role);
    }
  for (const [which, list] of [
    ['add', changes.add.permissions],
    ['delete', changes.delete.permissions],
  ] as const)
    for (const [i, permission] of list.entries()) {
      const field = ['input', which, 'permissions', String(i)];
      if (!isPermission(permission))
        errors.push({ field, code: UserErrorCode.INVALID, message: `${permission} is not a permission; see the permissions query.` });
      else if (!grantableAt(permission, scope.type))
        errors.push({ field, code: UserErrorCode.INVALID, message: `${permission} cannot be granted at the ${scope.type} scope.` });
    }
  if (errors.length) throw new UserErrors(errors);

  const addRoles = [...new Set(changes.add.roles)];
  const addPermissions = [...new Set(changes.add.permissions)] as Permission[];
  const granted = [...addPermissions, ...addRoles.flatMap((id) => wanted.get(id)!.permissions.filter(isPermission))];
  await requireHoldsAll(ctx, [{ ...scope, permissions: [...new Set(granted)] }], 'grant this');

  return audited(ctx, 'iam.policy.set', async (tx) => {
    await ctx.policy.stillHolds(tx);
    const mine = and(heldBy(roleBindings, subject), atScope(scope));
    if (changes.delete.roles.length || changes.delete.permissions.length)
      await tx
        .delete(roleBindings)
        .where(
          and(
            mine,
            or(
              changes.delete.roles.length ? inArray(roleBindings.roleId, changes.delete.roles) : undefined,
              changes.delete.permissions.length ? inArray(roleBindings.permission, changes.delete.permissions) : undefined,
            ),
          ),
        );
    const existing = await tx.select({ roleId: roleBindings.roleId, permission: roleBindings.permission }).from(roleBindings).where(mine);
    const rows = [
      ...addRoles.filter((id) => !existing.some((e) => e.roleId === id)).map((roleId) => ({ roleId, permission: null })),
      ...addPermissions.filter((p) => !existing.some((e) => e.permission === p)).map((permission) => ({ roleId: null, permission })),
    ];
    if (rows.length)
      await tx.insert(roleBindings).values(
        rows.map((r) => ({
          ...r,
          userId: subject.type === 'USER' ? subject.id : null,
          serviceAccountId: subject.type === 'SERVICE_ACCOUNT' ? subject.id : null,
          scope: scope.type,
          teamId: scope.teamId,
          resourceId: scope.resourceId,
          createdById: ctx.viewer!.user?.id ?? null,
        })),
      );
    return {
      result: { iamPolicy: await readPolicy(tx, subject, scope) },
      target: { type: subject.type === 'USER' ? 'User' : 'ServiceAccount', id: subject.id },
      teamId: scope.teamId,
      data: { scope: scope.type, resourceId: scope.resourceId, add: changes.add, delete: changes.delete },
    };
  });
}
