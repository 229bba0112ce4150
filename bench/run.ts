/**
 * Load benchmark of the dashboard queries: seeds a large data set, starts the server as a child
 * process (so its RSS is its own), drives it with concurrent keep-alive clients on loopback for a
 * fixed time per query, and prints requests/s, p50/p99 latency, SQL statements per request and RSS.
 *
 *   npm run bench                      # PGlite in a temporary folder
 *   BENCH_DATABASE_URL=postgres://root@127.0.0.1:5432/postgres npm run bench   # a fresh Postgres database
 *   BENCH_SECONDS=10 BENCH_CONNECTIONS=16 npm run bench
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrateDatabase, projectRoot } from '../src/db/migrate.js';
import { seedCatalogs } from '../src/db/seed.js';
import { hashPassword } from '../src/auth/passwords.js';
import { memberships, teams, users, invitations } from '../src/db/schema/index.js';
import { hashSecret, newSecret } from '../src/auth/secrets.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TEAMS = 200;
const USERS = 1000;
const MEMBERS_PER_TEAM = 15;
const PASSWORD = 'bench-password-1';
const PORT = 4700 + Math.floor(Math.random() * 200);

async function seed(database: Database): Promise<void> {
  const db = database.db;
  const passwordHash = await hashPassword(PASSWORD);
  const userRows = await db
    .insert(users)
    .values(
      Array.from({ length: USERS }, (_, i) => ({
        email: i === 0 ? 'viewer@bench.test' : i === 1 ? 'admin@bench.test' : `user${i}@bench.test`,
        fullName: `User ${i}`,
        passwordHash,
        platformRole: i === 1 ? ('ADMIN' as const) : ('USER' as const),
        teamLimit: 1000,
      })),
    )
    .returning({ id: users.id });
  const teamRows = await db
    .insert(teams)
    .values(Array.from({ length: TEAMS }, (_, i) => ({ slug: `team-${String(i).padStart(3, '0')}`, name: `Team ${i}`, tags: ['bench'] })))
    .returning({ id: teams.id });
  const rows: (typeof memberships.$inferInsert)[] = [];
  teamRows.forEach((team, t) => {
    const members = new Set<number>([2 + (t % (USERS - 2))]);
    if (t % 10 === 0) members.add(0); // the viewer is in 20 of the 200 teams
    for (let k = 1; members.size < MEMBERS_PER_TEAM; k++) members.add(2 + ((t * 7 + k * 13) % (USERS - 2)));
    [...members].forEach((u, i) =>
      rows.push({ teamId: team.id, userId: userRows[u].id, role: i === 0 ? 'OWNER' : i % 3 === 0 ? 'ADMIN' : 'MEMBER' }),
    );
  });
  for (let i = 0; i < rows.length; i += 1000) await db.insert(memberships).values(rows.slice(i, i + 1000));
  await db.insert(invitations).values(
    teamRows.map((team, t) => ({
      teamId: team.id,
      email: `invitee${t}@bench.test`,
      role: 'MEMBER' as const,
      tokenHash: hashSecret(newSecret('invitation')),
      expiresAt: new Date(Date.now() + 7 * 86400_000),
    })),
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
    query: `{ team(slug: "team-010") { name owner { email } members(first: 50) { nodes { role user { email } } } } }`,
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
  const baseUrl = process.env.BENCH_DATABASE_URL;
  if (baseUrl) {
    const name = `graphplane_bench_${Date.now()}`;
    const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const u = new URL(baseUrl);
    u.pathname = '/' + name;
    env.DATABASE_URL = u.toString();
    database = await openDatabase({ kind: 'postgres', url: env.DATABASE_URL, poolMax: 4 });
    await migrateDatabase(database, env.DATABASE_URL);
    cleanup = async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  } else {
    const dir = mkdtempSync(path.join(tmpdir(), 'graphplane-bench-'));
    env.PGLITE_DIR = dir;
    database = await openDatabase({ kind: 'pglite', dataDir: dir });
    await migrateDatabase(database);
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  console.log(`seeding ${USERS} users, ${TEAMS} teams, ${TEAMS * MEMBERS_PER_TEAM} memberships on ${database.engine}…`);
  await seedCatalogs(database.db);
  await seed(database);
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
    console.log('query            req/s   p50 ms   p99 ms  SQL/req  KB/resp  errors  RSS MB');
    for (const [name, q] of Object.entries(QUERIES)) {
      const probe = await post(url, q.query, tokens[q.as]);
      if (probe.text.includes('"errors"')) throw new Error(`${name} failed: ${probe.text.slice(0, 300)}`);
      await load(url, q.query, tokens[q.as], 2); // warm-up, discarded
      const r = await load(url, q.query, tokens[q.as]);
      console.log(
        `${name.padEnd(15)} ${r.rps.toFixed(1).padStart(6)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${String(probe.statements).padStart(8)} ${(probe.bytes / 1024).toFixed(1).padStart(8)} ${String(r.errors).padStart(7)} ${String(rssMb(child.pid!)).padStart(7)}`,
      );
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
