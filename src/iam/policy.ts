import { eq, inArray, or, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Subject, Viewer } from '../auth/subject.js';
import type { Executor } from '../db/client.js';
import { isAnyOf } from '../db/read.js';
import { memberships, teams } from '../db/schema/index.js';
import { forbidden } from '../graphql/errors.js';
import { GRANT_PATHS, effectivePermissions, grantRows, type GrantRow, type ResourceKind } from './grant-paths.js';
import { ALL_PERMISSIONS, implying, withImplied, type Permission } from './permissions.js';

export { bindingPermissions, roleOfBinding, type ResourceKind } from './grant-paths.js';

const NONE: ReadonlySet<Permission> = new Set();

/** SQL condition: the binding or ACL entry is the subject's. */
export function heldBy(table: { userId: AnyColumn; serviceAccountId: AnyColumn }, subject: Subject): SQL {
  return subject.type === 'USER' ? eq(table.userId, subject.id) : eq(table.serviceAccountId, subject.id);
}

/**
 * Any of the visibility conditions. Unlike drizzle's `or`, which drops undefined operands, an
 * undefined condition here means "no restriction" and makes the whole result unrestricted.
 */
export function anyOf(...conditions: (SQL | undefined)[]): SQL | undefined {
  if (conditions.some((c) => c === undefined)) return undefined;
  return or(...conditions);
}

/** A resource as the policy needs it: its id and its owning team. */
export interface ResourceRef {
  id: string;
  teamId: string;
}

/** The permissions of a kind of resource (a grant on an app to another team, `viewerPermissions`). */
export const RESOURCE_PERMISSION_PREFIX: Record<ResourceKind, string> = { APP: 'app:', BUCKET: 'bucket:', CLUSTER: 'cluster:' };

/** A grant row as the policy needs it (authentication selects these with the credential). */
export type HeldGrant = Pick<GrantRow, 'source' | 'teamId' | 'resourceKind' | 'resourceId' | 'role' | 'permissions'>;

/** What the viewer holds, by where it holds: effective permissions (scopes and implications applied). */
interface Grants {
  platform: Set<Permission>;
  byTeam: Map<string, Set<Permission>>;
  byResource: Record<ResourceKind, Map<string, Set<Permission>>>;
  /** The viewer's membership role in each of their teams (TEAM_ROLE rows), whatever a token's scopes. */
  memberRoles: Map<string, string>;
}

function addTo(map: Map<string, Set<Permission>>, key: string): Set<Permission> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

/** The ids of a grant map whose permissions include `permission` (null: none). */
function idsHolding(map: Map<string, Set<Permission>>, permission: Permission): string[] | null {
  const ids: string[] = [];
  for (const [id, permissions] of map) if (permissions.has(permission)) ids.push(id);
  return ids.length ? ids : null;
}

/** A check a request relied on, to make again inside its transaction (`stillHolds`). */
interface Reliance {
  teamId: string | null;
  holds: (policy: Policy) => Promise<boolean>;
  refusal: string;
}

/**
 * What the viewer may do, answered from the grant paths (grant-paths.ts). The viewer's grant rows
 * come with their credential (authentication selects them in its one statement), or are loaded in
 * one statement the first time they are needed (a policy on a transaction). Every question after
 * that, and every SQL visibility filter, is answered from memory: lists take the readable team and
 * resource ids as one array parameter, so authorization adds no statement to a read and keeps the
 * SQL text the same from request to request.
 */
export class Policy {
  private grants?: Grants;
  private loading?: Promise<Grants>;
  private readonly relied: Reliance[] = [];

  constructor(
    private readonly db: Executor,
    readonly viewer: Viewer | null,
    /** The viewer's grant rows, when the caller already has them (authentication). */
    held?: readonly HeldGrant[],
  ) {
    if (viewer && held) this.grants = this.grantsFrom(held);
  }

  get subject(): Subject | null {
    return this.viewer?.subject ?? null;
  }

  /** A platform ADMIN (the token's scopes still narrow what it may do). */
  isPlatformAdmin(): boolean {
    return this.viewer?.user?.platformRole === 'ADMIN';
  }

