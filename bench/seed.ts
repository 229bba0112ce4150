/**
 * The bench data set, shared by `npm run bench` and its peer comparison (`npm run bench -- --peers`):
 * 200 teams of 15 members, 10,000 apps with env vars, deploys, processes and grants, 2,000 clusters
 * with node pools and operations, 2,000 buckets with 30 days of usage. The bench users are
 * viewer@bench.test (in 10 teams, as ADMIN) and admin@bench.test (platform admin), both with the
 * password `bench-password-1`.
 */
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { seedCatalogs } from '../src/db/seed.js';
import { hashPassword } from '../src/auth/passwords.js';
import {
  appEnvVars,
  appGrants,
  appProcesses,
  apps,
  bucketUsage,
  buckets,
  clusters,
  deploys,
  invitations,
  memberships,
  nodePools,
  operations,
  teams,
  users,
} from '../src/db/schema/index.js';
import { hashSecret, newSecret } from '../src/auth/secrets.js';
import { permissionsGrantableAt } from '../src/iam/permissions.js';

const TEAMS = 200;
const USERS = 5000;
const MEMBERS_PER_TEAM = 15;
const APPS_PER_TEAM = 50; // 10,000 apps
const ENV_PER_APP = 10; // 100,000 env vars
const DEPLOYS_PER_APP = 5; // 50,000 deploys
const CLUSTERS_PER_TEAM = 10; // 2,000 clusters, each with 3 node pools and 5 operations; every app placed on one
const BUCKETS_PER_TEAM = 10; // 2,000 buckets with 30 days of usage (60,000 rows)
export const USAGE_DAYS = 30;
export const PASSWORD = 'bench-password-1';

/** The d-th of the usage days, oldest first, ending yesterday (UTC). */
export const usageDay = (d: number) => new Date(Date.now() - (USAGE_DAYS - d) * 86400_000).toISOString().slice(0, 10);

