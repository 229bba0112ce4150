import DataLoader from 'dataloader';
import { and, eq, inArray, or, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { aclEntries, appGrants, memberships, roleBindings, roles } from '../db/schema/index.js';
import type { Context, Subject } from '../graphql/context.js';
import { forbidden } from '../graphql/errors.js';
import { ALL_PERMISSIONS, TEAM_ROLE_PERMISSIONS, grantableAt, isPermission, type Permission, type TeamRoleName } from './permissions.js';

const PLATFORM = '';
const NONE: ReadonlySet<Permission> = new Set();

/**
 * Join condition from a binding to its custom role. A role counts only where it lives: a TEAM
 * role in its own team (or on that team's resources), a PLATFORM role platform-wide. A binding
 * that no longer matches (an app moved to another team keeps its bindings) grants nothing, so the
 * old team cannot widen what its role gives on the moved app.
 */
export const roleOfBinding = and(eq(roles.id, roleBindings.roleId), sql`${roles.teamId} is not distinct from ${roleBindings.teamId}`)!;

/** SQL condition: the binding or ACL entry is the subject's. */
export function heldBy(table: { userId: AnyColumn; serviceAccountId: AnyColumn }, subject: Subject): SQL {
  return subject.type === 'USER' ? eq(table.userId, subject.id) : eq(table.serviceAccountId, subject.id);
}

/** The permissions a binding (joined with its role by `roleOfBinding`) gives: its single permission, or its role's; none for a role that does not count there. */
export const bindingPermissions = sql<
  string[]
>`case when ${roleBindings.roleId} is null then array[${roleBindings.permission}] else coalesce(${roles.permissions}, '{}') end`;

/**
 * Everything the subject holds at team and platform scope: membership roles, and custom roles and
 * single permissions bound at a team or platform-wide. Loaded whole, in one statement, the first
 * time a request asks about any team: later questions (deeper in the query, about other teams)
 * are answered from it, so the statement count does not depend on how many teams a query reaches.
 */
async function loadTeamGrants(ctx: Context): Promise<{ platform: Set<Permission>; byTeam: Map<string, Set<Permission>> }> {
  const subject = ctx.viewer!.subject;
  // Service accounts are never members: for them the first part matches nothing.
  const rows = await ctx.db
    .select({
      teamId: sql<string | null>`${memberships.teamId}`,
      role: sql<string | null>`${memberships.role}::text`,
      permissions: sql<string[] | null>`null::text[]`,
    })
    .from(memberships)
    .where(subject.type === 'USER' ? eq(memberships.userId, subject.id) : sql`false`)
    .unionAll(
      ctx.db
        .select({
          teamId: sql<string | null>`${roleBindings.teamId}`,
          role: sql<string | null>`null::text`,
          permissions: bindingPermissions,
        })
        .from(roleBindings)
        .leftJoin(roles, roleOfBinding)
        .where(and(heldBy(roleBindings, subject), inArray(roleBindings.scope, ['PLATFORM', 'TEAM']))),
    );
  const platform = new Set<Permission>();
  const byTeam = new Map<string, Set<Permission>>();
  for (const row of rows) {
    const granted = row.role ? TEAM_ROLE_PERMISSIONS[row.role as TeamRoleName] : (row.permissions ?? []).filter(isPermission);
    const target = row.teamId === null ? platform : (byTeam.get(row.teamId) ?? byTeam.set(row.teamId, new Set()).get(row.teamId)!);
    for (const p of granted) target.add(p);
  }
  return { platform, byTeam };
}

/** The subject's permissions per team (platform ones included), narrowed by the token's scopes. */
function grantsLoader(ctx: Context) {
  let all: ReturnType<typeof loadTeamGrants> | undefined;
  return new DataLoader<string, ReadonlySet<Permission>>(async (keys) => {
    const { platform, byTeam } = await (all ??= loadTeamGrants(ctx));
    return keys.map((key) => {
      const perms = new Set(platform);
      if (key !== PLATFORM) for (const p of byTeam.get(key) ?? []) perms.add(p);
      return ctx.policy.narrow(perms);
    });
  });
}

/**
 * Any of the visibility conditions. Unlike drizzle's `or`, which drops undefined operands, an
 * undefined condition here means "no restriction" and makes the whole result unrestricted.
 */
export function anyOf(...conditions: (SQL | undefined)[]): SQL | undefined {
  if (conditions.some((c) => c === undefined)) return undefined;
  return or(...conditions);
}

/** SQL condition on a role binding (joined with its custom role): it grants `permission`. */
function bindingGrants(permission: Permission): SQL {
  return or(eq(roleBindings.permission, permission), sql`${permission} = any(${roles.permissions})`)!;
}

export type ResourceKind = 'BUCKET' | 'APP' | 'CLUSTER';

/** A resource as the policy needs it: its id and its owning team. */
export interface ResourceRef {
  id: string;
  teamId: string;
}

/** The permissions a grant on an app (to another team) or on one resource can carry. */
export const RESOURCE_PERMISSION_PREFIX: Record<ResourceKind, string> = { APP: 'app:', BUCKET: 'bucket:', CLUSTER: 'cluster:' };

interface ResourceGrants {
  /** Permissions bound on the resource or granted by ACL entries. */
  permissions: Set<Permission>;
  /** For apps: the subject's membership roles in teams the app was granted to. */
  granteeRoles: TeamRoleName[];
}

/**
 * Grants on single resources of one kind: resource-scope bindings, ACL entries and, for apps,
 * the subject's membership roles in teams the app was granted to (only the membership role
 * passes on, per DESIGN). Loaded whole for the subject, in one statement per kind and request,
 * so a viewer with a thousand ACL entries costs the same statements as one with one.
 */
async function loadResourceGrants(ctx: Context, kind: ResourceKind): Promise<Map<string, ResourceGrants>> {
  const subject = ctx.viewer!.subject;
  const direct = ctx.db
    .select({ resourceId: sql<string>`${roleBindings.resourceId}`, role: sql<string | null>`null::text`, permissions: bindingPermissions })
    .from(roleBindings)
    .leftJoin(roles, roleOfBinding)
    .where(and(heldBy(roleBindings, subject), eq(roleBindings.scope, kind)))
    .unionAll(
      ctx.db
        .select({
          resourceId: sql<string>`${aclEntries.resourceId}`,
          role: sql<string | null>`null::text`,
          permissions: sql<string[]>`array[${aclEntries.permission}]`,
        })
        .from(aclEntries)
        .where(and(heldBy(aclEntries, subject), eq(aclEntries.resourceType, kind))),
    );
  const rows =
    kind === 'APP' && subject.type === 'USER'
      ? await direct.unionAll(
          ctx.db
            .select({
              resourceId: sql<string>`${appGrants.appId}`,
              role: sql<string | null>`${memberships.role}::text`,
              permissions: sql<string[]>`array[]::text[]`,
            })
            .from(appGrants)
            .innerJoin(memberships, eq(memberships.teamId, appGrants.granteeTeamId))
            .where(eq(memberships.userId, subject.id)),
        )
      : await direct;
  const byResource = new Map<string, ResourceGrants>();
  for (const row of rows) {
    const entry =
      byResource.get(row.resourceId) ?? byResource.set(row.resourceId, { permissions: new Set(), granteeRoles: [] }).get(row.resourceId)!;
    if (row.role) entry.granteeRoles.push(row.role as TeamRoleName);
    for (const p of row.permissions) if (isPermission(p)) entry.permissions.add(p);
  }
  return byResource;
}

function resourceGrantsLoader(ctx: Context, kind: string) {
  let all: ReturnType<typeof loadResourceGrants> | undefined;
  return new DataLoader<string, ResourceGrants | null>(async (ids) => {
    const byResource = await (all ??= loadResourceGrants(ctx, kind as ResourceKind));
    return ids.map((id) => byResource.get(id) ?? null);
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

  get subject(): Subject | null {
    return this.ctx.viewer?.subject ?? null;
  }

  /** A platform ADMIN (the token's scopes still narrow what it may do). */
  isPlatformAdmin(): boolean {
    return this.ctx.viewer?.user?.platformRole === 'ADMIN';
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

  /**
   * The viewer's permissions on one resource: those of its team, plus grants on the resource
   * itself and, for apps, the role-permissions of teams the app was granted to (limited to the
   * resource's own kind: a grant opens the resource, never its team).
   */
  async resourcePermissions(kind: ResourceKind, resource: ResourceRef): Promise<ReadonlySet<Permission>> {
    const team = await this.teamPermissions(resource.teamId);
    if (!this.ctx.viewer || this.isPlatformAdmin()) return team;
    const grants = await this.ctx.loaders.get(resourceGrantsLoader, kind).load(resource.id);
    if (!grants) return team;
    const perms = new Set(team);
    const granted = [...grants.permissions, ...grants.granteeRoles.flatMap((role) => [...TEAM_ROLE_PERMISSIONS[role]])];
    // A grant on one resource carries only what can be granted there: that kind's actions, not
    // creating resources or sharing the app with other teams (team permissions).
    for (const p of granted) if (grantableAt(p, kind)) perms.add(p);
    return this.narrow(perms);
  }

  /**
   * What the viewer may do to the resource (`viewerPermissions`): its own kind's permissions,
   * sorted, without `…:create`, which is a team permission (creating such resources).
   */
  async resourceActions(kind: ResourceKind, resource: ResourceRef): Promise<string[]> {
    const prefix = RESOURCE_PERMISSION_PREFIX[kind];
    return [...(await this.resourcePermissions(kind, resource))].filter((p) => p.startsWith(prefix) && p !== `${prefix}create`).sort();
  }

  /** Throws FORBIDDEN unless the viewer holds the permission on the resource. */
  async requireOnResource(kind: ResourceKind, resource: ResourceRef, permission: Permission, action: string): Promise<void> {
    if (!(await this.resourcePermissions(kind, resource)).has(permission))
      throw forbidden(`You need the ${permission} permission to ${action}.`);
  }

  /**
   * SQL condition: the viewer holds `permission` on the resource in `idColumn` (owned by the team
   * in `teamIdColumn`) through its team, a resource binding, an ACL entry or, for apps, a grant
   * to one of the viewer's teams.
   */
  resourcesGranting(kind: ResourceKind, idColumn: AnyColumn, teamIdColumn: AnyColumn, permission: Permission): SQL | undefined {
    const subject = this.subject;
    const viaTeam = this.teamsGranting(teamIdColumn, permission);
    if (!subject || viaTeam === undefined || !grantableAt(permission, kind)) return viaTeam;
    if (!this.scopeAllows(permission)) return sql`false`;
    const db = this.ctx.db;
    return or(
      viaTeam,
      inArray(
        idColumn,
        db
          .select({ id: roleBindings.resourceId })
          .from(roleBindings)
          .leftJoin(roles, roleOfBinding)
          .where(
            and(
              heldBy(roleBindings, subject),
              eq(roleBindings.scope, kind),
              or(eq(roleBindings.permission, permission), sql`${permission} = any(${roles.permissions})`),
            ),
          ),
      ),
      inArray(
        idColumn,
        db
          .select({ id: aclEntries.resourceId })
          .from(aclEntries)
          .where(and(heldBy(aclEntries, subject), eq(aclEntries.resourceType, kind), eq(aclEntries.permission, permission))),
      ),
      kind === 'APP'
        ? inArray(
            idColumn,
            db
              .select({ id: appGrants.appId })
              .from(appGrants)
              .where(this.membershipGranting(subject, appGrants.granteeTeamId, permission)),
          )
        : undefined,
    );
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
    const subject = this.subject;
    if (!subject || !this.scopeAllows(permission)) return sql`false`;
    if (this.isPlatformAdmin()) return undefined;
    const db = this.ctx.db;
    return or(
      this.membershipGranting(subject, teamIdColumn, permission),
      inArray(
        teamIdColumn,
        db
          .select({ id: roleBindings.teamId })
          .from(roleBindings)
          .leftJoin(roles, roleOfBinding)
          .where(and(heldBy(roleBindings, subject), eq(roleBindings.scope, 'TEAM'), bindingGrants(permission))),
      ),
      this.platformBindingGrants(subject, permission),
    );
  }

  /** SQL condition: the subject is a member of the team in `teamIdColumn` with a built-in role that includes `permission`. */
  private membershipGranting(subject: Subject, teamIdColumn: AnyColumn, permission: Permission): SQL {
    const rolesGranting = (Object.keys(TEAM_ROLE_PERMISSIONS) as TeamRoleName[]).filter((r) => TEAM_ROLE_PERMISSIONS[r].has(permission));
    if (!rolesGranting.length || subject.type !== 'USER') return sql`false`;
    return inArray(
      teamIdColumn,
      this.ctx.db
        .select({ id: memberships.teamId })
        .from(memberships)
        .where(and(eq(memberships.userId, subject.id), inArray(memberships.role, rolesGranting))),
    );
  }

  /** SQL condition: one of the user's PLATFORM-scope bindings grants `permission`. */
  private platformBindingGrants(subject: Subject, permission: Permission): SQL {
    return sql`exists ${this.ctx.db
      .select({ one: sql`1` })
      .from(roleBindings)
      .leftJoin(roles, roleOfBinding)
      .where(and(heldBy(roleBindings, subject), eq(roleBindings.scope, 'PLATFORM'), bindingGrants(permission)))}`;
  }

  /**
   * SQL condition: the user in `userIdColumn` is visible to the viewer: the viewer themself,
   * anyone for user managers, otherwise members of the teams the viewer can read.
   */
  usersVisible(userIdColumn: AnyColumn): SQL | undefined {
    const subject = this.subject;
    if (!subject) return sql`false`;
    if (this.isPlatformAdmin() && this.scopeAllows('user:manage')) return undefined;
    const teamRead = this.teamsGranting(memberships.teamId);
    return anyOf(
      eq(userIdColumn, subject.id),
      inArray(userIdColumn, this.ctx.db.select({ id: memberships.userId }).from(memberships).where(teamRead)),
      // A user manager by platform binding sees everyone, as the admin entry points let them act on anyone.
      this.scopeAllows('user:manage') ? this.platformBindingGrants(subject, 'user:manage') : sql`false`,
    );
  }
}
