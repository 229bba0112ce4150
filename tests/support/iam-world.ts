import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { displayPrefix, hashSecret, newSecret } from '../../src/auth/secrets.js';
import type { Database } from '../../src/db/client.js';
import {
  aclEntries,
  apiTokens,
  appGrants,
  apps,
  buckets,
  clusters,
  memberships,
  nodePools,
  roleBindings,
  roles,
  serviceAccounts,
  sessions,
  teams,
  users,
} from '../../src/db/schema/index.js';
import { toGlobalId } from '../../src/graphql/relay.js';
import { PERMISSIONS, grantableAt, permissionsGrantableAt, type GrantScope, type Permission } from '../../src/iam/permissions.js';

/**
 * Random IAM worlds and the reference of who holds what, shared by the property tests (isolation,
 * escalation): fast-check generates raw values (`iamWorldFields`), `buildIamWorld` makes a valid
 * world of them (users, some platform admins and some suspended; teams with exactly one OWNER and
 * other members; custom roles at TEAM and PLATFORM scope; role bindings at every scope; ACL
 * entries; apps granted to other teams; buckets, apps, clusters; service accounts bound in their
 * team; sessions, user tokens and service-account tokens with random scopes), `insertWorld`
 * writes it directly into the database (setup only), and `reference` says what a credential
 * holds, written from the Authorization section of DESIGN.md (it does not use src/iam/policy.ts).
 */

// ---------------------------------------------------------------------------------------------
// The rules, written from DESIGN.md (Authorization), independently of src/iam/policy.ts.
// ---------------------------------------------------------------------------------------------

export type TeamRole = 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER';
export type Kind = 'BUCKET' | 'APP' | 'CLUSTER';
export const KINDS: Kind[] = ['BUCKET', 'APP', 'CLUSTER'];
export const PREFIX: Record<Kind, string> = { BUCKET: 'bucket:', APP: 'app:', CLUSTER: 'cluster:' };

/**
 * Built-in team roles (DESIGN: "VIEWER reads everything in the team except secret values; MEMBER
 * adds create, update, deploy, lifecycle, env writes and reading secret values; ADMIN adds
 * delete, member management and IAM; OWNER adds team deletion and ownership transfer"). Where the
 * prose leaves a choice (team:update, cluster:scale, app:grant) this follows the catalog the API
 * publishes; the first test checks that the API's built-in roles are exactly these sets.
 */
export const VIEWER_PERMS: Permission[] = ['team:read', 'bucket:read', 'app:read', 'cluster:read', 'audit:read'];
export const MEMBER_PERMS: Permission[] = [
  ...VIEWER_PERMS,
  'bucket:create',
  'bucket:update',
  'app:create',
  'app:update',
  'app:deploy',
  'app:lifecycle',
  'app:env:write',
  'app:env:read-secrets',
  'cluster:create',
  'cluster:update',
  'cluster:scale',
];
export const ADMIN_PERMS: Permission[] = [
  ...MEMBER_PERMS,
  'team:update',
  'team:members:manage',
  'bucket:delete',
  'app:delete',
  'app:grant',
  'cluster:delete',
  'iam:manage',
];
export const ROLE_PERMS: Record<TeamRole, readonly Permission[]> = {
  VIEWER: VIEWER_PERMS,
  MEMBER: MEMBER_PERMS,
  ADMIN: ADMIN_PERMS,
  OWNER: [...ADMIN_PERMS, 'team:delete', 'team:transfer'],
};

export type Subject = { type: 'USER' | 'SA'; index: number };

