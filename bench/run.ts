/**
 * Load benchmark of the dashboard queries: seeds a large data set, starts the server as a child
 * process (so its RSS is its own), drives it with concurrent keep-alive clients on loopback for a
 * fixed time per query, and prints requests/s, p50/p99 latency, SQL statements per request and RSS.
 *
 *   npm run bench                      # a fresh database on the local Postgres (BENCH_DATABASE_URL to choose another server)
 *   BENCH_ENGINE=pglite npm run bench  # PGlite in a temporary folder
 *   BENCH_SECONDS=10 BENCH_CONNECTIONS=16 npm run bench
 *   BENCH_KEEP_DB=1 npm run bench     # keep the seeded Postgres database (for profiling)
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrateDatabase, projectRoot } from '../src/db/migrate.js';
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

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TEAMS = 200;
const USERS = 5000;
const MEMBERS_PER_TEAM = 15;
const APPS_PER_TEAM = 50; // 10,000 apps
const ENV_PER_APP = 10; // 100,000 env vars
const DEPLOYS_PER_APP = 5; // 50,000 deploys
const CLUSTERS_PER_TEAM = 10; // 2,000 clusters, each with 3 node pools and 5 operations; every app placed on one
const BUCKETS_PER_TEAM = 10; // 2,000 buckets with 30 days of usage (60,000 rows)
const USAGE_DAYS = 30;
const PASSWORD = 'bench-password-1';
const PORT = 4700 + Math.floor(Math.random() * 200);

/** The d-th of the usage days, oldest first, ending yesterday (UTC). */
const usageDay = (d: number) => new Date(Date.now() - (USAGE_DAYS - d) * 86400_000).toISOString().slice(0, 10);

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

const QUERIES: Record<string, { as: 'viewer' | 'admin'; query: string }> = {
  dashboard: {
    as: 'viewer',
    query: `{ viewer { email teams(first: 20) { totalCount nodes { slug name viewerRole
      members(first: 20) { totalCount nodes { role since user { email fullName } } }
      invitations(first: 10) { nodes { email role status } } } } } }`,
  },
  'team by slug': {
    as: 'viewer',
    query: `{ team(slug: "team-020") { name owner { email } members(first: 50) { nodes { role user { email } } } } }`,
  },
  'apps dashboard': {
    as: 'viewer',
    query: `{ teams(first: 10) { nodes { slug apps(first: 50) { nodes { name state env { name }
      grantedTeams { slug } deploys(first: 5) { nodes { version } } processes { name units } } } } } }`,
  },
  'clusters dashboard': {
    as: 'viewer',
    query: `{ teams(first: 10) { nodes { clusters(first: 10) { nodes { nodePools { name nodeCount }
      operations(first: 3) { nodes { status } } apps(first: 10) { nodes { name } } } }
      buckets(first: 10) { nodes { name usage(from: "${usageDay(0)}", to: "${usageDay(USAGE_DAYS - 1)}") { storedBytes } } } } } }`,
  },
  'admin users': {
    as: 'admin',
    query: `{ users(first: 50) { totalCount nodes { email status teams(first: 10) { nodes { slug } } } } }`,
  },
};

async function post(url: string, query: string, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  return { status: response.status, text, statements: Number(response.headers.get('x-sql-statements')), bytes: text.length };
}

async function load(url: string, query: string, token: string, seconds = SECONDS) {
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end) {
        const start = performance.now();
        const r = await post(url, query, token);
        latencies.push(performance.now() - start);
        if (r.status !== 200 || r.text.includes('"errors"')) errors++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { rps: latencies.length / seconds, p50: pct(50), p99: pct(99), errors, requests: latencies.length };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

async function main() {
  const root = projectRoot();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(PORT),
    HOST: '127.0.0.1',
    EXPOSE_SQL_STATS: 'true',
    DEMO_DATA: 'false',
    LOG_LEVEL: 'warn',
  };
  let cleanup = async () => {};
  let database: Database;
  const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
  if (process.env.BENCH_ENGINE !== 'pglite') {
    const name = `graphplane_bench_${Date.now()}`;
    const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const u = new URL(baseUrl);
    u.pathname = '/' + name;
    env.DATABASE_URL = u.toString();
    database = await openDatabase({ kind: 'postgres', url: env.DATABASE_URL, poolMax: 4 });
    await migrateDatabase(database, env.DATABASE_URL);
    cleanup = async () => {
      // BENCH_KEEP_DB=1 keeps the seeded database for profiling runs (its URL is printed).
      if (process.env.BENCH_KEEP_DB) console.log(`kept ${env.DATABASE_URL}`);
      else await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  } else {
    const dir = mkdtempSync(path.join(tmpdir(), 'graphplane-bench-'));
    env.PGLITE_DIR = dir;
    database = await openDatabase({ kind: 'pglite', dataDir: dir });
    await migrateDatabase(database);
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `seeding ${USERS} users, ${TEAMS} teams, ${TEAMS * MEMBERS_PER_TEAM} memberships, ${TEAMS * APPS_PER_TEAM} apps, ` +
      `${TEAMS * APPS_PER_TEAM * ENV_PER_APP} env vars, ${TEAMS * APPS_PER_TEAM * DEPLOYS_PER_APP} deploys, ` +
      `${TEAMS * CLUSTERS_PER_TEAM} clusters, ${TEAMS * BUCKETS_PER_TEAM} buckets with ${USAGE_DAYS} days of usage on ${database.engine}…`,
  );
  await seedCatalogs(database.db);
  await seed(database);
  // Fresh statistics, as a long-running database would have: bulk loads leave the planner guessing.
  if (database.engine === 'postgres') await database.db.execute(sql`analyze`);
  await database.close();

  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/main.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = `http://127.0.0.1:${PORT}/graphql`;
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('running') && resolve());
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  try {
    const token = async (email: string) =>
      JSON.parse((await post(url, `mutation { logIn(input: { email: "${email}", password: "${PASSWORD}" }) { token } }`)).text).data.logIn
        .token as string;
    const tokens = { viewer: await token('viewer@bench.test'), admin: await token('admin@bench.test') };
    console.log(`\n${CONNECTIONS} connections, ${SECONDS} s per query, server and load on one machine (${database.engine})\n`);
    console.log('query               req/s   p50 ms   p99 ms  SQL/req  KB/resp  errors  RSS MB');
    for (const [name, q] of Object.entries(QUERIES)) {
      const probe = await post(url, q.query, tokens[q.as]);
      if (probe.text.includes('"errors"')) throw new Error(`${name} failed: ${probe.text.slice(0, 300)}`);
      await load(url, q.query, tokens[q.as], 2); // warm-up, discarded
      const r = await load(url, q.query, tokens[q.as]);
      console.log(
        `${name.padEnd(18)} ${r.rps.toFixed(1).padStart(6)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${String(probe.statements).padStart(8)} ${(probe.bytes / 1024).toFixed(1).padStart(8)} ${String(r.errors).padStart(7)} ${String(rssMb(child.pid!)).padStart(7)}`,
      );
    }
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(killer);
    await cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
