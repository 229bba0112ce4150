import { startTestServer, type GqlResult, type TestServer } from './support/server.js';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayPrefix, hashSecret, newSecret } from '../src/auth/secrets.js';
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
} from '../src/db/schema/index.js';
import { toGlobalId } from '../src/graphql/relay.js';
import { PERMISSIONS, grantableAt, permissionsGrantableAt, type GrantScope, type Permission } from '../src/iam/permissions.js';
import { okResult } from './support/api.js';

/**
 * Proof of isolation (issue 5): a model-based property test. fast-check generates small random
 * worlds (users, some platform admins and some suspended; teams with exactly one OWNER and other
 * members; custom roles at TEAM and PLATFORM scope; role bindings at every scope; ACL entries;
 * apps granted to other teams; buckets, apps, clusters; service accounts bound in their team;
 * sessions, user tokens and service-account tokens with random scopes), inserts each directly
 * into the database (setup only), and then, for every credential and every resource, checks
 * through HTTP with the real token that every path agrees with `reference`, a plain function
 * written from the Authorization section of DESIGN.md (it does not use src/iam/policy.ts):
 * node, nodes, team(slug), app(name), cluster(id); the teams, apps, buckets and clusters lists;
 * Team.apps/buckets/clusters/members/serviceAccounts, App.team/cluster/grantedTeams, Bucket.team,
 * Cluster.team/apps; exact viewerPermissions on Team, Bucket, App and Cluster. Each mutation is
 * its own request (a refused one nulls the whole response), so mutations run on a generated
 * sample of (credential, resource, mutation) triples, a representative mutation per permission:
 * on teams updateTeam, inviteMember, createBucket, createApp, createCluster, createServiceAccount
 * and reading Team.events; updateBucket; on apps updateApp, setEnv, startApp, deployApp and
 * grantAppAccess (app:grant in the owner team); on clusters updateCluster, scaleNodePool and
 * createNodePool; each expecting success, FORBIDDEN (readable, permission missing; exact message)
 * or NOT_FOUND (not readable). They run after the reads (creations show in lists); grants, which
 * change who reads an app, run last, one at a time, and are recorded in the model as they succeed.
 *
 * Replaying a failure: the failure message prints the shrunk world, what disagreed, and
 * fast-check's seed and path, e.g.
 *   Property failed after 40 tests
 *   { seed: 20250605, path: "39:2:3:3:3:4", endOnFailure: true }
 * Re-run exactly that (shrunk) world with
 *   ISOLATION_SEED=20250605 ISOLATION_PATH="39:2:3:3:3:4" npx vitest run tests/isolation-property.test.ts
 * (prefix TEST_DATABASE_URL=... for Postgres). ISOLATION_RUNS overrides the number of worlds, and
 * ISOLATION_VERBOSE=1 prints every world as it is checked and the coverage counts.
 */

const SEED = Number(process.env.ISOLATION_SEED ?? 20_250_605);
const RUNS = Number(process.env.ISOLATION_RUNS ?? 200);
const REPLAY_PATH = process.env.ISOLATION_PATH;
const VERBOSE = !!process.env.ISOLATION_VERBOSE;

// ---------------------------------------------------------------------------------------------
// The rules, written from DESIGN.md (Authorization), independently of src/iam/policy.ts.
// ---------------------------------------------------------------------------------------------

type TeamRole = 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER';
type Kind = 'BUCKET' | 'APP' | 'CLUSTER';
const KINDS: Kind[] = ['BUCKET', 'APP', 'CLUSTER'];
const PREFIX: Record<Kind, string> = { BUCKET: 'bucket:', APP: 'app:', CLUSTER: 'cluster:' };

/**
 * Built-in team roles (DESIGN: "VIEWER reads everything in the team except secret values; MEMBER
 * adds create, update, deploy, lifecycle, env writes and reading secret values; ADMIN adds
 * delete, member management and IAM; OWNER adds team deletion and ownership transfer"). Where the
 * prose leaves a choice (team:update, cluster:scale, app:grant) this follows the catalog the API
 * publishes; the first test checks that the API's built-in roles are exactly these sets.
 */
