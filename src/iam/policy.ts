import { eq, inArray, or, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Subject, Viewer } from '../auth/subject.js';
import type { Executor } from '../db/client.js';
import { memberships, teams } from '../db/schema/index.js';
import { forbidden } from '../graphql/errors.js';
import { effectivePermissions, grantRows, heldThrough, pathsAt, type ResourceKind } from './grant-paths.js';
import { ALL_PERMISSIONS, grantableAt, implying, withImplied, type Permission } from './permissions.js';

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

interface TeamGrants {
  platform: Set<Permission>;
  byTeam: Map<string, Set<Permission>>;
}

/**
 * What the viewer may do, answered from the grant paths (grant-paths.ts). The viewer's grants are
 * loaded whole, once per request: team and platform ones in one statement the first time any team
 * is asked about, and those on single resources in one statement per kind. Later and deeper
 * questions are answered from memory, so authorization adds a constant number of statements to a
 * request whatever the number of objects, teams or ACL entries.
 */
/** A check a request relied on, to make again inside its transaction (`stillHolds`). */
interface Reliance {
  teamId: string | null;
  holds: (policy: Policy) => Promise<boolean>;
  refusal: string;
}

export class Policy {
  private teamGrants?: Promise<TeamGrants>;
  private readonly relied: Reliance[] = [];
  private readonly resourceGrants = new Map<ResourceKind, Promise<Map<string, Set<Permission>>>>();

  constructor(
    private readonly db: Executor,
    readonly viewer: Viewer | null,
  ) {}

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

  private loadTeamGrants(): Promise<TeamGrants> {
    return (this.teamGrants ??= grantRows(this.db, { paths: pathsAt(['PLATFORM', 'TEAM']), filter: { subject: this.subject! } }).then(
      (rows) => {
        const grants: TeamGrants = { platform: new Set(), byTeam: new Map() };
        for (const row of rows) {
          const target =
            row.teamId === null
              ? grants.platform
              : (grants.byTeam.get(row.teamId) ?? grants.byTeam.set(row.teamId, new Set()).get(row.teamId)!);
          for (const p of effectivePermissions(row, this.scopeAllows)) target.add(p);
        }
        return grants;
      },
    ));
  }

  private loadResourceGrants(kind: ResourceKind): Promise<Map<string, Set<Permission>>> {
    let loaded = this.resourceGrants.get(kind);
    if (!loaded) {
      loaded = grantRows(this.db, { paths: pathsAt(['RESOURCE'], kind), filter: { subject: this.subject!, kind } }).then((rows) => {
        const byResource = new Map<string, Set<Permission>>();
        for (const row of rows) {
          const target = byResource.get(row.resourceId!) ?? byResource.set(row.resourceId!, new Set()).get(row.resourceId!)!;
          for (const p of effectivePermissions(row, this.scopeAllows)) target.add(p);
        }
        return byResource;
      });
      this.resourceGrants.set(kind, loaded);
    }
    return loaded;
  }

  /** The viewer's permissions in a team, platform-wide ones included (empty when the team is not theirs). */
  async teamPermissions(teamId: string | null): Promise<ReadonlySet<Permission>> {
    if (!this.viewer) return NONE;
    if (this.isPlatformAdmin()) return withImplied([...ALL_PERMISSIONS].filter(this.scopeAllows));
    const { platform, byTeam } = await this.loadTeamGrants();
    const inTeam = teamId === null ? undefined : byTeam.get(teamId);
    return inTeam ? new Set([...platform, ...inTeam]) : platform;
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
    const granted = (await this.loadResourceGrants(kind)).get(resource.id);
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

  /** The raw permissions that give `permission` (itself or one implying it) and that the credential may use. */
  private usable(permission: Permission): Permission[] {
    return implying(permission).filter(this.scopeAllows);
  }

  /**
   * SQL condition: the team in `teamIdColumn` grants the viewer `permission` (team:read for
   * visibility). Lists and lookups put it in their WHERE, so what the viewer may not read never
   * leaves the database. Undefined means "no restriction".
   */
  teamsGranting(teamIdColumn: AnyColumn, permission: Permission = 'team:read'): SQL | undefined {
    const subject = this.subject;
    const usable = this.usable(permission);
    if (!subject || !usable.length) return sql`false`;
    if (this.isPlatformAdmin()) return undefined;
    return or(...heldThrough(this.db, pathsAt(['PLATFORM', 'TEAM']), subject, usable, { teamColumn: teamIdColumn }));
  }

  /**
   * SQL condition: the viewer holds `permission` on the resource in `idColumn` (owned by the team
   * in `teamIdColumn`) through its team or through a grant on the resource itself.
   */
  resourcesGranting(kind: ResourceKind, idColumn: AnyColumn, teamIdColumn: AnyColumn, permission: Permission): SQL | undefined {
    const viaTeam = this.teamsGranting(teamIdColumn, permission);
    const subject = this.subject;
    const usable = this.usable(permission).filter((p) => grantableAt(p, kind));
    if (!subject || viaTeam === undefined || !usable.length) return viaTeam;
    return or(viaTeam, ...heldThrough(this.db, pathsAt(['RESOURCE'], kind), subject, usable, { teamColumn: teamIdColumn, kind, idColumn }));
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
      inArray(userIdColumn, this.db.select({ id: memberships.userId }).from(memberships).where(teamRead)),
      // A user manager by platform binding sees everyone, as the admin entry points let them act on anyone.
      this.scopeAllows('user:manage')
        ? or(...heldThrough(this.db, pathsAt(['PLATFORM']), subject, ['user:manage'], { teamColumn: memberships.teamId }))
        : sql`false`,
    );
  }
}
