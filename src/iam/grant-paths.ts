import { and, eq, inArray, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { aclEntries, appGrants, memberships, roleBindings, roles } from '../db/schema/index.js';
import type { Subject } from '../auth/subject.js';
import { TEAM_ROLE_PERMISSIONS, grantableAt, isPermission, withImplied, type Permission, type TeamRoleName } from './permissions.js';

/**
 * Every way a subject can hold a permission, described once. The per-request grant sets
 * (selected with the credential, `grantsJsonOf`; policy.ts derives the SQL visibility filters from
 * them) and the `collaborators` view (modules/iam/collaborators.ts) are all built from this table,
 * so they cannot drift apart.
 *
 * A platform ADMIN holds every permission everywhere; that comes with the authenticated user
 * (`users.platform_role`), not from a table, and the policy answers it before asking any path.
 */

export type ResourceKind = 'BUCKET' | 'APP' | 'CLUSTER';

/** Where a path's permissions hold: platform-wide, in a whole team, or on one resource. */
export type GrantLevel = 'PLATFORM' | 'TEAM' | 'RESOURCE';

/** The kinds of path, as `collaborators` names them. */
export type AccessSource = 'PLATFORM_BINDING' | 'TEAM_ROLE' | 'TEAM_BINDING' | 'RESOURCE_BINDING' | 'ACL' | 'GRANTED_TEAM';

/** The columns every path yields, so that paths can be queried alike and combined with UNION ALL. */
export interface GrantRow {
  source: AccessSource;
  userId: string | null;
  serviceAccountId: string | null;
  /** The team the grant holds in (TEAM), or the team that owns the resource (RESOURCE); null platform-wide. */
  teamId: string | null;
  resourceKind: ResourceKind | null;
  resourceId: string | null;
  /** The built-in or custom role behind it, if any. */
  role: string | null;
  /** The team it comes through: the member's team for roles and team bindings, the grantee team for app grants. */
  viaTeamId: string | null;
  /** As stored; `effectivePermissions` applies the catalog's rules. */
  permissions: string[];
}

/** What narrows a path's rows: the subject, teams, resources. All given ones apply. */
export interface GrantFilter {
  subject?: Subject;
  teamIds?: readonly string[];
  kind?: ResourceKind;
  resourceIds?: readonly string[];
}

interface PathColumns {
  userId: AnyColumn | SQL;
  serviceAccountId: AnyColumn | SQL;
  teamId: AnyColumn | SQL;
  resourceKind: SQL;
  resourceId: AnyColumn | SQL;
  role: SQL;
  viaTeamId: AnyColumn | SQL;
  permissions: SQL;
}

export interface GrantPath {
  source: AccessSource;
  level: GrantLevel;
  /** For RESOURCE paths: the kinds of resource it can grant on. */
  kinds: readonly ResourceKind[];
  /** Whether a service account can hold permissions this way (only people are members). */
  serviceAccounts: boolean;
  columns: PathColumns;
  /** The rows before any filter (joins and the path's own conditions). */
  from(db: Executor, filter: SQL | undefined): GrantQuery;
}

/** A path's select, typed loosely: drizzle cannot type a union of differently-joined selects. */
type GrantQuery = any;

/** SQL text[] of a built-in team role's permissions (the roles live in code). */
function rolePermissionsSql(role: AnyColumn): SQL {
  const cases = (Object.keys(TEAM_ROLE_PERMISSIONS) as TeamRoleName[]).map(
    (name) => sql`when ${name} then ${sql.raw(`'{${[...TEAM_ROLE_PERMISSIONS[name]].join(',')}}'`)}::text[]`,
  );
  return sql`(case ${role}::text ${sql.join(cases, sql` `)} else '{}'::text[] end)`;
}

/**
 * A custom role counts only where it lives: a TEAM role in its own team (or on that team's
 * resources), a PLATFORM role platform-wide. A binding that no longer matches (an app moved to
 * another team keeps its bindings) grants nothing, so the old team cannot widen what its role
 * gives on the moved app.
 */
export const roleOfBinding = and(eq(roles.id, roleBindings.roleId), sql`${roles.teamId} is not distinct from ${roleBindings.teamId}`)!;

/** The permissions a binding (joined with its role by `roleOfBinding`) gives: its single permission, or its role's. */
export const bindingPermissions = sql<
  string[]
>`case when ${roleBindings.roleId} is null then array[${roleBindings.permission}] else coalesce(${roles.permissions}, '{}') end`;

const NULL_UUID = sql`null::uuid`;
const NULL_TEXT = sql`null::text`;

function bindingPath(source: AccessSource, level: GrantLevel, scopes: ('PLATFORM' | 'TEAM' | ResourceKind)[]): GrantPath {
  const onResource = level === 'RESOURCE';
  const columns: PathColumns = {
    userId: roleBindings.userId,
    serviceAccountId: roleBindings.serviceAccountId,
    teamId: roleBindings.teamId,
    resourceKind: onResource ? sql`${roleBindings.scope}::text` : NULL_TEXT,
    resourceId: onResource ? roleBindings.resourceId : NULL_UUID,
    role: sql`${roles.name}`,
    viaTeamId: level === 'TEAM' ? roleBindings.teamId : NULL_UUID,
    permissions: bindingPermissions,
  };
  return {
    source,
    level,
    kinds: onResource ? (scopes as ResourceKind[]) : [],
    serviceAccounts: true,
    columns,
    from: (db, filter) =>
      db
        .select(selection(source, columns))
        .from(roleBindings)
        .leftJoin(roles, roleOfBinding)
        .where(and(inArray(roleBindings.scope, scopes), filter)),
  };
}

/** The uniform select list of a path. */
function selection(source: AccessSource, c: PathColumns) {
  return {
    source: sql<AccessSource>`${source}::text`.as('source'),
    userId: sql<string | null>`${c.userId}`.as('user_id'),
    serviceAccountId: sql<string | null>`${c.serviceAccountId}`.as('service_account_id'),
    teamId: sql<string | null>`${c.teamId}`.as('team_id'),
    resourceKind: sql<ResourceKind | null>`${c.resourceKind}`.as('resource_kind'),
    resourceId: sql<string | null>`${c.resourceId}`.as('resource_id'),
    role: sql<string | null>`${c.role}`.as('role'),
    viaTeamId: sql<string | null>`${c.viaTeamId}`.as('via_team_id'),
    permissions: sql<string[]>`${c.permissions}`.as('permissions'),
  };
}

const teamRoleColumns: PathColumns = {
  userId: memberships.userId,
  serviceAccountId: NULL_UUID,
  teamId: memberships.teamId,
  resourceKind: NULL_TEXT,
  resourceId: NULL_UUID,
  role: sql`${memberships.role}::text`,
  viaTeamId: memberships.teamId,
  permissions: rolePermissionsSql(memberships.role),
};

const aclColumns: PathColumns = {
  userId: aclEntries.userId,
  serviceAccountId: aclEntries.serviceAccountId,
  teamId: aclEntries.teamId,
  resourceKind: sql`${aclEntries.resourceType}::text`,
  resourceId: aclEntries.resourceId,
  role: NULL_TEXT,
  viaTeamId: NULL_UUID,
  permissions: sql`array[${aclEntries.permission}]`,
};

/** A member of a team an app was granted to holds their role's permissions within what the grant carries. */
const grantedTeamColumns: PathColumns = {
  userId: memberships.userId,
  serviceAccountId: NULL_UUID,
  teamId: appGrants.teamId,
  resourceKind: sql`'APP'::text`,
  resourceId: appGrants.appId,
  role: sql`${memberships.role}::text`,
  viaTeamId: appGrants.granteeTeamId,
  permissions: sql`array(select p from unnest(${rolePermissionsSql(memberships.role)}) p where p = any(${appGrants.permissions}))`,
};

export const GRANT_PATHS: readonly GrantPath[] = [
  bindingPath('PLATFORM_BINDING', 'PLATFORM', ['PLATFORM']),
  {
    source: 'TEAM_ROLE',
    level: 'TEAM',
    kinds: [],
    serviceAccounts: false,
    columns: teamRoleColumns,
    from: (db, filter) => db.select(selection('TEAM_ROLE', teamRoleColumns)).from(memberships).where(filter),
  },
  bindingPath('TEAM_BINDING', 'TEAM', ['TEAM']),
  bindingPath('RESOURCE_BINDING', 'RESOURCE', ['BUCKET', 'APP', 'CLUSTER']),
  {
    source: 'ACL',
    level: 'RESOURCE',
    kinds: ['BUCKET', 'APP', 'CLUSTER'],
    serviceAccounts: true,
    columns: aclColumns,
    from: (db, filter) => db.select(selection('ACL', aclColumns)).from(aclEntries).where(filter),
  },
  {
    source: 'GRANTED_TEAM',
    level: 'RESOURCE',
    kinds: ['APP'],
    serviceAccounts: false,
    columns: grantedTeamColumns,
    from: (db, filter) =>
      db
        .select(selection('GRANTED_TEAM', grantedTeamColumns))
        .from(appGrants)
        .innerJoin(memberships, eq(memberships.teamId, appGrants.granteeTeamId))
        .where(filter),
  },
];

function heldBySubject(path: GrantPath, subject: Subject): SQL {
  if (subject.type === 'SERVICE_ACCOUNT') return path.serviceAccounts ? sql`${path.columns.serviceAccountId} = ${subject.id}` : sql`false`;
  return sql`${path.columns.userId} = ${subject.id}`;
}

/** The path's conditions for a filter (undefined: no condition). */
function conditions(path: GrantPath, filter: GrantFilter): SQL | undefined {
  const c = path.columns;
  return and(
    filter.subject ? heldBySubject(path, filter.subject) : undefined,
    filter.teamIds ? inArray(c.teamId as AnyColumn, filter.teamIds as string[]) : undefined,
    filter.kind && path.level === 'RESOURCE' ? sql`${c.resourceKind} = ${filter.kind}` : undefined,
    filter.resourceIds ? inArray(c.resourceId as AnyColumn, filter.resourceIds as string[]) : undefined,
  );
}

/** Paths at the levels asked for (and, for RESOURCE paths, granting on `kind`). */
export function pathsAt(levels: readonly GrantLevel[], kind?: ResourceKind): GrantPath[] {
  return GRANT_PATHS.filter((p) => levels.includes(p.level) && (p.level !== 'RESOURCE' || !kind || p.kinds.includes(kind)));
}

/** The rows of the given paths that match each filter, in one statement (UNION ALL). */
export async function grantRows(db: Executor, ...parts: { paths: readonly GrantPath[]; filter: GrantFilter }[]): Promise<GrantRow[]> {
  const selects = parts.flatMap(({ paths, filter }) =>
    paths
      .filter((p) => !filter.subject || filter.subject.type === 'USER' || p.serviceAccounts)
      .map((p) => p.from(db, conditions(p, filter))),
  );
  if (!selects.length) return [];
  const [first, ...rest] = selects;
  return rest.reduce((union: GrantQuery, next: GrantQuery) => union.unionAll(next), first);
}

/** The columns of an outer query that name a subject: the user, or the service account (null for a user). */
export interface SubjectColumns {
  userId: AnyColumn | SQL;
  serviceAccountId?: AnyColumn | SQL;
}

/**
 * SQL expression: every grant row (all paths) of the subject named by columns of the enclosing
 * query, as a JSON array (`GrantJson`). Authentication selects it with the credential, so a request
 * knows what its viewer holds without a statement of its own.
 */
export function grantsJsonOf(db: Executor, subject: SubjectColumns): SQL<unknown> {
  const selects = GRANT_PATHS.flatMap((path) => [
    path.from(db, sql`${path.columns.userId} = ${subject.userId}`),
    ...(path.serviceAccounts && subject.serviceAccountId
      ? [path.from(db, sql`${path.columns.serviceAccountId} = ${subject.serviceAccountId}`)]
      : []),
  ]);
  const [first, ...rest] = selects;
  const union = rest.reduce((all: GrantQuery, next: GrantQuery) => all.unionAll(next), first);
  return sql`(select coalesce(json_agg(json_build_array(g.source, g.team_id, g.resource_kind, g.resource_id, g.role, g.permissions)), '[]'::json) from (${union}) g)`;
}

/** A grant row as `grantsJsonOf` yields it: source, team, resource kind, resource id, role, permissions. */
export type GrantJson = [AccessSource, string | null, ResourceKind | null, string | null, string | null, string[]];

/** Reads `grantsJsonOf`'s value as the drivers return it (PGlite parses JSON, postgres.js may not). */
export function parseGrantsJson(
  value: unknown,
): Pick<GrantRow, 'source' | 'teamId' | 'resourceKind' | 'resourceId' | 'role' | 'permissions'>[] {
  const rows = (typeof value === 'string' ? JSON.parse(value) : value) as GrantJson[];
  return rows.map(([source, teamId, resourceKind, resourceId, role, permissions]) => ({
    source,
    teamId,
    resourceKind,
    resourceId,
    role,
    permissions,
  }));
}

/**
 * What a row grants, by the catalog's rules: a grant on one resource carries only what can be
 * granted there (that kind's actions, not creating resources or sharing apps with other teams);
 * any permission implies reading what it acts on. `narrow` applies a token's scopes before
 * implications, so a token scoped to `app:deploy` still reads the apps it may deploy.
 */
export function effectivePermissions(
  row: Pick<GrantRow, 'permissions' | 'resourceKind'>,
  narrow: (p: Permission) => boolean = () => true,
): Set<Permission> {
  const kind = row.resourceKind;
  return withImplied(row.permissions.filter((p): p is Permission => isPermission(p) && (!kind || grantableAt(p, kind)) && narrow(p)));
}