  /** Whether the credential's scopes (if any) let it use `permission`. */
  scopeAllows = (permission: Permission): boolean => {
    const scopes = this.viewer?.scopes;
    return !scopes || scopes.has(permission);
  };

  private grantsFrom(rows: readonly HeldGrant[]): Grants {
    const grants: Grants = {
      platform: new Set(),
      byTeam: new Map(),
      byResource: { APP: new Map(), BUCKET: new Map(), CLUSTER: new Map() },
      memberRoles: new Map(),
    };
    for (const row of rows) {
      if (row.source === 'TEAM_ROLE') grants.memberRoles.set(row.teamId!, row.role!);
      const target = row.resourceKind
        ? addTo(grants.byResource[row.resourceKind], row.resourceId!)
        : row.teamId === null
          ? grants.platform
          : addTo(grants.byTeam, row.teamId);
      for (const p of effectivePermissions(row, this.scopeAllows)) target.add(p);
    }
    return grants;
  }

  private loadGrants(): Promise<Grants> {
    if (this.grants) return Promise.resolve(this.grants);
    return (this.loading ??= grantRows(this.db, { paths: GRANT_PATHS, filter: { subject: this.subject! } }).then(
      (rows) => (this.grants = this.grantsFrom(rows)),
    ));
  }

  /**
   * Loads the viewer's grants again (one statement): a mutation may have changed them (a team
   * created, an invitation accepted), and what it returns is read with what the viewer holds now.
   */
  async reload(): Promise<void> {
    if (!this.subject) return;
    this.grants = undefined;
    this.loading = undefined;
    await this.loadGrants();
  }

  /** The grants, for the SQL filters, which are built synchronously. */
  private loaded(): Grants {
    if (!this.grants) throw new Error('The viewer’s grants are not loaded: the policy was made without them.');
    return this.grants;
  }

  /** The viewer's permissions in a team, platform-wide ones included (empty when the team is not theirs). */
  async teamPermissions(teamId: string | null): Promise<ReadonlySet<Permission>> {
    if (!this.viewer) return NONE;
    if (this.isPlatformAdmin()) return withImplied([...ALL_PERMISSIONS].filter(this.scopeAllows));
    const { platform, byTeam } = await this.loadGrants();
    const inTeam = teamId === null ? undefined : byTeam.get(teamId);
    return inTeam ? new Set([...platform, ...inTeam]) : platform;
  }

  /** The viewer's membership role in the team (`viewerRole`), null when they are not a member. */
  async memberRole(teamId: string): Promise<string | null> {
    if (!this.viewer) return null;
    return (await this.loadGrants()).memberRoles.get(teamId) ?? null;
  }

  /** The viewer's permissions at platform scope. */
  platformPermissions(): Promise<ReadonlySet<Permission>> {
    return this.teamPermissions(null);
  }

  async can(teamId: string, permission: Permission): Promise<boolean> {
    return (await this.teamPermissions(teamId)).has(permission);
  }

  async canOnPlatform(permission: Permission): Promise<boolean> {
    return (await this.platformPermissions()).has(permission);
  }

  /**
   * The viewer's permissions on one resource: those of its team, plus grants on the resource
   * itself (bindings, ACL entries and, for apps, grants to the viewer's teams), which open that
   * resource only.
   */
  async resourcePermissions(kind: ResourceKind, resource: ResourceRef): Promise<ReadonlySet<Permission>> {
    const team = await this.teamPermissions(resource.teamId);
    if (!this.viewer || this.isPlatformAdmin()) return team;
    const granted = (await this.loadGrants()).byResource[kind].get(resource.id);
    return granted ? new Set([...team, ...granted]) : team;
  }

  /**
   * What the viewer may do to the resource (`viewerPermissions`): its own kind's permissions,
   * sorted, without `…:create`, which is a team permission (creating such resources).
   */
  async resourceActions(kind: ResourceKind, resource: ResourceRef): Promise<string[]> {
    const prefix = RESOURCE_PERMISSION_PREFIX[kind];
    return [...(await this.resourcePermissions(kind, resource))].filter((p) => p.startsWith(prefix) && p !== `${prefix}create`).sort();
  }