export interface IamWorld {
  users: { id: string; email: string; admin: boolean; suspended: boolean }[];
  teams: { id: string; slug: string; name: string; members: Map<number, { id: string; role: TeamRole }> }[];
  serviceAccounts: { id: string; name: string; team: number }[];
  roles: { id: string; scope: 'PLATFORM' | 'TEAM'; team: number | null; permissions: Permission[] }[];
  buckets: { id: string; name: string; team: number }[];
  clusters: { id: string; name: string; team: number; nodePool: string }[];
  apps: { id: string; name: string; team: number; cluster: number | null; grantees: number[] }[];
  bindings: { subject: Subject; scope: GrantScope; target: number | null; role: number | null; permission: Permission | null }[];
  acls: { subject: Subject; kind: Kind; target: number; permission: Permission }[];
  credentials: { label: string; subject: Subject; kind: 'session' | 'token'; scopes: Permission[] | null; secret: string }[];
}

export const sameSubject = (a: Subject, b: Subject) => a.type === b.type && a.index === b.index;
export const isAdmin = (w: IamWorld, s: Subject) => s.type === 'USER' && w.users[s.index].admin;
export const membershipRole = (w: IamWorld, s: Subject, team: number): TeamRole | null =>
  s.type === 'USER' ? (w.teams[team].members.get(s.index)?.role ?? null) : null; // service accounts are never members
export const bindingPerms = (w: IamWorld, b: IamWorld['bindings'][number]): Permission[] =>
  b.role !== null ? w.roles[b.role].permissions : [b.permission!];

/** What the subject holds at team level in `team`: platform ADMIN; PLATFORM bindings; TEAM bindings at the team; its membership role. */
export function teamLevel(w: IamWorld, s: Subject, team: number): Set<Permission> {
  if (isAdmin(w, s)) return new Set(PERMISSIONS);
  const held = new Set<Permission>();
  for (const b of w.bindings)
    if (sameSubject(b.subject, s) && (b.scope === 'PLATFORM' || (b.scope === 'TEAM' && b.target === team)))
      for (const p of bindingPerms(w, b)) held.add(p);
  const role = membershipRole(w, s, team);
  if (role) for (const p of ROLE_PERMS[role]) held.add(p);
  return held;
}

export const resourceOf = (w: IamWorld, kind: Kind, i: number) =>
  kind === 'BUCKET' ? w.buckets[i] : kind === 'APP' ? w.apps[i] : w.clusters[i];

/**
 * What the subject holds on one resource of its kind: its owner team's team-level set (that kind's
 * permissions), plus bindings on the resource, ACL entries on it and, for apps, the subject's
 * membership role in each team the app was granted to — of these only what can be granted on one
 * resource (the catalog's scopes): that kind's actions, not `kind:create` nor `app:grant`, which
 * are team permissions.
 */
export function onResource(w: IamWorld, s: Subject, kind: Kind, i: number): Set<Permission> {
  const ofKind = (p: Permission) => p.startsWith(PREFIX[kind]);
  const onOne = (p: Permission) => grantableAt(p, kind);
  const held = new Set([...teamLevel(w, s, resourceOf(w, kind, i).team)].filter(ofKind));
  for (const b of w.bindings)
    if (sameSubject(b.subject, s) && b.scope === kind && b.target === i) for (const p of bindingPerms(w, b)) if (onOne(p)) held.add(p);
  for (const a of w.acls) if (sameSubject(a.subject, s) && a.kind === kind && a.target === i && onOne(a.permission)) held.add(a.permission);
  if (kind === 'APP')
    for (const g of w.apps[i].grantees) {
      const role = membershipRole(w, s, g);
      if (role) for (const p of ROLE_PERMS[role]) if (onOne(p)) held.add(p);
    }
  return held;
}

/**
 * Any permission on an object implies reading it (DESIGN): acting on a bucket, app or cluster
 * implies reading that kind where it holds; acting on the team itself, creating in it, managing
 * its IAM or reading its audit trail implies reading the team; sharing apps implies both.
 */
function withReads(set: Set<Permission>): Set<Permission> {
  const all = new Set(set);
  for (const p of set) {
    const [kind, action] = p.split(':');
    if (p === 'user:manage') continue;
    if (p === 'app:grant') all.add('app:read').add('team:read');
    else if (action === 'create' || ['team', 'iam', 'audit'].includes(kind)) all.add('team:read');
    else all.add(`${kind}:read` as Permission);
  }
  return all;
}

