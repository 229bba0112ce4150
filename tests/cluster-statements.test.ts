import 'reflect-metadata';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apps, bucketUsage, buckets, clusters, memberships, nodePools, operations, teams, users } from '../src/db/schema/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { okResult as ok } from './support/api.js';

/**
 * SQL statement counts of the clusters and buckets part of the graph (issue 4): the issue's
 * dashboard query issues a small constant number of statements, the same for small and large
 * worlds and for any page size. Data is inserted directly (setup only); every measured request
 * goes through HTTP with a real token.
 */

let server: TestServer;
let serial = 0;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const POOLS = ['system', 'web', 'batch'];
const OPERATIONS_PER_CLUSTER = 5;
const USAGE_DAYS = 5;
const FROM = '2026-01-01';
const TO = '2026-01-05';

interface World {
  token: string;
  teamSlugs: string[];
}

/** A viewer (signed up over HTTP) who is a VIEWER of `teamCount` teams, each with clusters (pools, operations, apps) and buckets (usage). */
async function world(
  name: string,
  teamCount: number,
  clustersPerTeam: number,
  appsPerCluster: number,
  bucketsPerTeam: number,
): Promise<World> {
  const db = server.database.db;
  const viewer = await server.signUp(`${name}@cluster-statements.test`);
  const [{ id: viewerId }] = await db.select({ id: users.id }).from(users).where(eq(users.email, viewer.email));
  const made = await db
    .insert(teams)
    .values(Array.from({ length: teamCount }, (_, t) => ({ slug: `${name}-${t}`, name: `${name} ${t}` })))
    .returning({ id: teams.id, slug: teams.slug });
  await db.insert(memberships).values(made.map((t) => ({ teamId: t.id, userId: viewerId, role: 'VIEWER' as const })));
  const clusterRows = await db
    .insert(clusters)
    .values(
      made.flatMap((team) =>
        Array.from({ length: clustersPerTeam }, (_, c) => ({
          teamId: team.id,
          name: `c-${++serial}`,
          version: '1.31',
          cidr: `10.${c}.0.0/16`,
          region: 'eu-west-1',
          status: 'READY' as const,
        })),
      ),
    )
    .returning({ id: clusters.id, teamId: clusters.teamId });
  await db.insert(nodePools).values(
    clusterRows.flatMap((c) =>
      POOLS.map((pool, i) => ({
        teamId: c.teamId,
        clusterId: c.id,
        name: pool,
        nodeType: 'standard-2',
        nodeCount: i + 1,
        zone: 'eu-west-1a',
      })),
    ),
  );
  await db.insert(operations).values(
    clusterRows.flatMap((c) =>
      Array.from({ length: OPERATIONS_PER_CLUSTER }, () => ({
        teamId: c.teamId,
        type: 'NODE_POOL_SCALE' as const,
        resourceType: 'CLUSTER' as const,
        resourceId: c.id,
        targetType: 'Cluster',
        targetId: c.id,
        status: 'DONE' as const,
      })),
    ),
  );
  await db.insert(apps).values(
    clusterRows.flatMap((c) =>
      Array.from({ length: appsPerCluster }, () => ({
        teamId: c.teamId,
        clusterId: c.id,
        name: `a-${++serial}`,
        platform: 'node',
        plan: 'small',
        pool: 'default',
      })),
    ),
  );
  const bucketRows = await db
    .insert(buckets)
    .values(
      made.flatMap((team) =>
        Array.from({ length: bucketsPerTeam }, () => ({ teamId: team.id, name: `b-${++serial}`, region: 'eu-west-1' })),
      ),
    )
    .returning({ id: buckets.id, teamId: buckets.teamId });
  await db.insert(bucketUsage).values(
    bucketRows.flatMap((b) =>
      Array.from({ length: USAGE_DAYS }, (_, d) => ({
        teamId: b.teamId,
        bucketId: b.id,
        day: `2026-01-0${d + 1}`,
        storedBytes: BigInt(d + 1),
        egressBytes: 0n,
        objectCount: 1n,
      })),
    ),
  );
  return { token: viewer.token, teamSlugs: made.map((t) => t.slug) };
}

const query = (page: number) => `{ teams(first: 10) { nodes { slug clusters(first: ${page}) { nodes { nodePools { name nodeCount }
  operations(first: 3) { nodes { status } } apps(first: ${page}) { nodes { name } } } }
  buckets(first: ${page}) { nodes { name usage(from: "${FROM}", to: "${TO}") { storedBytes } } } } } }`;

// Measured and asserted exactly: authenticate, the page of teams, the clusters of every team on it,
// then one statement each for their node pools, their operations and their apps, then the buckets of
// every team and the usage of every bucket.
const DASHBOARD_STATEMENTS = 8;

describe('teams { clusters { nodePools operations apps } buckets { usage } }', () => {
  let small: World;
  let large: World;
  beforeAll(async () => {
    small = await world('small', 2, 1, 1, 1);
    large = await world('large', 4, 10, 10, 10);
  });

  function checkShape(result: any, world: World, clustersPerTeam: number, appsPerCluster: number, bucketsPerTeam: number) {
    expect(result.teams.nodes.map((t: any) => t.slug).sort()).toEqual([...world.teamSlugs].sort());
    for (const team of result.teams.nodes) {
      expect(team.clusters.nodes).toHaveLength(clustersPerTeam);
      for (const cluster of team.clusters.nodes) {
        expect(cluster.nodePools).toEqual([
          { name: 'batch', nodeCount: 3 },
          { name: 'system', nodeCount: 1 },
          { name: 'web', nodeCount: 2 },
        ]);
        expect(cluster.operations.nodes).toEqual([{ status: 'DONE' }, { status: 'DONE' }, { status: 'DONE' }]);
        expect(cluster.apps.nodes).toHaveLength(appsPerCluster);
      }
      expect(team.buckets.nodes).toHaveLength(bucketsPerTeam);
      for (const bucket of team.buckets.nodes) expect(bucket.usage).toEqual([1, 2, 3, 4, 5].map((n) => ({ storedBytes: String(n) })));
    }
  }

  it('issues the same constant number of statements for small and large worlds', async () => {
    const a = await server.gql(query(10), {}, small.token);
    const b = await server.gql(query(10), {}, large.token);
    checkShape(ok(a), small, 1, 1, 1);
    checkShape(ok(b), large, 10, 10, 10);
    expect(a.statements).toBe(DASHBOARD_STATEMENTS);
    expect(b.statements).toBe(DASHBOARD_STATEMENTS);
  });

  it('does not grow with the page size', async () => {
    const one = await server.gql(query(1), {}, large.token);
    checkShape(ok(one), large, 1, 1, 1);
    expect(one.statements).toBe(DASHBOARD_STATEMENTS);
  });
});
