/**
 * Load benchmark of the dashboard queries: seeds a large data set, starts the server as a child
 * process (so its RSS is its own), drives it with concurrent keep-alive clients on loopback for a
 * fixed time per query, and prints requests/s, p50/p99 latency, SQL statements per request and RSS.
 *
 *   npm run bench                      # a fresh database on the local Postgres (BENCH_DATABASE_URL to choose another server)
 *   BENCH_ENGINE=pglite npm run bench  # PGlite in a temporary folder
 *   BENCH_SECONDS=10 BENCH_CONNECTIONS=16 npm run bench
 *   BENCH_KEEP_DB=1 npm run bench     # keep the seeded Postgres database (for profiling); prints "kept <database url>"
 *
 * The bench users are viewer@bench.test and admin@bench.test (platform admin), password
 * bench-password-1; the data set is in bench/seed.ts, the queries in bench/peers/queries/*.product.graphql.
 *
 * Peer comparison, Graphplane (the built dist/, as production runs it) against PostGraphile v5 on
 * the same database, in interleaved rounds; see bench/peers/README.md. It installs its own
 * dependencies into bench/peers/node_modules (npm ci) on first use:
 *
 *   npm run bench -- --peers                                     # seeds a fresh database, drops it after (BENCH_KEEP_DB=1 keeps it)
 *   BENCH_DATABASE=postgres://…/graphplane_bench_… npm run bench -- --peers   # or --db <url>: reuse a seeded one as it is
 *   BENCH_QUERIES=dashboard,apps-dashboard BENCH_ROUNDS=3 BENCH_SECONDS=10 BENCH_WARMUP=3 npm run bench -- --peers
 *
 * Not run in CI (too noisy); its output format is kept stable so runs can be compared over time.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrateDatabase, projectRoot } from '../src/db/migrate.js';
import { QUERIES } from './queries.js';
import { PASSWORD, createPostgresBenchDatabase, seedBenchData } from './seed.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const PORT = 4700 + Math.floor(Math.random() * 200);

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
    const created = await createPostgresBenchDatabase(baseUrl);
    env.DATABASE_URL = created.url;
    database = created.database;
    cleanup = async () => {
      // BENCH_KEEP_DB=1 keeps the seeded database for profiling runs (its URL is printed).
      if (process.env.BENCH_KEEP_DB) {
        console.log(`kept ${env.DATABASE_URL}`);
        await created.release();
      } else await created.drop();
    };
  } else {
    const dir = mkdtempSync(path.join(tmpdir(), 'graphplane-bench-'));
    env.PGLITE_DIR = dir;
    database = await openDatabase({ kind: 'pglite', dataDir: dir });
    await migrateDatabase(database);
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  await seedBenchData(database);
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

const run = process.argv.includes('--peers') ? async () => (await import('./peers/run.js')).runPeers() : main;
run().catch((error) => {
  console.error(error);
  process.exit(1);
});