/** Why a subject has access to a resource, as `collaborators` names it (platform-wide access is not listed). */
export type CollaboratorSourceKind = 'TEAM_ROLE' | 'TEAM_BINDING' | 'RESOURCE_BINDING' | 'ACL' | 'GRANTED_TEAM';

export interface CollaboratorReference {
  subject: Subject;
  /** The user's email or the service account's name (the list is sorted by it). */
  name: string;
  permissions: Permission[];
  sources: { kind: CollaboratorSourceKind; role: string | null; teamSlug: string | null; permissions: Permission[] }[];
}

/**
 * The reference for `collaborators` of one resource: every subject holding permissions on it
 * through its owner team (membership role: TEAM_ROLE; a custom role or single permission bound
 * in the team: TEAM_BINDING) or through the resource itself (bindings on it, ACL entries on it,
 * for apps membership in a team it was granted to), each path counted as `onResource` counts it
 * (only what can be granted on one resource, for paths onto it) with the reads it implies, kept
 * to the kind's permissions but creating. Platform admins and PLATFORM bindings cover every
 * resource alike and are not listed; token scopes do not apply (subjects, not credentials).
 * Subjects holding nothing on the resource are left out; `omitted` counts them.
 */
export function collaboratorsOf(w: IamWorld, kind: Kind, i: number): { list: CollaboratorReference[]; omitted: number } {
  const resource = resourceOf(w, kind, i);
  const owner = w.teams[resource.team];
  const onKind = (perms: readonly Permission[]) =>
    [...withReads(new Set(perms))].filter((p) => p.startsWith(PREFIX[kind]) && p !== `${PREFIX[kind]}create`).sort();
  const onOne = (perms: readonly Permission[]) => perms.filter((p) => grantableAt(p, kind));
  const roleName = (b: IamWorld['bindings'][number]) => (b.role === null ? null : `role-${b.role}`); // as insertWorld names them
  const paths: { subject: Subject; source: CollaboratorReference['sources'][number] }[] = [];
  const path = (subject: Subject, source: CollaboratorSourceKind, role: string | null, teamSlug: string | null, perms: Permission[]) =>
    paths.push({ subject, source: { kind: source, role, teamSlug, permissions: onKind(perms) } });
  for (const [u, m] of owner.members) path({ type: 'USER', index: u }, 'TEAM_ROLE', m.role, owner.slug, [...ROLE_PERMS[m.role]]);
  for (const b of w.bindings) {
    if (b.scope === 'TEAM' && b.target === resource.team) path(b.subject, 'TEAM_BINDING', roleName(b), owner.slug, bindingPerms(w, b));
    if (b.scope === kind && b.target === i) path(b.subject, 'RESOURCE_BINDING', roleName(b), null, onOne(bindingPerms(w, b)));
  }
  for (const a of w.acls) if (a.kind === kind && a.target === i) path(a.subject, 'ACL', null, null, onOne([a.permission]));
  if (kind === 'APP')
    for (const g of w.apps[i].grantees)
      for (const [u, m] of w.teams[g].members)
        path({ type: 'USER', index: u }, 'GRANTED_TEAM', m.role, w.teams[g].slug, onOne([...ROLE_PERMS[m.role]]));
  const bySubject = new Map<string, CollaboratorReference>();
  for (const { subject, source } of paths) {
    const key = `${subject.type}:${subject.index}`;
    const name = subject.type === 'USER' ? w.users[subject.index].email : w.serviceAccounts[subject.index].name;
    const entry = bySubject.get(key) ?? { subject, name, permissions: [], sources: [] };
    if (source.permissions.length) entry.sources.push(source);
    entry.permissions = [...new Set([...entry.permissions, ...source.permissions])].sort();
    bySubject.set(key, entry);
  }
  const list = [...bySubject.values()].filter((c) => c.permissions.length);
  const omitted = bySubject.size - list.length;
  return { list: list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), omitted };
}

