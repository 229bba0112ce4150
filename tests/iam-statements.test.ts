import 'reflect-metadata';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclEntries, apps, buckets, memberships, teams, users } from '../src/db/schema/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { okResult as ok } from './support/api.js';

/**
 * Authorization stays batched (issue 5): a viewer with 1,000 ACL entries and 50 memberships runs
 * the dashboard query with the same statement count as one with 1 of each. Data is inserted
 * directly (setup only); the measured requests go through HTTP with real tokens.
 */

let server: TestServer;
let serial = 0;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const APPS_PER_TEAM = 2;

/** A viewer who is a MEMBER of `teamCount` teams and holds `aclCount` ACL entries on apps of a team they are not in. */
async function world(name: string, teamCount: number, aclCount: number): Promise<string> {
  const db = server.database.db;
  const viewer = await server.signUp(`${name}@iam-statements.test`);
  const [{ id: viewerId }] = await db.select({ id: users.id }).from(users).where(eq(users.email, viewer.email));
  const mine = await db
    .insert(teams)
    .values(Array.from({ length: teamCount }, (_, t) => ({ slug: `${name}-${t}`, name: `${name} ${t}` })))
    .returning({ id: teams.id });
  await db.insert(memberships).values(mine.map((t) => ({ teamId: t.id, userId: viewerId, role: 'MEMBER' as const })));
  const appRow = (teamId: string) => ({ teamId, name: `a-${++serial}`, platform: 'node', plan: 'small', pool: 'default' });
  await db.insert(apps).values(mine.flatMap((t) => Array.from({ length: APPS_PER_TEAM }, () => appRow(t.id))));
  await db.insert(buckets).values(mine.map((t) => ({ teamId: t.id, name: `b-${++serial}`, region: 'eu-west-1' })));
  const [foreign] = await db
    .insert(teams)
    .values({ slug: `${name}-foreign`, name: 'Foreign' })
    .returning({ id: teams.id });
  const shared = await db
    .insert(apps)
    .values(Array.from({ length: Math.ceil(aclCount / 2) }, () => appRow(foreign.id)))
    .returning({ id: apps.id });
  await db.insert(aclEntries).values(
    Array.from({ length: aclCount }, (_, i) => ({
      teamId: foreign.id,
      userId: viewerId,
      permission: i % 2 === 0 ? 'app:read' : 'app:deploy',
      resourceType: 'APP' as const,
      resourceId: shared[Math.floor(i / 2)].id,
    })),
  );
  return viewer.token;
}

const DASHBOARD = `{
  viewer { teams(first: 50) { totalCount nodes { slug viewerRole viewerPermissions
    members(first: 5) { nodes { role user { email } } }
    apps(first: 10) { nodes { name viewerPermissions } }
    buckets(first: 10) { nodes { name viewerPermissions } } } } }
  apps(first: 100) { totalCount nodes { name viewerPermissions } }
}`;

// Measured and asserted exactly: authenticate; the viewer's teams (counted in the same statement);
// the members, their users, the apps and the buckets of those teams; the apps list and its count. The viewer's grants (team, platform and on every resource: bindings, ACL
// entries, grants to their teams) come with authentication, in its statement. Before grants were
// loaded whole, a second wave of teams reached deeper in the query cost three more statements in the
// large world (14 and 17); before they came with authentication, they cost three (13). Issue 10
// also folded nested counts into their pages and took viewerRole from the grants (10 -> 8).
const DASHBOARD_STATEMENTS = 8;

describe('the dashboard with authorization', () => {
  it('issues as many statements with 1,000 ACL entries and 50 memberships as with 1 of each', async () => {
    const small = await world('small', 1, 1);
    const large = await world('large', 50, 1000);
    const a = await server.gql(DASHBOARD, {}, small);
    const b = await server.gql(DASHBOARD, {}, large);
    expect(ok(a).viewer.teams.totalCount).toBe(1);
    expect(ok(b).viewer.teams.totalCount).toBe(50);
    expect(ok(a).apps.totalCount).toBe(APPS_PER_TEAM + 1);
    expect(ok(b).apps.totalCount).toBe(50 * APPS_PER_TEAM + 500);
    const granted = ok(b).apps.nodes.filter((n: any) => n.viewerPermissions.length === 2);
    expect(granted[0].viewerPermissions).toEqual(['app:deploy', 'app:read']);
    expect([a.statements, b.statements]).toEqual([DASHBOARD_STATEMENTS, DASHBOARD_STATEMENTS]);
  });
});
