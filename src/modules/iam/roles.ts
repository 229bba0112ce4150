import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { roleBindings, roles } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { UserErrorCode, UserErrors, userError } from '../../graphql/user-errors.js';
import { fields, parseInput } from '../../graphql/validation.js';
import { BUILT_IN_ROLES, PERMISSIONS, builtInRoleById, grantableAt, type Permission } from '../../iam/permissions.js';
import { audited } from '../events/audit.js';
import { readableTeam } from '../teams/team-service.js';
import { requireHoldsAll, requireIamManage } from './grants.js';
import { customRoleById } from './loaders.js';

export type RoleRow = typeof roles.$inferSelect;

/** A role as the API shows it: a custom role, or one of the built-in ones. */
export interface RoleView {
  id: string;
  name: string;
  description: string;
  scope: 'PLATFORM' | 'TEAM';
  teamId: string | null;
  permissions: readonly string[];
  builtIn: boolean;
  createdAt: Date | null;
}

export const viewOfRole = (row: RoleRow): RoleView => ({ ...row, builtIn: false });

export const BUILT_IN_VIEWS: readonly RoleView[] = BUILT_IN_ROLES.map((r) => ({ ...r, teamId: null, builtIn: true, createdAt: null }));

const roleName = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9 _-]{1,49}$/, {
    error: 'must be 2–50 letters, digits, spaces, hyphens or underscores, starting with a letter',
  })
  .refine((n) => !BUILT_IN_ROLES.some((r) => r.name.toLowerCase() === n.toLowerCase()), {
    error: 'must not be the name of a built-in role (OWNER, ADMIN, MEMBER, VIEWER)',
  });
const permissionList = z
  .array(z.enum(PERMISSIONS as [Permission, ...Permission[]], { error: 'must be a permission from the permissions catalog' }))
  .min(1, { error: 'must name at least one permission' })
  .max(PERMISSIONS.length);

const createSchema = z.object({
  scope: z.enum(['PLATFORM', 'TEAM']),
  name: roleName,
  description: fields.personName(1000).default(''),
  permissions: permissionList,
});
const updateSchema = z.object({
  name: roleName.optional(),
  description: fields.personName(1000).optional(),
  permissions: permissionList.optional(),
});

/** Refuses permissions that make no sense at the role's scope (user:manage in a team role), one userError each. */
function checkScope(scope: 'PLATFORM' | 'TEAM', permissions: readonly Permission[], field: string): void {
  const errors = permissions.flatMap((p, i) =>
    grantableAt(p, scope)
      ? []
      : [
          {
            field: ['input', field, String(i)],
            code: UserErrorCode.INVALID,
            message: `${p} cannot be part of a ${scope} role; it is platform-wide only.`,
          },
        ],
  );
  if (errors.length) throw new UserErrors(errors);
}

/** Adding permissions to a role hands them to everyone bound to it: the caller must hold them where the role lives. */
const requireHolds = (
  ctx: Context,
  role: { scope: 'PLATFORM' | 'TEAM'; teamId: string | null },
  permissions: Permission[],
  action: string,
) => requireHoldsAll(ctx, [{ type: role.scope, teamId: role.teamId, resourceId: null, permissions }], action);

const nameTaken = (name: string) => userError('name', UserErrorCode.TAKEN, `A role named ${name} already exists there.`);

/** A custom role the viewer can see and manage; built-in roles are refused as immutable. */
async function manageableRole(ctx: Context, roleId: string, action: string): Promise<RoleRow> {
  if (builtInRoleById(roleId))
    throw userError(
      ['input', 'roleId'],
      UserErrorCode.NOT_ALLOWED,
      'Built-in roles cannot be changed or deleted; create a custom role instead.',
    );
  const role = await ctx.loaders.get(customRoleById).load(roleId);
  if (!role) throw notFound('Role');
  await requireIamManage(ctx, role, action);
  return role;
}

async function saveRole(ctx: Context, kind: string, role: RoleRow, write: (tx: Tx) => Promise<RoleRow>, data: Record<string, unknown>) {
  try {
    return await audited(ctx, kind, async (tx) => {
      const updated = await write(tx);
      return {
        result: { role: viewOfRole(updated) },
        target: { type: 'Role', id: role.id },
        teamId: role.teamId,
        data: { name: updated.name, ...data },
      };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'roles_team_name_key') || isUniqueViolation(error, 'roles_platform_name_key'))
      throw nameTaken(String(data.name ?? role.name));
    throw error;
  }
}