/** The reference: what a credential may do. Token scopes intersect (before implied reads); a suspended user's credentials are refused. */
export function reference(w: IamWorld, c: IamWorld['credentials'][number]) {
  const narrow = (set: Set<Permission>) => new Set([...set].filter((p) => !c.scopes || c.scopes.includes(p)));
  const team = (t: number) => withReads(narrow(teamLevel(w, c.subject, t)));
  const resource = (kind: Kind, i: number) => withReads(narrow(onResource(w, c.subject, kind, i)));
  return {
    refused: c.subject.type === 'USER' && w.users[c.subject.index].suspended,
    team,
    resource,
    holdsTeam: (t: number, p: Permission) => team(t).has(p),
    holds: (kind: Kind, i: number, p: Permission) => resource(kind, i).has(p),
    /** viewerPermissions of a resource: its kind's permissions, without `kind:create` (a team permission). */
    actions: (kind: Kind, i: number) =>
      [...resource(kind, i)].filter((p) => p.startsWith(PREFIX[kind]) && p !== `${PREFIX[kind]}create`).sort(),
  };
}

// ---------------------------------------------------------------------------------------------
// Random worlds. Raw values hold indexes (natural numbers) that `buildWorld` reduces modulo the
// counts, so a world stays valid (and meaningful) while fast-check shrinks it.
// ---------------------------------------------------------------------------------------------

export const ix = fc.nat({ max: 99 });
/** True with probability 1/n; shrinks towards false. */
export const rarely = (n: number) => fc.nat({ max: n - 1 }).map((v) => v === n - 1);
export const grantScope = fc.constantFrom<GrantScope>('TEAM', 'APP', 'BUCKET', 'CLUSTER', 'TEAM', 'APP', 'PLATFORM');

/**
 * A single permission to grant: half of the time one the checks observe most directly (reading and
 * updating), otherwise any; `pickPermission` keeps it to those grantable at the scope.
 */
export const FOCUS: Permission[] = [
  'team:read',
  'team:update',
  'bucket:read',
  'bucket:update',
  'app:read',
  'app:update',
  'cluster:read',
  'cluster:update',
];
export const permissionPick = fc.record({ focus: fc.boolean(), index: ix });
export function pickPermission(pick: { focus: boolean; index: number }, scope: GrantScope): Permission {
  const grantable = PERMISSIONS.filter((p) => grantableAt(p, scope));
  const focused = FOCUS.filter((p) => grantableAt(p, scope));
  const from = pick.focus ? focused : grantable;
  return from[pick.index % from.length];
}

