import 'reflect-metadata';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appEnvVars, appGrants, appProcesses, appUnits, apps, deploys, memberships, teams, users } from '../src/db/schema/index.js';
import { permissionsGrantableAt } from '../src/iam/permissions.js';
import { startTestServer, type TestServer } from './support/server.js';
import { okResult as ok } from './support/api.js';

/**
 * SQL statement counts of the apps part of the graph (issue 3; DESIGN.md performance rules): one
 * DataLoader per relation per request, so nested app queries issue a small constant number of
 * statements, the same for 5 and for 50 apps per team. Data is inserted directly (setup only);
 * every measured request goes through HTTP with a real token.
 */

let server: TestServer;
let passwordHash: string;
/** Teams none of the measured viewers belongs to: grants to them must not show. */
let foreignTeams: { id: string; slug: string }[];
let foreignTeam: { id: string; slug: string };

let serial = 0;
const next = () => String(++serial).padStart(4, '0');

beforeAll(async () => {
  server = await startTestServer();
  const donor = await server.signUp('donor@app-statements.test');
  const [row] = await server.database.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.email, donor.email));
  passwordHash = row.passwordHash;
  foreignTeams = await server.database.db
    .insert(teams)
    .values([1, 2, 3, 4].map((n) => ({ slug: `foreign-${n}`, name: `Foreign ${n}` })))
    .returning({ id: teams.id, slug: teams.slug });
  foreignTeam = foreignTeams[0];
  const donorId = await userId(donor.email);
  await server.database.db.insert(memberships).values(foreignTeams.map((t) => ({ teamId: t.id, userId: donorId, role: 'OWNER' as const })));
});
afterAll(() => server?.close());

async function userId(email: string): Promise<string> {
  const [row] = await server.database.db.select({ id: users.id }).from(users).where(eq(users.email, email));
  return row.id;
}

const ENV_PER_APP = 4; // two plain, two secret
const DEPLOYS_PER_APP = 6; // more than the page of 5
const PROCESSES = [
  { name: 'web', units: 2 },
  { name: 'worker', units: 1 },
];

interface World {
  token: string;
  teams: { id: string; slug: string }[];
}

/**
 * A viewer (signed up over HTTP) holding `role` in `teamCount` teams owned by someone else, each
 * team owning `appsPerTeam` apps; every app has env vars (some secret), processes with units,
 * deploys, a grant to the next team of the viewer and a grant to a team the viewer cannot read.
 */
async function world(email: string, role: 'MEMBER' | 'VIEWER', teamCount: number, appsPerTeam: number): Promise<World> {
  const db = server.database.db;
  const viewer = await server.signUp(email);
  const viewerId = await userId(email);
  const [owner] = await db
    .insert(users)
    .values({ email: `owner-${next()}@app-statements.test`, fullName: 'Owner', passwordHash })
    .returning({ id: users.id });
  const made = await db
    .insert(teams)
    .values(Array.from({ length: teamCount }, () => next()).map((n) => ({ slug: `team-${n}`, name: `Team ${n}`, maxApps: 100 })))
    .returning({ id: teams.id, slug: teams.slug });
  await db.insert(memberships).values(
    made.flatMap((t) => [
      { teamId: t.id, userId: owner.id, role: 'OWNER' as const },
      { teamId: t.id, userId: viewerId, role },
    ]),
  );
  const appRows = await db
    .insert(apps)
    .values(
      made.flatMap((t) =>
        Array.from({ length: appsPerTeam }, () => ({
          teamId: t.id,
          name: `app-${next()}`,
          platform: 'node',
          plan: 'small',
          pool: 'default',
          state: 'RUNNING' as const,
        })),
      ),
    )
    .returning({ id: apps.id, teamId: apps.teamId, name: apps.name });
  await db.insert(appEnvVars).values(
    appRows.flatMap((a) =>
      Array.from({ length: ENV_PER_APP }, (_, i) => ({
        teamId: a.teamId,
        appId: a.id,
        name: `VAR_${i}`,
        value: `value-${i}-${a.name}`,
        secret: i % 2 === 1,
      })),
    ),
  );
  await db.insert(appGrants).values(
    appRows.flatMap((a) => {
      const index = made.findIndex((t) => t.id === a.teamId);
      const neighbour = made[(index + 1) % made.length];
      return [
        ...(neighbour.id === a.teamId
          ? []
          : [{ teamId: a.teamId, appId: a.id, granteeTeamId: neighbour.id, permissions: permissionsGrantableAt('APP') }]),
        { teamId: a.teamId, appId: a.id, granteeTeamId: foreignTeam.id, permissions: permissionsGrantableAt('APP') },
      ];
    }),
  );
  await db.insert(deploys).values(
    appRows.flatMap((a) =>
      Array.from({ length: DEPLOYS_PER_APP }, (_, i) => ({
        teamId: a.teamId,
        appId: a.id,
        version: i + 1,
        image: `registry.example.com/${a.name}:${i + 1}`,
        origin: 'IMAGE' as const,
        status: 'SUCCEEDED' as const,
        userId: owner.id,
      })),
    ),
  );
  const processRows = await db
    .insert(appProcesses)
    .values(appRows.flatMap((a) => PROCESSES.map((p) => ({ teamId: a.teamId, appId: a.id, name: p.name, units: p.units }))))
    .returning({
      id: appProcesses.id,
      appId: appProcesses.appId,
      teamId: appProcesses.teamId,
      name: appProcesses.name,
      units: appProcesses.units,
    });
  await db.insert(appUnits).values(
    processRows.flatMap((p) =>
      Array.from({ length: p.units }, (_, i) => ({
        teamId: p.teamId,
        appId: p.appId,
        processId: p.id,
        name: `${p.appId}-${p.name}-${i}`,
        status: 'STARTED' as const,
      })),
    ),
  );
  return { token: viewer.token, teams: made };
}