async function insertInBatches<T>(rows: T[], size: number, insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

async function seed(database: Database): Promise<void> {
  const db = database.db;
  const passwordHash = await hashPassword(PASSWORD);
  const userRows: { id: string }[] = [];
  await insertInBatches(
    Array.from({ length: USERS }, (_, i) => ({
      email: i === 0 ? 'viewer@bench.test' : i === 1 ? 'admin@bench.test' : `user${i}@bench.test`,
      fullName: `User ${i}`,
      passwordHash,
      platformRole: i === 1 ? ('ADMIN' as const) : ('USER' as const),
      teamLimit: 1000,
    })),
    2000,
    async (batch) => userRows.push(...(await db.insert(users).values(batch).returning({ id: users.id }))),
  );
  const teamRows = await db
    .insert(teams)
    .values(
      Array.from({ length: TEAMS }, (_, i) => ({
        slug: `team-${String(i).padStart(3, '0')}`,
        name: `Team ${String(i).padStart(3, '0')}`,
        tags: ['bench'],
        maxApps: 1000,
      })),
    )
    .returning({ id: teams.id });
  const rows: (typeof memberships.$inferInsert)[] = [];
  teamRows.forEach((team, t) => {
    const members = new Set<number>([2 + (t % (USERS - 2))]);
    if (t % 20 === 0) members.add(0); // the viewer is in 10 of the 200 teams, as ADMIN
    for (let k = 1; members.size < MEMBERS_PER_TEAM; k++) members.add(2 + ((t * 7 + k * 13) % (USERS - 2)));
    [...members].forEach((u, i) =>
      rows.push({ teamId: team.id, userId: userRows[u].id, role: i === 0 ? 'OWNER' : u === 0 || i % 3 === 0 ? 'ADMIN' : 'MEMBER' }),
    );
  });
  await insertInBatches(rows, 2000, (batch) => db.insert(memberships).values(batch));
  await db.insert(invitations).values(
    teamRows.map((team, t) => ({
      teamId: team.id,
      email: `invitee${t}@bench.test`,
      role: 'MEMBER' as const,
      tokenHash: hashSecret(newSecret('invitation')),
      expiresAt: new Date(Date.now() + 7 * 86400_000),
    })),
  );
  const clusterRows: { id: string; teamId: string }[] = [];
  await insertInBatches(
    teamRows.flatMap((team, t) =>
      Array.from({ length: CLUSTERS_PER_TEAM }, (_, c) => ({
        teamId: team.id,
        name: `cluster-${t}-${c}`,
        version: '1.31',
        cidr: `10.${c}.0.0/16`,
        region: 'eu-west-1',
        status: 'READY' as const,
      })),
    ),
    2000,
    async (batch) => clusterRows.push(...(await db.insert(clusters).values(batch).returning({ id: clusters.id, teamId: clusters.teamId }))),
  );
  await insertInBatches(
    clusterRows.flatMap((cluster) =>
      ['system', 'web', 'batch'].map((name, i) => ({
        teamId: cluster.teamId,
        clusterId: cluster.id,
        name,
        nodeType: 'standard-4',
        nodeCount: i + 2,
        zone: 'eu-west-1a',
      })),
    ),
    4000,
    (batch) => db.insert(nodePools).values(batch),
  );
  await insertInBatches(
    clusterRows.flatMap((cluster) =>
      Array.from({ length: 5 }, (_, i) => ({
        teamId: cluster.teamId,
        // A create, then upgrades: both are about the cluster itself.
        type: i === 0 ? ('CLUSTER_CREATE' as const) : ('CLUSTER_UPDATE' as const),
        resourceType: 'CLUSTER' as const,
        resourceId: cluster.id,
        targetType: 'Cluster',
        targetId: cluster.id,
        status: 'DONE' as const,
        progress: 100,
        step: i === 0 ? 4 : 2,
        attempts: 1,
        createdAt: new Date(Date.now() - (5 - i) * 86400_000),
        finishedAt: new Date(Date.now() - (5 - i) * 86400_000 + 60_000),
      })),
    ),
    4000,
    (batch) => db.insert(operations).values(batch),
  );
  const bucketRows: { id: string; teamId: string }[] = [];
  await insertInBatches(
    teamRows.flatMap((team, t) =>
      Array.from({ length: BUCKETS_PER_TEAM }, (_, b) => ({ teamId: team.id, name: `bucket-${t}-${b}`, region: 'eu-west-1' })),
    ),
    2000,
    async (batch) => bucketRows.push(...(await db.insert(buckets).values(batch).returning({ id: buckets.id, teamId: buckets.teamId }))),
  );
  await insertInBatches(
    bucketRows.flatMap((bucket) =>
      Array.from({ length: USAGE_DAYS }, (_, d) => ({
        teamId: bucket.teamId,
        bucketId: bucket.id,
        day: usageDay(d),
        storedBytes: BigInt(1_000_000 * (d + 1)),
        egressBytes: BigInt(10_000 * (d + 1)),
        objectCount: BigInt(100 * (d + 1)),
      })),
    ),
    5000,
    (batch) => db.insert(bucketUsage).values(batch),
  );
  const appRows: { id: string; teamId: string }[] = [];
  await insertInBatches(
    teamRows.flatMap((team, t) =>
      Array.from({ length: APPS_PER_TEAM }, (_, a) => ({
        teamId: team.id,
        clusterId: clusterRows[t * CLUSTERS_PER_TEAM + (a % CLUSTERS_PER_TEAM)].id,
        name: `app-${t}-${a}`,
        platform: 'node',
        plan: 'small',
        pool: 'default',
        state: 'RUNNING' as const,
        tags: ['bench'],
      })),
    ),
    2000,
    async (batch) => appRows.push(...(await db.insert(apps).values(batch).returning({ id: apps.id, teamId: apps.teamId }))),
  );
  await insertInBatches(
    appRows.flatMap((app) =>
      Array.from({ length: ENV_PER_APP }, (_, e) => ({
        teamId: app.teamId,
        appId: app.id,
        name: `VAR_${e}`,
        value: `value-${e}`,
        secret: e === 0,
      })),
    ),
    5000,
    (batch) => db.insert(appEnvVars).values(batch),
  );
  await insertInBatches(
    appRows.flatMap((app) =>
      Array.from({ length: DEPLOYS_PER_APP }, (_, v) => ({
        teamId: app.teamId,
        appId: app.id,
        version: v + 1,
        image: `registry.bench/app:${v + 1}`,
        origin: 'IMAGE' as const,
        status: 'SUCCEEDED' as const,
      })),
    ),
    4000,
    (batch) => db.insert(deploys).values(batch),
  );
  await insertInBatches(
    appRows.map((app) => ({ teamId: app.teamId, appId: app.id, name: 'web', units: 2 })),
    4000,
    (batch) => db.insert(appProcesses).values(batch),
  );
  // Every fifth app is granted to the next team.
  await insertInBatches(
    appRows
      .filter((_, i) => i % 5 === 0)
      .map((app, i) => ({
        teamId: app.teamId,
        appId: app.id,
        granteeTeamId: teamRows[(Math.floor((i * 5) / APPS_PER_TEAM) + 1) % TEAMS].id,
        permissions: permissionsGrantableAt('APP'),
      })),
    4000,
    (batch) => db.insert(appGrants).values(batch),
  );
}

/** Seeds the bench data set into a migrated, empty database, then refreshes the planner's statistics. */
export async function seedBenchData(database: Database): Promise<void> {
  console.log(
    `seeding ${USERS} users, ${TEAMS} teams, ${TEAMS * MEMBERS_PER_TEAM} memberships, ${TEAMS * APPS_PER_TEAM} apps, ` +
      `${TEAMS * APPS_PER_TEAM * ENV_PER_APP} env vars, ${TEAMS * APPS_PER_TEAM * DEPLOYS_PER_APP} deploys, ` +
      `${TEAMS * CLUSTERS_PER_TEAM} clusters, ${TEAMS * BUCKETS_PER_TEAM} buckets with ${USAGE_DAYS} days of usage on ${database.engine}…`,
  );
  await seedCatalogs(database.db);
  await seed(database);
  // Fresh statistics, as a long-running database would have: bulk loads leave the planner guessing.
  if (database.engine === 'postgres') await database.db.execute(sql`analyze`);
}

/**
 * Creates a fresh, migrated `graphplane_bench_<ms>` database on the Postgres server of `baseUrl`
 * (any database URL on that server). `drop()` removes it again and closes the admin connection;
 * `release()` only closes that connection (the database is kept).
 */
export async function createPostgresBenchDatabase(baseUrl: string) {
  const name = `graphplane_bench_${Date.now()}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const u = new URL(baseUrl);
  u.pathname = '/' + name;
  const url = u.toString();
  const database = await openDatabase({ kind: 'postgres', url, poolMax: 4 });
  await migrateDatabase(database, url);
  return {
    name,
    url,
    database,
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
    release: () => admin.end(),
  };
}