export const iamWorldFields = {
  users: fc.array(
    fc.record({
      admin: rarely(6),
      suspended: rarely(6),
      tokens: fc.array(fc.option(fc.subarray([...PERMISSIONS], { minLength: 1 }), { nil: null }), { maxLength: 1 }),
    }),
    {
      minLength: 1,
      maxLength: 4,
    },
  ),
  teams: fc.array(
    fc.record({
      owner: ix,
      members: fc.array(fc.record({ user: ix, role: fc.constantFrom<TeamRole>('VIEWER', 'MEMBER', 'ADMIN') }), { maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  serviceAccounts: fc.array(
    fc.record({
      team: ix,
      tokens: fc.array(fc.option(fc.subarray([...PERMISSIONS], { minLength: 1 }), { nil: null }), { minLength: 1, maxLength: 2 }),
      // A service account holds nothing until bound: often a role or permission in its own team.
      teamBinding: fc.option(fc.record({ useRole: fc.boolean(), role: ix, permission: permissionPick }), { nil: null }),
    }),
    { maxLength: 2 },
  ),
  roles: fc.array(fc.record({ platform: rarely(4), team: ix, permissions: fc.subarray([...PERMISSIONS]) }), { maxLength: 3 }),
  buckets: fc.array(fc.record({ team: ix }), { maxLength: 3 }),
  clusters: fc.array(fc.record({ team: ix }), { maxLength: 2 }),
  apps: fc.array(fc.record({ team: ix, cluster: fc.option(ix, { nil: null }), grantees: fc.array(ix, { maxLength: 3 }) }), {
    maxLength: 3,
  }),
  bindings: fc.array(
    fc.record({ subject: ix, scope: grantScope, target: ix, useRole: fc.boolean(), role: ix, permission: permissionPick }),
    {
      maxLength: 8,
    },
  ),
  acls: fc.array(
    fc.record({ subject: ix, kind: fc.constantFrom<Kind>('APP', 'BUCKET', 'CLUSTER'), target: ix, permission: permissionPick }),
    {
      maxLength: 5,
    },
  ),
};

/** The raw values of a world (each field an arbitrary, for `fc.record`). */
export type RawIamWorld = { [K in keyof typeof iamWorldFields]: (typeof iamWorldFields)[K] extends fc.Arbitrary<infer T> ? T : never };

/** A valid world from raw values: exactly one OWNER per team, roles and bindings only where the API lets them be made. */
export function buildIamWorld(raw: RawIamWorld, domain = 'isolation.test'): IamWorld {
  const w: IamWorld = {
    users: raw.users.map((u, i) => ({ id: randomUUID(), email: `u${i}@${domain}`, admin: u.admin, suspended: u.suspended })),
    teams: [],
    serviceAccounts: [],
    roles: [],
    buckets: [],
    clusters: [],
    apps: [],
    bindings: [],
    acls: [],
    credentials: [],
  };
  const U = w.users.length;
  raw.teams.forEach((t, i) => {
    const members = new Map<number, { id: string; role: TeamRole }>([[t.owner % U, { id: randomUUID(), role: 'OWNER' }]]);
    for (const m of t.members) if (!members.has(m.user % U)) members.set(m.user % U, { id: randomUUID(), role: m.role });
    w.teams.push({ id: randomUUID(), slug: `team-${i}`, name: `Team ${i}`, members });
  });
  const T = w.teams.length;
  raw.serviceAccounts.forEach((s, i) => w.serviceAccounts.push({ id: randomUUID(), name: `sa-${i}`, team: s.team % T }));
  for (const r of raw.roles) {
    const scope = r.platform ? 'PLATFORM' : 'TEAM';
    // A role holds only permissions that make sense at its scope.
    w.roles.push({
      id: randomUUID(),
      scope,
      team: r.platform ? null : r.team % T,
      permissions: r.permissions.filter((p) => grantableAt(p, scope)),
    });
  }
  raw.buckets.forEach((b, i) => w.buckets.push({ id: randomUUID(), name: `bucket-${i}`, team: b.team % T }));
  raw.clusters.forEach((c, i) => w.clusters.push({ id: randomUUID(), name: `cluster-${i}`, team: c.team % T, nodePool: randomUUID() }));
  raw.apps.forEach((a, i) => {
    const team = a.team % T;
    const own = w.clusters.flatMap((c, ci) => (c.team === team ? [ci] : []));
    w.apps.push({
      id: randomUUID(),
      name: `app-${i}`,
      team,
      cluster: a.cluster !== null && own.length ? own[a.cluster % own.length] : null,
      grantees: [...new Set(a.grantees.map((g) => g % T))].filter((g) => g !== team),
    });
  });
  const subjects: Subject[] = [
    ...w.users.map((_, index) => ({ type: 'USER' as const, index })),
    ...w.serviceAccounts.map((_, index) => ({ type: 'SA' as const, index })),
  ];
  const teamOfScope = (scope: GrantScope, target: number) =>
    scope === 'TEAM' ? target : scope === 'PLATFORM' ? null : resourceOf(w, scope as Kind, target).team;
  const countAt = (scope: GrantScope) =>
    scope === 'TEAM' ? T : scope === 'BUCKET' ? w.buckets.length : scope === 'APP' ? w.apps.length : w.clusters.length;
  const serviceAccountBindings = raw.serviceAccounts.flatMap((sa, i) =>
    sa.teamBinding ? [{ ...sa.teamBinding, subject: U + i, scope: 'TEAM' as GrantScope, target: 0 }] : [],
  );
  for (const b of [...serviceAccountBindings, ...raw.bindings]) {
    const subject = subjects[b.subject % subjects.length];
    let target: number | null = null;
    if (b.scope !== 'PLATFORM') {
      // A service account holds roles only in its own team and on that team's resources (platform bindings are allowed).
      const candidates = Array.from({ length: countAt(b.scope) }, (_, i) => i).filter(
        (i) => subject.type === 'USER' || teamOfScope(b.scope, i) === w.serviceAccounts[subject.index].team,
      );
      if (!candidates.length) continue;
      target = candidates[b.target % candidates.length];
    }
    const team = target === null ? null : teamOfScope(b.scope, target);
    // A PLATFORM role binds at the PLATFORM scope; a team's role in that team or on its resources.
    const fitting = w.roles.flatMap((r, ri) => ((b.scope === 'PLATFORM' ? r.scope === 'PLATFORM' : r.team === team) ? [ri] : []));
    if (b.useRole && fitting.length) {
      w.bindings.push({ subject, scope: b.scope, target, role: fitting[b.role % fitting.length], permission: null });
    } else {
      w.bindings.push({ subject, scope: b.scope, target, role: null, permission: pickPermission(b.permission, b.scope) });
    }
  }
  const seen = new Set<string>();
  for (const a of raw.acls) {
    const subject = subjects[a.subject % subjects.length];
    const candidates = Array.from({ length: countAt(a.kind) }, (_, i) => i).filter(
      (i) => subject.type === 'USER' || resourceOf(w, a.kind, i).team === w.serviceAccounts[subject.index].team,
    );
    if (!candidates.length) continue;
    const acl = {
      subject,
      kind: a.kind,
      target: candidates[a.target % candidates.length],
      permission: pickPermission(a.permission, a.kind),
    };
    const key = JSON.stringify(acl);
    if (!seen.has(key)) w.acls.push(acl);
    seen.add(key);
  }
  // Every user logs in (a session); some also hold API tokens, and service accounts hold tokens, with random scopes or none.
  raw.users.forEach((u, index) => {
    const subject: Subject = { type: 'USER', index };
    w.credentials.push({ label: `session of u${index}`, subject, kind: 'session', scopes: null, secret: newSecret('session') });
    u.tokens.forEach((scopes, k) =>
      w.credentials.push({
        label: `token ${k} of u${index}`,
        subject,
        kind: 'token',
        scopes: scopes && [...new Set(scopes)].sort(),
        secret: newSecret('apiToken'),
      }),
    );
  });
  raw.serviceAccounts.forEach((s, index) =>
    s.tokens.forEach((scopes, k) =>
      w.credentials.push({
        label: `token ${k} of sa-${index}`,
        subject: { type: 'SA', index },
        kind: 'token',
        scopes: scopes && [...new Set(scopes)].sort(),
        secret: newSecret('apiToken'),
      }),
    ),
  );
  return w;
}

/** The world in a few readable lines, for failure messages. */
export function describeIamWorld(w: IamWorld): string[] {
  const subj = (s: Subject) => (s.type === 'USER' ? `u${s.index}` : `sa-${s.index}`);
  const target = (scope: GrantScope, t: number | null) =>
    scope === 'PLATFORM' ? 'PLATFORM' : scope === 'TEAM' ? `team-${t}` : `${resourceOf(w, scope as Kind, t!).name}`;
  return [
    `users: ${w.users.map((u, i) => `u${i}${u.admin ? ' (platform ADMIN)' : ''}${u.suspended ? ' (SUSPENDED)' : ''}`).join(', ')}`,
    ...w.teams.map((t) => `${t.slug}: ${[...t.members].map(([u, m]) => `u${u} ${m.role}`).join(', ')}`),
    ...w.serviceAccounts.map((s) => `${s.name} in team-${s.team}`),
    ...w.roles.map((r, i) => `role ${i} (${r.scope}${r.team === null ? '' : ` of team-${r.team}`}): [${r.permissions.join(', ')}]`),
    ...w.buckets.map((b) => `${b.name} of team-${b.team}`),
    ...w.clusters.map((c) => `${c.name} of team-${c.team}`),
    ...w.apps.map(
      (a) =>
        `${a.name} of team-${a.team}${a.cluster === null ? '' : ` on cluster-${a.cluster}`}${a.grantees.length ? `, granted to ${a.grantees.map((g) => `team-${g}`).join(', ')}` : ''}`,
    ),
    ...w.bindings.map(
      (b) => `binding: ${subj(b.subject)} at ${target(b.scope, b.target)}: ${b.role !== null ? `role ${b.role}` : b.permission}`,
    ),
    ...w.acls.map((a) => `acl: ${subj(a.subject)} ${a.permission} on ${resourceOf(w, a.kind, a.target).name}`),
    ...w.credentials.map((c) => `${c.label}${c.scopes ? ` scopes [${c.scopes.join(', ')}]` : ''}`),
  ];
}

/**
 * Empties what a world (and its checks) wrote; the catalogs stay. Apps and clusters first (their
 * teams cannot go before them), then teams, platform roles and users, whose rows cascade to the rest.
 */
export const CLEAN = ['apps', 'clusters', 'teams', 'roles', 'users', 'audit_events', 'operations', 'outbox'].map((t) =>
  sql.raw(`delete from ${t}`),
);

export async function insertWorld(db: Database['db'], w: IamWorld): Promise<void> {
  for (const statement of CLEAN) await db.execute(statement);
  const now = new Date();
  const future = new Date(now.getTime() + 3_600_000);
  const subjectColumns = (s: Subject) =>
    s.type === 'USER'
      ? { userId: w.users[s.index].id, serviceAccountId: null }
      : { userId: null, serviceAccountId: w.serviceAccounts[s.index].id };
  await db.transaction(async (tx) => {
    await tx.insert(users).values(
      w.users.map((u) => ({
        id: u.id,
        email: u.email,
        passwordHash: 'not-used',
        platformRole: u.admin ? ('ADMIN' as const) : ('USER' as const),
        status: u.suspended ? ('SUSPENDED' as const) : ('ACTIVE' as const),
        emailVerifiedAt: now,
      })),
    );
    // Limits high enough for the creations the mutations make.
    await tx
      .insert(teams)
      .values(w.teams.map((t) => ({ id: t.id, slug: t.slug, name: t.name, maxApps: 50, maxClusters: 50, maxBuckets: 50 })));
    await tx
      .insert(memberships)
      .values(w.teams.flatMap((t) => [...t.members].map(([u, m]) => ({ id: m.id, teamId: t.id, userId: w.users[u].id, role: m.role }))));
    if (w.serviceAccounts.length)
      await tx.insert(serviceAccounts).values(w.serviceAccounts.map((s) => ({ id: s.id, teamId: w.teams[s.team].id, name: s.name })));
    if (w.roles.length)
      await tx.insert(roles).values(
        w.roles.map((r, i) => ({
          id: r.id,
          scope: r.scope,
          teamId: r.team === null ? null : w.teams[r.team].id,
          name: `role-${i}`,
          permissions: r.permissions,
        })),
      );
    if (w.buckets.length)
      await tx.insert(buckets).values(w.buckets.map((b) => ({ id: b.id, teamId: w.teams[b.team].id, name: b.name, region: 'eu-west-1' })));
    if (w.clusters.length)
      await tx.insert(clusters).values(
        w.clusters.map((c, i) => ({
          id: c.id,
          teamId: w.teams[c.team].id,
          name: c.name,
          version: '1.31',
          cidr: `10.${i}.0.0/16`,
          region: 'eu-west-1',
          status: 'READY' as const,
        })),
      );
    // One node pool per cluster, for scaleNodePool.
    if (w.clusters.length)
      await tx.insert(nodePools).values(
        w.clusters.map((c) => ({
          id: c.nodePool,
          teamId: w.teams[c.team].id,
          clusterId: c.id,
          name: 'default',
          nodeType: 'standard-2',
          nodeCount: 1,
          zone: 'eu-west-1a',
        })),
      );
    if (w.apps.length) {
      await tx.insert(apps).values(
        w.apps.map((a) => ({
          id: a.id,
          teamId: w.teams[a.team].id,
          name: a.name,
          platform: 'node',
          plan: 'small',
          pool: 'default',
          clusterId: a.cluster === null ? null : w.clusters[a.cluster].id,
        })),
      );
      const grants = w.apps.flatMap((a) =>
        a.grantees.map((g) => ({
          teamId: w.teams[a.team].id,
          appId: a.id,
          granteeTeamId: w.teams[g].id,
          permissions: permissionsGrantableAt('APP'),
        })),
      );
      if (grants.length) await tx.insert(appGrants).values(grants);
    }
    if (w.bindings.length)
      await tx.insert(roleBindings).values(
        w.bindings.map((b) => ({
          ...subjectColumns(b.subject),
          scope: b.scope,
          teamId:
            b.scope === 'PLATFORM'
              ? null
              : b.scope === 'TEAM'
                ? w.teams[b.target!].id
                : w.teams[resourceOf(w, b.scope as Kind, b.target!).team].id,
          resourceId: b.scope === 'PLATFORM' || b.scope === 'TEAM' ? null : resourceOf(w, b.scope as Kind, b.target!).id,
          roleId: b.role === null ? null : w.roles[b.role].id,
          permission: b.permission,
        })),
      );
    if (w.acls.length)
      await tx.insert(aclEntries).values(
        w.acls.map((a) => ({
          ...subjectColumns(a.subject),
          teamId: w.teams[resourceOf(w, a.kind, a.target).team].id,
          permission: a.permission,
          resourceType: a.kind,
          resourceId: resourceOf(w, a.kind, a.target).id,
        })),
      );
    const sessionRows = w.credentials.filter((c) => c.kind === 'session');
    // lastUsedAt = now: the server then has no bookkeeping write to make after the response.
    if (sessionRows.length)
      await tx.insert(sessions).values(
        sessionRows.map((c) => ({
          userId: w.users[c.subject.index].id,
          tokenHash: hashSecret(c.secret),
          expiresAt: future,
          lastUsedAt: now,
        })),
      );
    const tokenRows = w.credentials.filter((c) => c.kind === 'token');
    if (tokenRows.length)
      await tx.insert(apiTokens).values(
        tokenRows.map((c, i) => ({
          ...subjectColumns(c.subject),
          teamId: c.subject.type === 'SA' ? w.teams[w.serviceAccounts[c.subject.index].team].id : null,
          name: `token-${i}`,
          prefix: displayPrefix(c.secret),
          secretHash: hashSecret(c.secret),
          scopes: c.scopes,
          lastUsedAt: now,
        })),
      );
  });
}

export const gid = {
  team: (w: IamWorld, i: number) => toGlobalId('Team', w.teams[i].id),
  BUCKET: (w: IamWorld, i: number) => toGlobalId('Bucket', w.buckets[i].id),
  APP: (w: IamWorld, i: number) => toGlobalId('App', w.apps[i].id),
  CLUSTER: (w: IamWorld, i: number) => toGlobalId('Cluster', w.clusters[i].id),
};
export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
export const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** Every resource of the world as (kind, index, global id). */
export function everything(w: IamWorld) {
  return [
    ...range(w.teams.length).map((i) => ({ kind: 'TEAM' as const, i, id: gid.team(w, i), name: w.teams[i].slug })),
    ...KINDS.flatMap((kind) =>
      range(kind === 'BUCKET' ? w.buckets.length : kind === 'APP' ? w.apps.length : w.clusters.length).map((i) => ({
        kind,
        i,
        id: gid[kind](w, i),
        name: resourceOf(w, kind, i).name,
      })),
    ),
  ];
}