// Measured and asserted exactly.
// teams { apps { env grantedTeams deploys processes } }: authenticate, the page of teams, the apps
// of every team on the page, then one statement each for the env vars, granted teams, deploys and
// processes of every app on those pages.
const DASHBOARD_STATEMENTS = 7;
// apps { team viewerPermissions env { value } }: authenticate (with the viewer's grants in every
// team and on every resource), the page of apps, their owner teams, the env vars.
// Issue 5 took it from 8 to 6: grants are loaded whole for the viewer, not per batch of keys;
// issue 10 to 4: authentication selects them with the credential.
const APPS_WITH_SECRETS_STATEMENTS = 4;

describe('teams { apps { env grantedTeams deploys processes } }', () => {
  const query = `{ teams(first: 10) { nodes { slug apps(first: 50) { nodes { name env { name } grantedTeams { slug } deploys(first: 5) { nodes { version } } processes { name units } } } } } }`;
  let small: World;
  let large: World;
  beforeAll(async () => {
    small = await world('small@app-statements.test', 'MEMBER', 4, 5);
    large = await world('large@app-statements.test', 'MEMBER', 4, 50);
  });

  function checkShape(result: any, world: World, appsPerTeam: number) {
    const nodes = result.teams.nodes;
    expect(nodes.map((t: any) => t.slug).sort()).toEqual(world.teams.map((t) => t.slug).sort());
    for (const team of nodes) {
      const index = world.teams.findIndex((t) => t.slug === team.slug);
      const neighbour = world.teams[(index + 1) % world.teams.length];
      expect(team.apps.nodes).toHaveLength(appsPerTeam);
      for (const app of team.apps.nodes) {
        expect(app.env).toEqual(Array.from({ length: ENV_PER_APP }, (_, i) => ({ name: `VAR_${i}` })));
        // The grant to the foreign team is left out: the viewer cannot read that team.
        expect(app.grantedTeams).toEqual([{ slug: neighbour.slug }]);
        expect(app.deploys.nodes).toEqual([6, 5, 4, 3, 2].map((version) => ({ version })));
        expect(app.processes).toEqual(PROCESSES);
      }
    }
  }

  it('issues the same constant number of statements for teams of 5 and of 50 apps', async () => {
    const a = await server.gql(query, {}, small.token);
    const b = await server.gql(query, {}, large.token);
    checkShape(ok(a), small, 5);
    checkShape(ok(b), large, 50);
    expect(a.statements).toBe(DASHBOARD_STATEMENTS);
    expect(b.statements).toBe(DASHBOARD_STATEMENTS);
  });

  it('does not grow with the page size', async () => {
    const one = await server.gql(
      `{ teams(first: 1) { nodes { apps(first: 1) { nodes { env { name } grantedTeams { slug } deploys(first: 1) { nodes { version } } processes { name units } } } } } }`,
      {},
      large.token,
    );
    expect(ok(one).teams.nodes[0].apps.nodes).toHaveLength(1);
    expect(one.statements).toBe(DASHBOARD_STATEMENTS);
  });

  it('counts the apps of every team in their page statement: totalCount adds none', async () => {
    const counted = await server.gql(query.replace('apps(first: 50) {', 'apps(first: 50) { totalCount'), {}, large.token);
    expect(ok(counted).teams.nodes.map((t: any) => t.apps.totalCount)).toEqual([50, 50, 50, 50]);
    expect(counted.statements).toBe(DASHBOARD_STATEMENTS);
  });
});

