import DataLoader from 'dataloader';
import { and, eq, inArray, or, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { memberships, roleBindings, roles } from '../db/schema/index.js';
import type { Context } from '../graphql/context.js';
import { forbidden } from '../graphql/errors.js';
import { ALL_PERMISSIONS, TEAM_ROLE_PERMISSIONS, isPermission, type Permission, type TeamRoleName } from './permissions.js';

const PLATFORM = '';
const NONE: ReadonlySet<Permission> = new Set();

/**
 * The viewer's grants: a team's permission set is memberships' built-in role, plus custom roles
 * and single permissions bound at that team, plus platform-scope bindings; one batched
 * statement per request covers every team asked about. API token scopes narrow the result.
 */
function grantsLoader(ctx: Context) {
  return new DataLoader<string, ReadonlySet<Permission>>(async (keys) => {
    const userId = ctx.viewer!.user.id;
    const teamIds = keys.filter((k) => k !== PLATFORM);
    const teamIdList = teamIds.length ? teamIds : ['00000000-0000-0000-0000-000000000000'];
    const rows = await ctx.db
      .select({
        teamId: sql<string | null>`${memberships.teamId}`,
        role: sql<string | null>`${memberships.role}::text`,
        permissions: sql<string[] | null>`null::text[]`,
      })
      .from(memberships)
      .where(and(eq(memberships.userId, userId), inArray(memberships.teamId, teamIdList)))
      .unionAll(
        ctx.db
          .select({
            teamId: sql<string | null>`${roleBindings.teamId}`,
            role: sql<string | null>`null::text`,
            permissions: sql<string[] | null>`case when ${roleBindings.roleId} is null then array[${roleBindings.permission}] else ${roles.permissions} end`,
          })
          .from(roleBindings)
          .leftJoin(roles, eq(roles.id, roleBindings.roleId))
          .where(
            and(
              eq(roleBindings.userId, userId),
              or(eq(roleBindings.scope, 'PLATFORM'), and(eq(roleBindings.scope, 'TEAM'), inArray(roleBindings.teamId, teamIdList))),
            ),
          ),
      );
    const platform = new Set<Permission>();
    const byTeam = new Map<string, Set<Permission>>();
    for (const row of rows) {
      const granted = row.role ? TEAM_ROLE_PERMISSIONS[row.role as TeamRoleName] : (row.permissions ?? []).filter(isPermission);
      const target = row.teamId === null ? platform : byTeam.get(row.teamId) ?? byTeam.set(row.teamId, new Set()).get(row.teamId)!;
      for (const p of granted) target.add(p);
    }
    return keys.map((key) => {
      const perms = new Set(platform);
      if (key !== PLATFORM) for (const p of byTeam.get(key) ?? []) perms.add(p);
      return ctx.policy.narrow(perms);
    });
  });
}

export class Policy {
  constructor(private readonly ctx: Context) {}

  /** Applies the API token's scopes, if any. */
  narrow(perms: ReadonlySet<Permission>): ReadonlySet<Permission> {
    const scopes = this.ctx.viewer?.scopes;
    if (!scopes) return perms;
    return new Set([...perms].filter((p) => scopes.has(p)));
  }

  get userId(): string | null {
    return this.ctx.viewer?.user.id ?? null;
  }

  /** A platform ADMIN (the token's scopes still narrow what it may do). */
  isPlatformAdmin(): boolean {
    return this.ctx.viewer?.user.platformRole === 'ADMIN';
  }

  private scopeAllows(permission: Permission): boolean {
    const scopes = this.ctx.viewer?.scopes;
    return !scopes || scopes.has(permission);
  }

  /** The viewer's permissions in a team (empty when the team is not theirs). */
  async teamPermissions(teamId: string): Promise<ReadonlySet<Permission>> {
    if (!this.ctx.viewer) return NONE;
    if (this.isPlatformAdmin()) return this.narrow(ALL_PERMISSIONS);
    return this.ctx.loaders.get(grantsLoader).load(teamId);
  }

  /** The viewer's permissions at platform scope. */
  async platformPermissions(): Promise<ReadonlySet<Permission>> {
    return this.teamPermissions(PLATFORM);
  }

  async can(teamId: string, permission: Permission): Promise<boolean> {
    return (await this.teamPermissions(teamId)).has(permission);
  }

  async canOnPlatform(permission: Permission): Promise<boolean> {
    return (await this.platformPermissions()).has(permission);
  }

  /** Throws FORBIDDEN unless the viewer holds the permission in the team. */
  async require(teamId: string, permission: Permission, action: string): Promise<void> {
    if (!(await this.can(teamId, permission))) throw forbidden(`You need the ${permission} permission to ${action}.`);
  }

  /**
   * SQL condition: the team in `teamIdColumn` grants the viewer `permission` (team:read for
   * visibility). Lists and lookups put it in their WHERE, so what the viewer may not read never
   * leaves the database. Undefined means "no restriction".
   */
  teamsGranting(teamIdColumn: AnyColumn, permission: Permission = 'team:read'): SQL | undefined {
    const userId = this.userId;
    if (!userId || !this.scopeAllows(permission)) return sql`false`;
    if (this.isPlatformAdmin()) return undefined;
    const db = this.ctx.db;
    const bindingGrants = or(eq(roleBindings.permission, permission), sql`${permission} = any(${roles.permissions})`);
    return or(
      inArray(teamIdColumn, db.select({ id: memberships.teamId }).from(memberships).where(eq(memberships.userId, userId))),
      inArray(
        teamIdColumn,
        db
          .select({ id: roleBindings.teamId })
          .from(roleBindings)
          .leftJoin(roles, eq(roles.id, roleBindings.roleId))
          .where(and(eq(roleBindings.userId, userId), eq(roleBindings.scope, 'TEAM'), bindingGrants)),
      ),
      sql`exists ${db
        .select({ one: sql`1` })
        .from(roleBindings)
        .leftJoin(roles, eq(roles.id, roleBindings.roleId))
        .where(and(eq(roleBindings.userId, userId), eq(roleBindings.scope, 'PLATFORM'), bindingGrants))}`,
    );
  }

  /**
   * SQL condition: the user in `userIdColumn` is visible to the viewer: the viewer themself,
   * anyone for user managers, otherwise members of the teams the viewer can read.
   */
  usersVisible(userIdColumn: AnyColumn): SQL | undefined {
    const userId = this.userId;
    if (!userId) return sql`false`;
    if (this.isPlatformAdmin() && this.scopeAllows('user:manage')) return undefined;
    const teamRead = this.teamsGranting(memberships.teamId);
    return or(
      eq(userIdColumn, userId),
      inArray(userIdColumn, this.ctx.db.select({ id: memberships.userId }).from(memberships).where(teamRead)),
    );
  }
}