export async function createRole(ctx: Context, teamId: string | null, rawInput: unknown): Promise<{ role: RoleView }> {
  const input = parseInput(createSchema, rawInput);
  if (input.scope === 'TEAM' && !teamId) throw userError('teamId', UserErrorCode.REQUIRED, 'teamId is required for a TEAM role.');
  if (input.scope === 'PLATFORM' && teamId)
    throw userError('teamId', UserErrorCode.INVALID, 'teamId must be left out for a PLATFORM role.');
  checkScope(input.scope, input.permissions, 'permissions');
  if (teamId) await readableTeam(ctx, teamId);
  await requireIamManage(ctx, { teamId }, `create ${input.scope === 'TEAM' ? 'roles in this team' : 'platform roles'}`);
  const permissions = [...new Set(input.permissions)].sort();
  await requireHolds(ctx, { scope: input.scope, teamId }, permissions, 'create this role');
  try {
    return await audited(ctx, 'iam.role.create', async (tx) => {
      const [role] = await tx
        .insert(roles)
        .values({ scope: input.scope, teamId, name: input.name, description: input.description, permissions })
        .returning();
      return { result: { role: viewOfRole(role) }, target: { type: 'Role', id: role.id }, teamId, data: { name: role.name, permissions } };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'roles_team_name_key') || isUniqueViolation(error, 'roles_platform_name_key')) throw nameTaken(input.name);
    throw error;
  }
}

export async function updateRole(ctx: Context, roleId: string, rawInput: unknown): Promise<{ role: RoleView }> {
  const input = parseInput(updateSchema, rawInput);
  const role = await manageableRole(ctx, roleId, 'change this role');
  const permissions = input.permissions ? [...new Set(input.permissions)].sort() : undefined;
  if (input.permissions && permissions) {
    checkScope(role.scope, input.permissions, 'permissions');
    await requireHolds(
      ctx,
      role,
      permissions.filter((p) => !role.permissions.includes(p)),
      'add these permissions to the role',
    );
  }
  return saveRole(
    ctx,
    'iam.role.update',
    role,
    async (tx) => {
      const [updated] = await tx
        .update(roles)
        .set({ ...input, ...(permissions ? { permissions } : {}), updatedAt: new Date() })
        .where(eq(roles.id, roleId))
        .returning();
      return updated;
    },
    { changed: Object.keys(input), ...(input.name ? { name: input.name } : {}) },
  );
}

/** Adds or removes permissions; the array is changed in SQL so that concurrent changes to one role all land. */
export async function changeRolePermissions(
  ctx: Context,
  roleId: string,
  rawPermissions: unknown,
  change: 'add' | 'remove',
): Promise<{ role: RoleView }> {
  const { permissions } = parseInput(z.object({ permissions: permissionList }), { permissions: rawPermissions });
  const role = await manageableRole(ctx, roleId, 'change this role');
  const list = [...new Set(permissions)].sort();
  if (change === 'add') {
    checkScope(role.scope, permissions, 'permissions');
    await requireHolds(ctx, role, list, 'add these permissions to the role');
  }
  return saveRole(
    ctx,
    change === 'add' ? 'iam.role.permissions.add' : 'iam.role.permissions.remove',
    role,
    async (tx) => {
      // An array of parameters: drizzle expands a JS array in `sql` into a row `($1, $2)`, which no cast turns into text[].
      // Sorted bytewise ("C"), as createRole sorts in JS, whatever the database's collation.
      const given = sql`array[${sql.join(
        list.map((p) => sql`${p}`),
        sql`, `,
      )}]::text[]`;
      const next =
        change === 'add'
          ? sql`array(select p from (select distinct unnest(${roles.permissions} || ${given}) as p) as d order by p collate "C")`
          : sql`array(select p from unnest(${roles.permissions}) as p where p <> all(${given}) order by p collate "C")`;
      const [updated] = await tx.update(roles).set({ permissions: next, updatedAt: new Date() }).where(eq(roles.id, roleId)).returning();
      if (change === 'remove' && updated.permissions.length === 0)
        throw userError('permissions', UserErrorCode.NOT_ALLOWED, 'A role keeps at least one permission; delete the role instead.');
      return updated;
    },
    { permissions: list },
  );
}

/** Deletes a custom role; its bindings go in the same transaction. */
export async function deleteRole(ctx: Context, roleId: string): Promise<{ role: RoleView }> {
  const role = await manageableRole(ctx, roleId, 'delete this role');
  return audited(ctx, 'iam.role.delete', async (tx) => {
    const unbound = await tx.delete(roleBindings).where(eq(roleBindings.roleId, roleId)).returning({ id: roleBindings.id });
    await tx.delete(roles).where(eq(roles.id, roleId));
    return {
      result: { role: viewOfRole(role) },
      target: { type: 'Role', id: roleId },
      teamId: role.teamId,
      data: { name: role.name, removedBindings: unbound.length },
    };
  });
}
