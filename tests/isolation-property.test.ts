import { startTestServer, type GqlResult, type TestServer } from './support/server.js';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/graphql/relay.js';
import { type Permission } from '../src/iam/permissions.js';
import { okResult } from './support/api.js';
import {
  KINDS,
  PREFIX,
  ROLE_PERMS,
  bindingPerms,
  buildIamWorld,
  byName,
  collaboratorsOf,
  describeIamWorld,
  everything,
  gid,
  iamWorldFields,
  insertWorld,
  isAdmin,
  ix,
  membershipRole,
  range,
  reference,
  resourceOf,
  sameSubject,
  type IamWorld,
  type Kind,
  type Subject,
} from './support/iam-world.js';

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
 * With the reads, one request asks for `collaborators` of every bucket, app and cluster (issue 9,
 * 1.2), for an OWNER or ADMIN of each team owning some and for one credential reading a resource
 * without iam:manage in its team: each gets exactly the list `collaboratorsOf` computes from the
 * world (subjects, permissions, sources), FORBIDDEN or NOT_FOUND.
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

interface World extends IamWorld {
  /** Credential index → the mutations to make with it: a resource (index in `everything`) and which of its mutations. */
  mutations: Map<number, { resource: number; variant: number }[]>;
}

const rawWorld = fc.record({
  ...iamWorldFields,
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

/** A valid world from raw values (see `buildIamWorld`), with the sampled mutations. */
function buildWorld(raw: RawWorld): World {
  const w: World = { ...buildIamWorld(raw), mutations: new Map() };
  const T = w.teams.length;
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
  return [
    ...describeIamWorld(w),
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

// ---------------------------------------------------------------------------------------------
// Checks: one query with every read path, and one mutation per resource, per credential.
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Collaborators: who holds what on each bucket, app and cluster, as the reference computes it.
// ---------------------------------------------------------------------------------------------

/** Every bucket, app and cluster of the world (as in `everything`, without teams). */
const resourcesOf = (w: World) => everything(w).filter((r) => r.kind !== 'TEAM') as { kind: Kind; i: number; id: string }[];

/** One request for the collaborators of every resource of the world: the same text for every credential. */
function collaboratorsQuery(w: World): string {
  return `query Collaborators {
    nodes(ids: [${resourcesOf(w)
      .map((r) => `"${r.id}"`)
      .join(', ')}]) { id
      ... on Bucket { collaborators { ...Who } }
      ... on App { collaborators { ...Who } }
      ... on Cluster { collaborators { ...Who } } }
  }
  fragment Who on Collaborator { user { email } serviceAccount { name } permissions sources { kind role teamSlug permissions } }`;
}

/**
 * Who checks `collaborators`: for the teams owning resources, unscoped credentials of their OWNER
 * or an ADMIN (as few as cover them all), and one credential that reads a resource without
 * holding iam:manage in its team, when none chosen does. Each checks every resource of the world
 * (listed, FORBIDDEN or NOT_FOUND).
 */
function collaboratorCheckers(w: World): number[] {
  const usable = (k: number) => !reference(w, w.credentials[k]).refused;
  const manages = (k: number, t: number) => reference(w, w.credentials[k]).holdsTeam(t, 'iam:manage');
  const refusedSomewhere = (k: number) =>
    usable(k) &&
    resourcesOf(w).some((r) => {
      const ref = reference(w, w.credentials[k]);
      return ref.holds(r.kind, r.i, `${PREFIX[r.kind]}read` as Permission) && !ref.holdsTeam(resourceOf(w, r.kind, r.i).team, 'iam:manage');
    });
  // Few requests: each time the OWNER's or an ADMIN's credential managing the most teams not yet covered.
  const chosen: number[] = [];
  const uncovered = new Set(resourcesOf(w).map((r) => resourceOf(w, r.kind, r.i).team));
  for (;;) {
    const candidates = w.credentials.flatMap((c, k) =>
      usable(k) && !c.scopes && [...uncovered].some((t) => ['OWNER', 'ADMIN'].includes(membershipRole(w, c.subject, t) ?? ''))
        ? [{ k, covers: [...uncovered].filter((t) => manages(k, t)) }]
        : [],
    );
    if (!candidates.length) break;
    const best = candidates.reduce((a, b) => (b.covers.length > a.covers.length ? b : a));
    chosen.push(best.k);
    for (const t of best.covers) uncovered.delete(t);
  }
  if (!chosen.some(refusedSomewhere)) {
    const k = range(w.credentials.length).find(refusedSomewhere);
    if (k !== undefined) chosen.push(k);
  }
  return chosen;
}

type Source = { kind: string; role: string | null; teamSlug: string | null; permissions: string[] };
/** Sources in a fixed order: the API returns them in the order its paths' rows come, which the check does not fix. */
const sortSources = (list: Source[]) => [...list].sort((a, b) => (show(a) < show(b) ? -1 : show(a) > show(b) ? 1 : 0));

/** What the collaborators query must answer for the credential: data (sources sorted) and the exact set of errors. */
function expectedCollaborators(w: World, c: World['credentials'][number]) {
  const ref = reference(w, c);
  const errors: Err[] = [];
  const nodes = resourcesOf(w).map((r, k) => {
    if (!ref.holds(r.kind, r.i, `${PREFIX[r.kind]}read` as Permission)) {
      errors.push({ message: `Node ${r.id} not found.`, path: ['nodes', k], code: 'NOT_FOUND' });
      return null;
    }
    // Declared on the field: iam:manage in the resource's team (a team permission, never granted on one resource).
    if (!ref.holdsTeam(resourceOf(w, r.kind, r.i).team, 'iam:manage')) {
      // The field is non-null: the error nulls the node.
      errors.push({
        message: 'You need the iam:manage permission to see who has access.',
        path: ['nodes', k, 'collaborators'],
        code: 'FORBIDDEN',
      });
      return null;
    }
    return {
      id: r.id,
      collaborators: collaboratorsOf(w, r.kind, r.i).list.map((who) => ({
        user: who.subject.type === 'USER' ? { email: who.name } : null,
        serviceAccount: who.subject.type === 'SA' ? { name: who.name } : null,
        permissions: who.permissions,
        sources: sortSources(who.sources),
      })),
    };
  });
  return { data: { nodes }, errors };
}

/** Checks the collaborators query for one credential; returns the disagreements. */
async function checkCollaborators(w: World, query: string, index: number, listed: Set<number>): Promise<string[]> {
  const c = w.credentials[index];
  const problems: string[] = [];
  const r = await server.gql(query, {}, c.secret);
  if (r.status !== 200) problems.push(`collaborators query: HTTP ${r.status}: ${show(r.body)}`);
  const expected = expectedCollaborators(w, c);
  const nodes = ((r.body.data?.nodes ?? []) as ({ collaborators?: { sources: Source[] }[] } | null)[]).map((n) =>
    n?.collaborators ? { ...n, collaborators: n.collaborators.map((who) => ({ ...who, sources: sortSources(who.sources) })) } : n,
  );
  resourcesOf(w).forEach((res, k) => {
    const want = expected.data.nodes[k];
    if (want) listed.add(k);
    coverage[
      want
        ? 'collaborators listed'
        : expected.errors.some((e) => show(e.path) === show(['nodes', k, 'collaborators']))
          ? 'collaborators FORBIDDEN'
          : 'collaborators NOT_FOUND'
    ]++;
    if (!isDeepStrictEqual(nodes[k], want))
      problems.push(`collaborators of ${resourceOf(w, res.kind, res.i).name}: expected ${show(want)}, got ${show(nodes[k])}`);
  });
  const wantKeys = new Set(expected.errors.map(show));
  const got = errorsOf(r);
  const gotKeys = new Set(got.map(show));
  for (const e of expected.errors) if (!gotKeys.has(show(e))) problems.push(`collaborators query: missing error ${show(e)}`);
  for (const e of got) if (!wantKeys.has(show(e))) problems.push(`collaborators query: unexpected error ${show(e)}`);
  return problems.map((p) => `${c.label}: ${p}`);
}

/** Counts, once per world, the kinds of path the checked collaborators lists showed (the reference's view). */
function tallyCollaborators(w: World, checked: Set<number>) {
  const lists = resourcesOf(w)
    .filter((_, k) => checked.has(k))
    .map((r) => collaboratorsOf(w, r.kind, r.i));
  const sources = new Set(lists.flatMap((l) => l.list.flatMap((who) => who.sources.map((s) => s.kind))));
  for (const kind of sources) coverage[`worlds listing a ${kind} collaborator`]++;
  if (lists.some((l) => l.list.some((who) => who.subject.type === 'SA'))) coverage['worlds listing a service-account collaborator']++;
  if (lists.some((l) => l.omitted > 0)) coverage['worlds listing a resource with a path granting nothing on it (left out)']++;
  // Platform-wide access covers every resource alike and is not listed.
  const platformWide = (kind: Kind) => (subject: Subject) =>
    isAdmin(w, subject) ||
    w.bindings.some(
      (b) => b.scope === 'PLATFORM' && sameSubject(b.subject, subject) && bindingPerms(w, b).some((p) => p.startsWith(PREFIX[kind])),
    );
  const subjects: Subject[] = [
    ...range(w.users.length).map((index) => ({ type: 'USER' as const, index })),
    ...range(w.serviceAccounts.length).map((index) => ({ type: 'SA' as const, index })),
  ];
  if (
    resourcesOf(w).some(
      (r, k) =>
        checked.has(k) &&
        subjects.some((s) => platformWide(r.kind)(s) && !collaboratorsOf(w, r.kind, r.i).list.some((who) => sameSubject(who.subject, s))),
    )
  )
    coverage['worlds listing a resource someone reaches only platform-wide (not listed)']++;
  // A team's role bound on one app carries app:grant, which a grant on one resource never passes on.
  if (
    resourcesOf(w).some(
      (r, k) =>
        checked.has(k) &&
        r.kind === 'APP' &&
        w.bindings.some((b) => b.scope === 'APP' && b.target === r.i && bindingPerms(w, b).includes('app:grant')),
    )
  )
    coverage['worlds listing an app bound a role carrying app:grant (not passed on)']++;
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
  'collaborators listed': 0,
  'collaborators FORBIDDEN': 0,
  'collaborators NOT_FOUND': 0,
  'worlds listing a TEAM_ROLE collaborator': 0,
  'worlds listing a TEAM_BINDING collaborator': 0,
  'worlds listing a RESOURCE_BINDING collaborator': 0,
  'worlds listing a ACL collaborator': 0,
  'worlds listing a GRANTED_TEAM collaborator': 0,
  'worlds listing a service-account collaborator': 0,
  'worlds listing a resource with a path granting nothing on it (left out)': 0,
  'worlds listing an app bound a role carrying app:grant (not passed on)': 0,
  'worlds listing a resource someone reaches only platform-wide (not listed)': 0,
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
  await insertWorld(server.database.db, w);
  const query = readQuery(w);
  const described = describeWorld(w);
  const problems: string[] = [];
  // Credentials are checked concurrently: first the reads (and collaborators), then the mutations but grants (they
  // create resources, and change descriptions, settings and states, never who may do what), then the grants one at a time.
  const collaborators = resourcesOf(w).length ? collaboratorsQuery(w) : null;
  const listed = new Set<number>();
  for (const list of await Promise.all([
    ...w.credentials.map((_, i) => checkCredential(w, query, i)),
    ...(collaborators ? collaboratorCheckers(w).map((i) => checkCollaborators(w, collaborators, i, listed)) : []),
  ]))
    problems.push(...list);
  tallyCollaborators(w, listed);
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