describe('apps { team viewerPermissions env { name value } } with secrets present', () => {
  const query = `{ apps(first: 50) { nodes { name team { slug } viewerPermissions env { name value } } } }`;
  const MEMBER_PERMISSIONS = ['app:deploy', 'app:env:read-secrets', 'app:env:write', 'app:lifecycle', 'app:read', 'app:update'];
  let small: World;
  let large: World;
  let viewerRole: World;
  beforeAll(async () => {
    small = await world('member-small@app-statements.test', 'MEMBER', 2, 5);
    large = await world('member-large@app-statements.test', 'MEMBER', 3, 50);
    viewerRole = await world('viewer-large@app-statements.test', 'VIEWER', 3, 50);
  });

  it('issues the same constant number for a MEMBER with 10 and with 150 readable apps, showing the secrets', async () => {
    const a = await server.gql(query, {}, small.token);
    const b = await server.gql(query, {}, large.token);
    const appsA = ok(a).apps.nodes;
    const appsB = ok(b).apps.nodes;
    expect(appsA).toHaveLength(10);
    expect(appsB).toHaveLength(50);
    for (const [list, world] of [
      [appsA, small],
      [appsB, large],
    ] as const) {
      for (const app of list) {
        expect(world.teams.map((t) => t.slug)).toContain(app.team.slug);
        expect(app.viewerPermissions).toEqual(MEMBER_PERMISSIONS);
        expect(app.env).toEqual(Array.from({ length: ENV_PER_APP }, (_, i) => ({ name: `VAR_${i}`, value: `value-${i}-${app.name}` })));
      }
    }
    expect(a.statements).toBe(APPS_WITH_SECRETS_STATEMENTS);
    expect(b.statements).toBe(APPS_WITH_SECRETS_STATEMENTS);
  });

  it('does not grow with the number of teams each app is granted to', async () => {
    // Every app of this MEMBER is granted to four teams they cannot read (one more than usual).
    const granted = await world('member-grants@app-statements.test', 'MEMBER', 1, 5);
    const appIds = await server.database.db
      .select({ id: apps.id, teamId: apps.teamId })
      .from(apps)
      .where(eq(apps.teamId, granted.teams[0].id));
    await server.database.db
      .insert(appGrants)
      .values(
        appIds.flatMap((a) =>
          foreignTeams
            .slice(1)
            .map((t) => ({ teamId: a.teamId, appId: a.id, granteeTeamId: t.id, permissions: permissionsGrantableAt('APP') })),
        ),
      );
    const r = await server.gql(query, {}, granted.token);
    const list = ok(r).apps.nodes;
    expect(list).toHaveLength(5);
    for (const app of list) expect(app.viewerPermissions).toEqual(MEMBER_PERMISSIONS);
    expect(r.statements).toBe(APPS_WITH_SECRETS_STATEMENTS);
  });

  it('issues the same number for a VIEWER, who sees secret values as null', async () => {
    const r = await server.gql(query, {}, viewerRole.token);
    const list = ok(r).apps.nodes;
    expect(list).toHaveLength(50);
    for (const app of list) {
      expect(app.viewerPermissions).toEqual(['app:read']);
      expect(app.env).toEqual(
        Array.from({ length: ENV_PER_APP }, (_, i) => ({ name: `VAR_${i}`, value: i % 2 === 1 ? null : `value-${i}-${app.name}` })),
      );
    }
    expect(r.statements).toBe(APPS_WITH_SECRETS_STATEMENTS);
  });
});