  /** Throws FORBIDDEN unless the viewer holds the permission in the team. */
  async require(teamId: string, permission: Permission, action: string): Promise<void> {
    if (!(await this.can(teamId, permission))) throw forbidden(`You need the ${permission} permission to ${action}.`);
  }

  /** Records a check the request passed (the guard records every declared clause), for `stillHolds`. */
  relyOn(teamId: string | null, holds: (policy: Policy) => Promise<boolean>, refusal: string): void {
    this.relied.push({ teamId, holds, refusal });
  }

  /**
   * Makes the request's recorded checks again inside its transaction, under the row locks of their
   * teams in share mode. Mutations that set up a grant path (a binding, an ACL entry, an app grant,
   * a token for a service account, an invitation) call it: their checks ran before the transaction,
   * so a removal of their actor committing in between would miss what they create. Departures lock
   * the team exclusively (teams/departure.ts): either the grant commits first and the departure ends
   * it, or the grant waits and finds its actor gone (FORBIDDEN).
   */
  async stillHolds(tx: Executor): Promise<void> {
    const teamIds = [...new Set(this.relied.flatMap((r) => (r.teamId ? [r.teamId] : [])))].sort();
    if (teamIds.length) await tx.select({ id: teams.id }).from(teams).where(inArray(teams.id, teamIds)).orderBy(teams.id).for('share');
    const now = new Policy(tx, this.viewer);
    for (const reliance of this.relied) if (!(await reliance.holds(now))) throw forbidden(reliance.refusal);
  }

  /**
   * SQL condition: the team in `teamIdColumn` grants the viewer `permission` (team:read for
   * visibility). Lists and lookups put it in their WHERE, so what the viewer may not read never
   * leaves the database. Undefined means "no restriction".
   */
  teamsGranting(teamIdColumn: AnyColumn, permission: Permission = 'team:read'): SQL | undefined {
    if (!this.subject) return sql`false`;
    if (this.isPlatformAdmin()) return implying(permission).some(this.scopeAllows) ? undefined : sql`false`;
    const { platform, byTeam } = this.loaded();
    if (platform.has(permission)) return undefined;
    const ids = idsHolding(byTeam, permission);
    return ids ? isAnyOf(teamIdColumn, ids) : sql`false`;
  }

  /**
   * SQL condition: the viewer holds `permission` on the resource in `idColumn` (owned by the team
   * in `teamIdColumn`) through its team or through a grant on the resource itself.
   */
  resourcesGranting(kind: ResourceKind, idColumn: AnyColumn, teamIdColumn: AnyColumn, permission: Permission): SQL | undefined {
    const viaTeam = this.teamsGranting(teamIdColumn, permission);
    if (!this.subject || viaTeam === undefined || this.isPlatformAdmin()) return viaTeam;
    const ids = idsHolding(this.loaded().byResource[kind], permission);
    return ids ? or(viaTeam, isAnyOf(idColumn, ids)) : viaTeam;
  }

  /**
   * SQL condition: the user in `userIdColumn` is visible to the viewer: the viewer themself,
   * anyone for user managers, otherwise members of the teams the viewer can read.
   */
  usersVisible(userIdColumn: AnyColumn): SQL | undefined {
    const subject = this.subject;
    if (!subject) return sql`false`;
    if (this.isPlatformAdmin() && this.scopeAllows('user:manage')) return undefined;
    // A user manager by platform binding sees everyone, as the admin entry points let them act on anyone.
    if (!this.isPlatformAdmin() && this.loaded().platform.has('user:manage')) return undefined;
    const teamRead = this.teamsGranting(memberships.teamId);
    return anyOf(
      eq(userIdColumn, subject.id),
      inArray(userIdColumn, this.db.select({ id: memberships.userId }).from(memberships).where(teamRead)),
    );
  }
}