const VIEWER_PERMS: Permission[] = ['team:read', 'bucket:read', 'app:read', 'cluster:read', 'audit:read'];
const MEMBER_PERMS: Permission[] = [
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
const ADMIN_PERMS: Permission[] = [
  ...MEMBER_PERMS,
  'team:update',
  'team:members:manage',
  'bucket:delete',
  'app:delete',
  'app:grant',
  'cluster:delete',
  'iam:manage',
];
const ROLE_PERMS: Record<TeamRole, readonly Permission[]> = {
  VIEWER: VIEWER_PERMS,
  MEMBER: MEMBER_PERMS,
  ADMIN: ADMIN_PERMS,
  OWNER: [...ADMIN_PERMS, 'team:delete', 'team:transfer'],
};

type Subject = { type: 'USER' | 'SA'; index: number };

interface World {
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
  /** Credential index → the mutations to make with it: a resource (index in `everything`) and which of its mutations. */
  mutations: Map<number, { resource: number; variant: number }[]>;
}

const sameSubject = (a: Subject, b: Subject) => a.type === b.type && a.index === b.index;
const isAdmin = (w: World, s: Subject) => s.type === 'USER' && w.users[s.index].admin;
const membershipRole = (w: World, s: Subject, team: number): TeamRole | null =>
  s.type === 'USER' ? (w.teams[team].members.get(s.index)?.role ?? null) : null; // service accounts are never members
const bindingPerms = (w: World, b: World['bindings'][number]): Permission[] =>
  b.role !== null ? w.roles[b.role].permissions : [b.permission!];

/** What the subject holds at team level in `team`: platform ADMIN; PLATFORM bindings; TEAM bindings at the team; its membership role. */
function teamLevel(w: World, s: Subject, team: number): Set<Permission> {
  if (isAdmin(w, s)) return new Set(PERMISSIONS);
  const held = new Set<Permission>();
  for (const b of w.bindings)
    if (sameSubject(b.subject, s) && (b.scope === 'PLATFORM' || (b.scope === 'TEAM' && b.target === team)))
      for (const p of bindingPerms(w, b)) held.add(p);
  const role = membershipRole(w, s, team);
  if (role) for (const p of ROLE_PERMS[role]) held.add(p);
  return held;
}

const resourceOf = (w: World, kind: Kind, i: number) => (kind === 'BUCKET' ? w.buckets[i] : kind === 'APP' ? w.apps[i] : w.clusters[i]);

/**
 * What the subject holds on one resource of its kind: its owner team's team-level set (that kind's
 * permissions), plus bindings on the resource, ACL entries on it and, for apps, the subject's
 * membership role in each team the app was granted to — of these only what can be granted on one
 * resource (the catalog's scopes): that kind's actions, not `kind:create` nor `app:grant`, which
 * are team permissions.
 */
function onResource(w: World, s: Subject, kind: Kind, i: number): Set<Permission> {
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

/** The reference: what a credential may do. Token scopes intersect (before implied reads); a suspended user's credentials are refused. */
function reference(w: World, c: World['credentials'][number]) {
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

const ix = fc.nat({ max: 99 });
/** True with probability 1/n; shrinks towards false. */
const rarely = (n: number) => fc.nat({ max: n - 1 }).map((v) => v === n - 1);
const grantScope = fc.constantFrom<GrantScope>('TEAM', 'APP', 'BUCKET', 'CLUSTER', 'TEAM', 'APP', 'PLATFORM');

/**
 * A single permission to grant: half of the time one the checks observe most directly (reading and
 * updating), otherwise any; `pickPermission` keeps it to those grantable at the scope.
 */
const FOCUS: Permission[] = [
  'team:read',
  'team:update',
  'bucket:read',
  'bucket:update',
  'app:read',
  'app:update',
  'cluster:read',
  'cluster:update',
];
const permissionPick = fc.record({ focus: fc.boolean(), index: ix });
function pickPermission(pick: { focus: boolean; index: number }, scope: GrantScope): Permission {
  const grantable = PERMISSIONS.filter((p) => grantableAt(p, scope));
  const focused = FOCUS.filter((p) => grantableAt(p, scope));
  const from = pick.focus ? focused : grantable;
  return from[pick.index % from.length];
}

const rawWorld = fc.record({
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
  /**
   * Which (credential, resource, mutation) triples also get a mutation (each is one request, so a
   * sample rather than all); `variant` picks one of the resource's mutations (see `mutations`).
   * Most resources of a world are not readable to a given credential, so `aim` keeps a third of
   * the picks to resources it can read (1), and a third to mutations the reference refuses with
   * FORBIDDEN (2: readable, permission missing), when there are any.
   */
  mutations: fc.array(fc.record({ credential: ix, resource: ix, variant: ix, aim: fc.nat({ max: 2 }) }), { maxLength: 10 }),
});
type RawWorld = typeof rawWorld extends fc.Arbitrary<infer T> ? T : never;

/** A valid world from raw values: exactly one OWNER per team, roles and bindings only where the API lets them be made. */
function buildWorld(raw: RawWorld): World {
  const w: World = {
    users: raw.users.map((u, i) => ({ id: randomUUID(), email: `u${i}@isolation.test`, admin: u.admin, suspended: u.suspended })),
    teams: [],
    serviceAccounts: [],
    roles: [],
    buckets: [],
    clusters: [],
    apps: [],
    bindings: [],
    acls: [],
    credentials: [],
    mutations: new Map(),
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
  const resourceCount = T + w.buckets.length + w.apps.length + w.clusters.length;
  for (const m of raw.mutations) {
    const credential = m.credential % w.credentials.length;
    const list = w.mutations.get(credential) ?? [];
    const c = w.credentials[credential];
    const ref = reference(w, c);
    let pick = { resource: m.resource % resourceCount, variant: m.variant };
    if (m.aim === 1) {
      const readable = everything(w).flatMap((r, k) =>
        (r.kind === 'TEAM' ? ref.holdsTeam(r.i, 'team:read') : ref.holds(r.kind, r.i, `${PREFIX[r.kind]}read` as Permission)) ? [k] : [],
      );
      if (readable.length) pick = { resource: readable[m.resource % readable.length], variant: m.variant };
    } else if (m.aim === 2) {
      // Variants 0..14 reach every mutation of every resource (apps: 5 mutations × up to 3 grantee teams); a
      // kind of mutation first (each as likely), then one of its FORBIDDEN pairs.
      const forbidden = new Map<MutationKind, { resource: number; variant: number }[]>();
      for (const variant of range(15))
        mutations(w, c, variant).forEach((options, resource) => {
          const { kind, expected } = options[variant % options.length];
          if (expected === 'FORBIDDEN') forbidden.set(kind, [...(forbidden.get(kind) ?? []), { resource, variant }]);
        });
      const kinds = [...forbidden.values()];
      if (kinds.length) {
        const pairs = kinds[m.variant % kinds.length];
        pick = pairs[m.resource % pairs.length];
      }
    }
    if (!list.some((x) => x.resource === pick.resource && x.variant === pick.variant)) list.push(pick);
    w.mutations.set(credential, list);
  }
  return w;
}

/** The world in a few readable lines, for failure messages. */
function describeWorld(w: World): string {
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
    ...[...w.mutations].map(
      ([c, list]) => `${w.credentials[c].label} runs ${list.map((pick) => pickMutation(w, w.credentials[c], pick).what).join(', ')}`,
    ),
  ].join('\n  ');
}

// ---------------------------------------------------------------------------------------------
// Setup: one server; each world replaces the previous one (tables emptied, catalogs kept).
// ---------------------------------------------------------------------------------------------

let server: TestServer;

beforeAll(async () => {
  // No operation worker: the operations that mutations queue (deploys, clusters, node pools) stay queued.
  server = await startTestServer({ operationWorkers: 0 });
});
afterAll(() => server?.close());

/**
 * Empties what a world (and its checks) wrote; the catalogs stay. Apps and clusters first (their
 * teams cannot go before them), then teams, platform roles and users, whose rows cascade to the rest.
 */
const CLEAN = ['apps', 'clusters', 'teams', 'roles', 'users', 'audit_events', 'operations', 'outbox'].map((t) =>
  sql.raw(`delete from ${t}`),
);

async function insertWorld(w: World): Promise<void> {
  const db = server.database.db;
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

// ---------------------------------------------------------------------------------------------
// Checks: one query with every read path, and one mutation per resource, per credential.
// ---------------------------------------------------------------------------------------------

const gid = {
  team: (w: World, i: number) => toGlobalId('Team', w.teams[i].id),
  BUCKET: (w: World, i: number) => toGlobalId('Bucket', w.buckets[i].id),
  APP: (w: World, i: number) => toGlobalId('App', w.apps[i].id),
  CLUSTER: (w: World, i: number) => toGlobalId('Cluster', w.clusters[i].id),
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** Every resource of the world as (kind, index, global id). */
function everything(w: World) {
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

const PAGE = 'first: 50';

/** The read query for a world: the same text for every credential. */
function readQuery(w: World): string {
  const all = everything(w);
  return `query Isolation {
    ${all.map((r, k) => `node_${k}: node(id: "${r.id}") { ...Seen }`).join('\n    ')}
    everything: nodes(ids: [${all.map((r) => `"${r.id}"`).join(', ')}]) { ...Seen }
    ${w.teams.map((t, i) => `team_${i}: team(slug: "${t.slug}") { id viewerPermissions }`).join('\n    ')}
    ${w.apps.map((a, i) => `app_${i}: app(name: "${a.name}") { id viewerPermissions }`).join('\n    ')}
    ${w.clusters.map((_, i) => `cluster_${i}: cluster(id: "${gid.CLUSTER(w, i)}") { id viewerPermissions }`).join('\n    ')}
    teams(${PAGE}) { nodes { id viewerPermissions
      members(${PAGE}) { nodes { id } }
      serviceAccounts(${PAGE}) { nodes { id } }
      apps(${PAGE}) { nodes { id viewerPermissions } }
      buckets(${PAGE}) { nodes { id viewerPermissions } }
      clusters(${PAGE}) { nodes { id viewerPermissions } } } }
    apps(${PAGE}) { nodes { id viewerPermissions team { id viewerPermissions } cluster { id viewerPermissions } grantedTeams { id } } }
    buckets(${PAGE}) { nodes { id viewerPermissions team { id } } }
    clusters(${PAGE}) { nodes { id viewerPermissions team { id } apps(${PAGE}) { nodes { id } } } }
  }
  fragment Seen on Node { id
    ... on Team { viewerPermissions }
    ... on Bucket { viewerPermissions }
    ... on App { viewerPermissions }
    ... on Cluster { viewerPermissions }
  }`;
}

type Err = { message: string; path: (string | number)[]; code: string };

/** What the read query must answer for the credential: data and the exact set of errors. */
function expectedRead(w: World, c: World['credentials'][number]) {
  const ref = reference(w, c);
  const all = everything(w);
  const teamReadable = (t: number) => ref.holdsTeam(t, 'team:read');
  const readable = (kind: Kind, i: number) => ref.holds(kind, i, `${PREFIX[kind]}read` as Permission);
  const visible = (r: (typeof all)[number]) => (r.kind === 'TEAM' ? teamReadable(r.i) : readable(r.kind, r.i));
  const seen = (r: (typeof all)[number]) =>
    visible(r) ? { id: r.id, viewerPermissions: r.kind === 'TEAM' ? [...ref.team(r.i)].sort() : ref.actions(r.kind, r.i) } : null;
  const teamObj = (t: number) => ({ id: gid.team(w, t), viewerPermissions: [...ref.team(t)].sort() });
  const res = (kind: Kind, i: number) => ({ id: gid[kind](w, i), viewerPermissions: ref.actions(kind, i) });
  const listOf = <T extends { name: string }>(list: T[], keep: (x: T, i: number) => boolean, map: (i: number) => unknown) => ({
    nodes: byName(list.map((x, i) => ({ ...x, i })).filter((x) => keep(x, x.i))).map((x) => map(x.i)),
  });
  const errors: Err[] = [];
  const data: Record<string, unknown> = {};
  all.forEach((r, k) => {
    data[`node_${k}`] = seen(r);
    if (!visible(r)) errors.push({ message: `Node ${r.id} not found.`, path: [`node_${k}`], code: 'NOT_FOUND' });
  });
  data.everything = all.map(seen);
  all.forEach((r, k) => {
    if (!visible(r)) errors.push({ message: `Node ${r.id} not found.`, path: ['everything', k], code: 'NOT_FOUND' });
  });
  w.teams.forEach((t, i) => {
    data[`team_${i}`] = teamReadable(i) ? teamObj(i) : null;
    if (!teamReadable(i)) errors.push({ message: `Team "${t.slug}" not found.`, path: [`team_${i}`], code: 'NOT_FOUND' });
  });
  w.apps.forEach((a, i) => {
    data[`app_${i}`] = readable('APP', i) ? res('APP', i) : null;
    if (!readable('APP', i)) errors.push({ message: `App "${a.name}" not found.`, path: [`app_${i}`], code: 'NOT_FOUND' });
  });
  w.clusters.forEach((_, i) => {
    data[`cluster_${i}`] = readable('CLUSTER', i) ? res('CLUSTER', i) : null;
    if (!readable('CLUSTER', i)) errors.push({ message: 'Cluster not found.', path: [`cluster_${i}`], code: 'NOT_FOUND' });
  });
  data.teams = listOf(
    w.teams,
    (_, t) => teamReadable(t),
    (t) => ({
      ...teamObj(t),
      // A readable team shows all its members and service accounts, and those of its resources the viewer can read.
      // Members are listed oldest first; rows inserted together tie on creation time and follow their ids.
      members: {
        nodes: [...w.teams[t].members.values()]
          .map((m) => m.id)
          .sort()
          .map((id) => ({ id: toGlobalId('Membership', id) })),
      },
      serviceAccounts: {
        nodes: byName(w.serviceAccounts.filter((s) => s.team === t)).map((s) => ({ id: toGlobalId('ServiceAccount', s.id) })),
      },
      apps: listOf(
        w.apps,
        (a, i) => a.team === t && readable('APP', i),
        (i) => res('APP', i),
      ),
      buckets: listOf(
        w.buckets,
        (b, i) => b.team === t && readable('BUCKET', i),
        (i) => res('BUCKET', i),
      ),
      clusters: listOf(
        w.clusters,
        (c, i) => c.team === t && readable('CLUSTER', i),
        (i) => res('CLUSTER', i),
      ),
    }),
  );
  data.apps = listOf(
    w.apps,
    (_, i) => readable('APP', i),
    (i) => {
      const a = w.apps[i];
      return {
        ...res('APP', i),
        // A grant opens the app, never its team: the owner team shows only when readable.
        team: teamReadable(a.team) ? teamObj(a.team) : null,
        cluster: a.cluster !== null && readable('CLUSTER', a.cluster) ? res('CLUSTER', a.cluster) : null,
        grantedTeams: byName(a.grantees.filter(teamReadable).map((g) => w.teams[g])).map((t) => ({ id: toGlobalId('Team', t.id) })),
      };
    },
  );
  data.buckets = listOf(
    w.buckets,
    (_, i) => readable('BUCKET', i),
    (i) => ({ ...res('BUCKET', i), team: teamReadable(w.buckets[i].team) ? { id: gid.team(w, w.buckets[i].team) } : null }),
  );
  data.clusters = listOf(
    w.clusters,
    (_, i) => readable('CLUSTER', i),
    (i) => ({
      ...res('CLUSTER', i),
      team: teamReadable(w.clusters[i].team) ? { id: gid.team(w, w.clusters[i].team) } : null,
      apps: listOf(
        w.apps,
        (a, ai) => a.cluster === i && readable('APP', ai),
        (ai) => ({ id: gid.APP(w, ai) }),
      ),
    }),
  );
  return { data, errors };
}

type Outcome = 'OK' | 'FORBIDDEN' | 'NOT_FOUND';

interface Mutation {
  /** Which mutation (a coverage counter). */
  kind: MutationKind;
  what: string;
  query: string;
  expected: Outcome;
  /** The answers that mean "allowed" (data, no errors): a userError after authorization passed counts. */
  ok: unknown[];
  /** The answer when refused (FORBIDDEN or NOT_FOUND). */
  refusal: { data: unknown; errors: Err[] };
  /** A grant changes who reads the app: grants run after the others, one at a time, and are recorded in the model. */
  grant?: { app: number; team: number };
}

const MUTATION_KINDS = [
  'updateTeam',
  'inviteMember',
  'createBucket',
  'createApp',
  'createCluster',
  'createServiceAccount',
  'Team.events',
  'updateBucket',
  'updateApp',
  'setEnv',
  'startApp',
  'deployApp',
  'grantAppAccess',
  'updateCluster',
  'scaleNodePool',
  'createNodePool',
] as const;
type MutationKind = (typeof MUTATION_KINDS)[number];

/** Makes names unique across worlds and credentials (created resources must not collide). */
let serial = 0;

/**
 * The mutations of each resource (indexed as in `everything`), a representative one per permission
 * a resource's checks depend on, with the expected outcome: success, FORBIDDEN (readable,
 * permission missing) or NOT_FOUND (not readable). Teams: team:update, team:members:manage,
 * bucket:create, app:create, cluster:create, iam:manage, audit:read; buckets: bucket:update;
 * apps: app:update, app:env:write, app:lifecycle, app:deploy, app:grant (a team permission in the
 * app's owner team); clusters: cluster:update, cluster:scale (scaling a pool and adding one).
 */
function mutations(w: World, c: World['credentials'][number], variant = 0): Mutation[][] {
  const ref = reference(w, c);
  const outcome = (readable: boolean, allowed: boolean): Outcome => (!readable ? 'NOT_FOUND' : allowed ? 'OK' : 'FORBIDDEN');
  const refusedAt = (expected: Outcome, notFound: string, forbidden: string) => ({
    data: null,
    errors: expected === 'OK' ? [] : [{ message: expected === 'NOT_FOUND' ? notFound : forbidden, path: ['m'], code: expected }],
  });
  const mutation = (
    kind: MutationKind,
    what: string,
    query: string,
    [readable, allowed]: [boolean, boolean],
    ok: unknown[],
    notFound: string,
    forbidden: string,
  ): Mutation => {
    const expected = outcome(readable, allowed);
    return { kind, what, query, expected, ok, refusal: refusedAt(expected, notFound, forbidden) };
  };
  /** An answer with the payload field and no userErrors, or (authorization passed) one of these userErrors. */
  const answers = (field: string | null, value: unknown, ...codes: string[]) => [
    { m: { ...(field ? { [field]: value } : {}), userErrors: [] } },
    ...codes.map((code) => ({ m: { ...(field ? { [field]: null } : {}), userErrors: [{ code }] } })),
  ];
  const teamMutations = (i: number): Mutation[] => {
    const t = w.teams[i];
    const teamId = gid.team(w, i);
    const n = ++serial;
    const needs = (p: Permission): [boolean, boolean] => [ref.holdsTeam(i, 'team:read'), ref.holdsTeam(i, p)];
    const need = (p: Permission, action: string) => `You need the ${p} permission to ${action}.`;
    // Nobody invites to a role holding more than they hold in the team, token scopes applied.
    const mayInviteViewer = ROLE_PERMS.VIEWER.every((p) => ref.holdsTeam(i, p));
    const readable = ref.holdsTeam(i, 'team:read');
    const events = outcome(readable, ref.holdsTeam(i, 'audit:read'));
    return [
      mutation(
        'updateTeam',
        `updateTeam(${t.slug})`,
        `mutation { m: updateTeam(input: { teamId: "${teamId}", description: "checked" }) { team { id } userErrors { code } } }`,
        needs('team:update'),
        answers('team', { id: teamId }),
        'Team not found.',
        need('team:update', 'update this team'),
      ),
      mutation(
        'inviteMember',
        `inviteMember(${t.slug})`,
        `mutation { m: inviteMember(input: { teamId: "${teamId}", email: "invitee-${n}@isolation.test", role: VIEWER }) { invitation { email } userErrors { code } } }`,
        needs('team:members:manage'),
        mayInviteViewer
          ? answers('invitation', { email: `invitee-${n}@isolation.test` })
          : [{ m: { invitation: null, userErrors: [{ code: 'NOT_ALLOWED' }] } }],
        'Team not found.',
        need('team:members:manage', 'manage this team’s members'),
      ),
      mutation(
        'createBucket',
        `createBucket(${t.slug})`,
        `mutation { m: createBucket(input: { teamId: "${teamId}", name: "new-bucket-${n}", region: "eu-west-1" }) { bucket { name } userErrors { code } } }`,
        needs('bucket:create'),
        answers('bucket', { name: `new-bucket-${n}` }),
        'Team not found.',
        need('bucket:create', 'create buckets in this team'),
      ),
      mutation(
        'createApp',
        `createApp(${t.slug})`,
        `mutation { m: createApp(input: { teamId: "${teamId}", name: "new-app-${n}", platform: "node" }) { app { name } userErrors { code } } }`,
        needs('app:create'),
        answers('app', { name: `new-app-${n}` }),
        'Team not found.',
        need('app:create', 'create apps in this team'),
      ),
      mutation(
        'createCluster',
        `createCluster(${t.slug})`,
        `mutation { m: createCluster(input: { teamId: "${teamId}", name: "new-cluster-${n}", cidr: "172.${16 + (Math.floor(n / 256) % 16)}.${n % 256}.0/24", region: "eu-west-1", nodePools: [{ name: "default", nodeType: "standard-2", nodeCount: 1 }] }) { cluster { name } userErrors { code } } }`,
        needs('cluster:create'),
        answers('cluster', { name: `new-cluster-${n}` }),
        'Team not found.',
        need('cluster:create', 'create clusters in this team'),
      ),
      mutation(
        'createServiceAccount',
        `createServiceAccount(${t.slug})`,
        `mutation { m: createServiceAccount(input: { teamId: "${teamId}", name: "sa-new-${n}" }) { serviceAccount { name } userErrors { code } } }`,
        needs('iam:manage'),
        answers('serviceAccount', { name: `sa-new-${n}` }),
        'Team not found.',
        need('iam:manage', 'create service accounts in this team'),
      ),
      {
        kind: 'Team.events',
        what: `${t.slug}.events`,
        query: `query { t: team(slug: "${t.slug}") { events(first: 1) { __typename } } }`,
        expected: events,
        ok: [{ t: { events: { __typename: 'AuditEventConnection' } } }],
        refusal:
          events === 'NOT_FOUND'
            ? { data: { t: null }, errors: [{ message: `Team "${t.slug}" not found.`, path: ['t'], code: 'NOT_FOUND' }] }
            : {
                data: { t: { events: null } },
                errors: [{ message: need('audit:read', 'see the team’s events'), path: ['t', 'events'], code: 'FORBIDDEN' }],
              },
      },
    ];
  };
  const bucketMutations = (i: number): Mutation[] => [
    mutation(
      'updateBucket',
      `updateBucket(${w.buckets[i].name})`,
      `mutation { m: updateBucket(input: { bucketId: "${gid.BUCKET(w, i)}", versioning: true }) { bucket { id } userErrors { code } } }`,
      [ref.holds('BUCKET', i, 'bucket:read'), ref.holds('BUCKET', i, 'bucket:update')],
      answers('bucket', { id: gid.BUCKET(w, i) }),
      'Bucket not found.',
      'You need the bucket:update permission to update this bucket.',
    ),
  ];
  const appMutations = (i: number, variant: number): Mutation[] => {
    const a = w.apps[i];
    const appId = gid.APP(w, i);
    const needs = (p: Permission): [boolean, boolean] => [ref.holds('APP', i, 'app:read'), ref.holds('APP', i, p)];
    const list = [
      mutation(
        'updateApp',
        `updateApp(${a.name})`,
        `mutation { m: updateApp(input: { appId: "${appId}", description: "checked" }) { app { id } userErrors { code } } }`,
        needs('app:update'),
        answers('app', { id: appId }),
        'App not found.',
        'You need the app:update permission to update this app.',
      ),
      mutation(
        'setEnv',
        `setEnv(${a.name})`,
        `mutation { m: setEnv(input: { appId: "${appId}", variables: [{ name: "CHECKED", value: "1" }], noRestart: true }) { app { id } userErrors { code } } }`,
        needs('app:env:write'),
        answers('app', { id: appId }),
        'App not found.',
        'You need the app:env:write permission to set environment variables of this app.',
      ),
      mutation(
        'startApp',
        `startApp(${a.name})`,
        `mutation { m: startApp(input: { appId: "${appId}" }) { userErrors { code } } }`,
        needs('app:lifecycle'),
        // Started already (another credential started it first): authorization passed.
        answers(null, null, 'INVALID_STATE'),
        'App not found.',
        'You need the app:lifecycle permission to start this app.',
      ),
      mutation(
        'deployApp',
        `deployApp(${a.name})`,
        `mutation { m: deployApp(input: { appId: "${appId}", image: "registry.example.com/web:1" }) { deploy { status } userErrors { code } } }`,
        needs('app:deploy'),
        answers('deploy', { status: 'PENDING' }),
        'App not found.',
        'You need the app:deploy permission to deploy this app.',
      ),
    ];
    // Sharing needs app:grant in the app's owner team (a team permission: a grant on the app never carries it).
    const others = range(w.teams.length).filter((t) => t !== a.team);
    if (others.length) {
      const g = others[Math.floor(variant / 5) % others.length];
      const granted = a.grantees.includes(g);
      list.push({
        ...mutation(
          'grantAppAccess',
          `grantAppAccess(${a.name} to ${w.teams[g].slug})`,
          `mutation { m: grantAppAccess(input: { appId: "${appId}", teamId: "${gid.team(w, g)}" }) { app { id } userErrors { code } } }`,
          [ref.holds('APP', i, 'app:read'), ref.holdsTeam(a.team, 'app:grant')],
          granted ? [{ m: { app: null, userErrors: [{ code: 'ALREADY_EXISTS' }] } }] : answers('app', { id: appId }),
          'App not found.',
          'You need the app:grant permission to grant access to this app.',
        ),
        grant: { app: i, team: g },
      });
    }
    return list;
  };
  const clusterMutations = (i: number): Mutation[] => {
    const cl = w.clusters[i];
    const clusterId = gid.CLUSTER(w, i);
    const n = ++serial;
    const needs = (p: Permission): [boolean, boolean] => [ref.holds('CLUSTER', i, 'cluster:read'), ref.holds('CLUSTER', i, p)];
    return [
      mutation(
        'updateCluster',
        `updateCluster(${cl.name})`,
        `mutation { m: updateCluster(input: { clusterId: "${clusterId}", description: "checked" }) { cluster { id } userErrors { code } } }`,
        needs('cluster:update'),
        answers('cluster', { id: clusterId }),
        'Cluster not found.',
        'You need the cluster:update permission to update this cluster.',
      ),
      // Both need a READY cluster: once one has queued its operation (no worker runs it), the next gets INVALID_STATE.
      mutation(
        'scaleNodePool',
        `scaleNodePool(${cl.name})`,
        `mutation { m: scaleNodePool(input: { nodePoolId: "${toGlobalId('NodePool', cl.nodePool)}", nodeCount: 2 }) { userErrors { code } } }`,
        needs('cluster:scale'),
        answers(null, null, 'INVALID_STATE'),
        'NodePool not found.',
        'You need the cluster:scale permission to change this cluster’s node pools.',
      ),
      mutation(
        'createNodePool',
        `createNodePool(${cl.name})`,
        `mutation { m: createNodePool(input: { clusterId: "${clusterId}", name: "pool-${n}", nodeType: "standard-2", nodeCount: 1 }) { userErrors { code } } }`,
        needs('cluster:scale'),
        answers(null, null, 'INVALID_STATE'),
        'Cluster not found.',
        'You need the cluster:scale permission to add node pools to this cluster.',
      ),
    ];
  };
  return everything(w).map((r) =>
    r.kind === 'TEAM'
      ? teamMutations(r.i)
      : r.kind === 'BUCKET'
        ? bucketMutations(r.i)
        : r.kind === 'APP'
          ? appMutations(r.i, variant)
          : clusterMutations(r.i),
  );
}

/** The mutation a sampled (resource, variant) pair stands for. */
function pickMutation(w: World, c: World['credentials'][number], pick: { resource: number; variant: number }): Mutation {
  const list = mutations(w, c, pick.variant)[pick.resource];
  return list[pick.variant % list.length];
}

const errorsOf = (r: GqlResult): Err[] =>
  (r.body.errors ?? []).map((e) => ({ message: e.message, path: e.path ?? [], code: String(e.extensions?.code) }));
const pathKey = (e: Err) => JSON.stringify(e.path);
const sortErrors = (list: Err[]) => [...list].sort((a, b) => (pathKey(a) < pathKey(b) ? -1 : pathKey(a) > pathKey(b) ? 1 : 0));
const show = (v: unknown) => JSON.stringify(v);

/** Checks every path for one credential; returns the disagreements (empty when the API agrees with the reference). */
async function checkCredential(w: World, query: string, index: number): Promise<string[]> {
  const c = w.credentials[index];
  const problems: string[] = [];
  const ref = reference(w, c);
  tally(w, c);
  const read = await server.gql(query, {}, c.secret);
  if (read.status !== 200) problems.push(`read query: HTTP ${read.status}: ${show(read.body)}`);
  if (ref.refused) {
    // A suspended user's credentials are refused on every entry point.
    const codes = [...new Set(errorsOf(read).map((e) => e.code))];
    if (!isDeepStrictEqual(codes, ['UNAUTHENTICATED']))
      problems.push(`read query: expected only UNAUTHENTICATED errors, got ${show(codes)}`);
    const values = Object.values(read.body.data ?? {});
    if (values.some((v) => v !== null)) problems.push(`read query: expected no data, got ${show(read.body.data)}`);
  } else {
    const expected = expectedRead(w, c);
    const actual = (read.body.data ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(expected.data), ...Object.keys(actual)]))
      if (!isDeepStrictEqual(actual[key], expected.data[key]))
        problems.push(`${key}: expected ${show(expected.data[key])}, got ${show(actual[key])}`);
    const want = sortErrors(expected.errors);
    const got = sortErrors(errorsOf(read));
    const wantKeys = new Set(want.map((e) => show(e)));
    const gotKeys = new Set(got.map((e) => show(e)));
    for (const e of want) if (!gotKeys.has(show(e))) problems.push(`missing error ${show(e)}`);
    for (const e of got) if (!wantKeys.has(show(e))) problems.push(`unexpected error ${show(e)}`);
  }
  return problems.map((p) => `${c.label}: ${p}`);
}

/**
 * Runs the credential's sampled mutations (after the reads: creations show in the lists): either
 * all but the grants, or only the grants, which change who reads an app and so are recorded in
 * the model as they succeed.
 */
async function checkMutations(w: World, index: number, grants: boolean): Promise<string[]> {
  const c = w.credentials[index];
  const problems: string[] = [];
  for (const pick of w.mutations.get(index) ?? []) {
    const ref = reference(w, c);
    const m = pickMutation(w, c, pick);
    if (!!m.grant !== grants) continue;
    coverage[ref.refused ? 'mutation refused' : (`mutation ${m.expected}` as const)]++;
    const r = await server.gql(m.query, {}, c.secret);
    const errors = errorsOf(r);
    const got = { data: r.body.data ?? null, errors };
    if (ref.refused) {
      const codes = errors.map((e) => e.code);
      // A mutation answers data: null; the query (Team.events) its nullable root field null.
      if (!isDeepStrictEqual(codes, ['UNAUTHENTICATED']) || Object.values(r.body.data ?? {}).some((v) => v !== null))
        problems.push(`${m.what}: expected UNAUTHENTICATED, got ${show(r.body)}`);
      continue;
    }
    coverage[`${m.kind} ${m.expected}`]++;
    const wants = m.expected === 'OK' ? m.ok.map((data) => ({ data, errors: [] })) : [m.refusal];
    if (!wants.some((want) => isDeepStrictEqual(got, want)))
      problems.push(`${m.what}: expected ${m.expected} ${wants.map(show).join(' or ')}, got ${show(got)}`);
    else if (m.grant && m.expected === 'OK' && !w.apps[m.grant.app].grantees.includes(m.grant.team))
      w.apps[m.grant.app].grantees.push(m.grant.team);
  }
  return problems.map((p) => `${c.label}: ${p}`);
}

let worlds = 0;

/**
 * How often the worlds exercised the interesting cases; the property test asserts minimums, so
 * that a generator change cannot quietly stop exercising them.
 */
const coverage = {
  credentials: 0,
  'suspended user': 0,
  'platform admin': 0,
  'service account': 0,
  'scoped token': 0,
  'scopes narrowed a held permission': 0,
  'team readable': 0,
  'team not readable': 0,
  'resource readable through its team': 0,
  'resource readable only through a binding or ACL': 0,
  'app readable only through a grant to a team': 0,
  'resource readable, owner team not': 0,
  'resource not readable': 0,
  'binding on a resource carrying other kinds’ permissions': 0,
  'team-level grant of app:read in a team an app was granted to (not passed on)': 0,
  'mutation OK': 0,
  'mutation FORBIDDEN': 0,
  'mutation NOT_FOUND': 0,
  'mutation refused': 0,
  // Each mutation, allowed and refused both ways.
  ...(Object.fromEntries(MUTATION_KINDS.flatMap((k) => [`${k} OK`, `${k} FORBIDDEN`, `${k} NOT_FOUND`]).map((k) => [k, 0])) as Record<
    `${MutationKind} ${Outcome}`,
    number
  >),
};

/** Counts the cases one credential exercises (the reference's view). */
function tally(w: World, c: World['credentials'][number]) {
  const ref = reference(w, c);
  coverage.credentials++;
  if (ref.refused) return void coverage['suspended user']++;
  if (isAdmin(w, c.subject)) coverage['platform admin']++;
  if (c.subject.type === 'SA') coverage['service account']++;
  if (c.scopes) coverage['scoped token']++;
  const unscoped = { ...c, scopes: null };
  const full = reference(w, unscoped);
  for (const t of range(w.teams.length)) {
    coverage[ref.holdsTeam(t, 'team:read') ? 'team readable' : 'team not readable']++;
    if (c.scopes && full.team(t).size !== ref.team(t).size) coverage['scopes narrowed a held permission']++;
  }
  for (const kind of KINDS)
    for (const i of range(kind === 'BUCKET' ? w.buckets.length : kind === 'APP' ? w.apps.length : w.clusters.length)) {
      const read = `${PREFIX[kind]}read` as Permission;
      const owner = resourceOf(w, kind, i).team;
      if (!ref.holds(kind, i, read)) coverage['resource not readable']++;
      else if (ref.holdsTeam(owner, read)) coverage['resource readable through its team']++;
      else {
        const direct =
          w.bindings.some(
            (b) => sameSubject(b.subject, c.subject) && b.scope === kind && b.target === i && bindingPerms(w, b).includes(read),
          ) || w.acls.some((a) => sameSubject(a.subject, c.subject) && a.kind === kind && a.target === i && a.permission === read);
        coverage[direct ? 'resource readable only through a binding or ACL' : 'app readable only through a grant to a team']++;
      }
      if (ref.holds(kind, i, read) && !ref.holdsTeam(owner, 'team:read')) coverage['resource readable, owner team not']++;
      if (
        w.bindings.some(
          (b) =>
            sameSubject(b.subject, c.subject) &&
            b.scope === kind &&
            b.target === i &&
            bindingPerms(w, b).some((p) => !p.startsWith(PREFIX[kind])),
        )
      )
        coverage['binding on a resource carrying other kinds’ permissions']++;
    }
  // Custom bindings in a grantee team are not a membership role: they do not open the granted app.
  w.apps.forEach((a, i) => {
    const viaBinding = a.grantees.some((g) =>
      w.bindings.some(
        (b) => sameSubject(b.subject, c.subject) && b.scope === 'TEAM' && b.target === g && bindingPerms(w, b).includes('app:read'),
      ),
    );
    if (viaBinding && !ref.holds('APP', i, 'app:read'))
      coverage['team-level grant of app:read in a team an app was granted to (not passed on)']++;
  });
}

async function checkWorld(raw: RawWorld): Promise<void> {
  const w = buildWorld(raw);
  worlds++;
  if (VERBOSE) console.log(`world ${worlds}:\n  ${describeWorld(w)}`);
  await insertWorld(w);
  const query = readQuery(w);
  const described = describeWorld(w);
  const problems: string[] = [];
  // Credentials are checked concurrently: first the reads, then the mutations but grants (they create resources,
  // and change descriptions, settings and states, never who may do what), then the grants one at a time.
  for (const list of await Promise.all(w.credentials.map((_, i) => checkCredential(w, query, i)))) problems.push(...list);
  for (const list of await Promise.all(w.credentials.map((_, i) => checkMutations(w, i, false)))) problems.push(...list);
  for (const i of range(w.credentials.length)) problems.push(...(await checkMutations(w, i, true)));
  if (problems.length) throw new Error(`The API disagrees with the reference in this world:\n  ${described}\n\n${problems.join('\n')}`);
}

describe('isolation: a model-based property test', () => {
  it('the built-in team roles are those the reference uses', async () => {
    const { roles: list } = okResult(
      await server.gql(`{ roles(filter: { scope: TEAM }) { name permissions } }`, {}, await server.adminToken()),
    );
    const builtIn = Object.fromEntries(
      (list as { name: string; permissions: string[] }[])
        .filter((r) => r.name in ROLE_PERMS)
        .map((r) => [r.name, [...r.permissions].sort()]),
    );
    expect(builtIn).toEqual(Object.fromEntries(Object.entries(ROLE_PERMS).map(([name, perms]) => [name, [...perms].sort()])));
  });

  it(
    `every path agrees with the reference in ${RUNS} random worlds (seed ${SEED})`,
    async () => {
      await fc.assert(fc.asyncProperty(rawWorld, checkWorld), {
        seed: SEED,
        numRuns: RUNS,
        ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}),
      });
      if (VERBOSE) console.log(`isolation coverage over ${worlds} worlds: ${JSON.stringify(coverage, null, 1)}`);
      // The worlds must have exercised every kind of case (not a property of the API: of the generator).
      if (!REPLAY_PATH && RUNS >= 200)
        for (const [what, count] of Object.entries(coverage))
          expect({ what, count }).toEqual({ what, count: expect.toSatisfy((n: number) => n >= 5) });
    },
    30 * 60_000,
  );
});
