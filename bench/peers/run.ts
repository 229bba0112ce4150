/**
 * `npm run bench -- --peers`: Graphplane against PostGraphile v5 on the same database, query by
 * query, in interleaved rounds. See bench/peers/README.md for how to read the output.
 *
 *   npm run bench -- --peers                     # seeds a fresh bench database (dropped after; BENCH_KEEP_DB=1 keeps it)
 *   npm run bench -- --peers --db <url>          # or BENCH_DATABASE=<url>: reuse a seeded bench database, untouched
 *
 * env: BENCH_QUERIES (comma list of ids or names; all five by default), BENCH_ROUNDS (2),
 *      BENCH_CONNECTIONS (16), BENCH_SECONDS (10), BENCH_WARMUP (3), BENCH_SINGLE_SECONDS (5: the
 *      single-client latency run), BENCH_POOL (10: database pool of each server),
 *      BENCH_DATABASE_URL (the Postgres server a fresh database is created on),
 *      BENCH_NO_BUILD=1 (run dist/ as it is instead of `npm run build` first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { peerQuery, productQuery, seededUsageRange, selectQueries, type BenchQuery, type UsageRange } from '../queries.js';
import { PASSWORD, createPostgresBenchDatabase, seedBenchData } from '../seed.js';
import { cannon, check, measured, settle, singleClient, target, type LoadResult, type Target, type Usage } from './load.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PEERS = fileURLToPath(new URL('./', import.meta.url));

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, not "${raw}"`);
  return value;
}

function argument(name: string): string | undefined {
  const argv = process.argv;
  const i = argv.indexOf(name);
  if (i >= 0) {
    if (!argv[i + 1] || argv[i + 1].startsWith('--')) throw new Error(`${name} needs a value`);
    return argv[i + 1];
  }
  return argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

// ---------- preparation ----------

/** Installs bench/peers' own dependencies (npm ci, from its lock file) unless the pinned versions are there. */
function ensurePeerDependencies(): string {
  const pkg = JSON.parse(readFileSync(PEERS + 'package.json', 'utf8')) as { dependencies: Record<string, string> };
  const installed = (name: string) => {
    try {
      return (JSON.parse(readFileSync(`${PEERS}node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
    } catch {
      return null;
    }
  };
  if (Object.entries(pkg.dependencies).some(([name, version]) => installed(name) !== version)) {
    console.log('installing the peer bench’s dependencies into bench/peers/node_modules (npm ci)…');
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: PEERS, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`npm ci in ${PEERS} failed (${r.error?.message ?? `exit ${r.status}`})`);
  }
  return pkg.dependencies.postgraphile;
}

function build(): void {
  if (process.env.BENCH_NO_BUILD) {
    if (!existsSync(ROOT + 'dist/src/main.js')) throw new Error('BENCH_NO_BUILD is set but dist/src/main.js does not exist');
    return;
  }
  console.log('building dist/ (npm run build)…');
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed (BENCH_NO_BUILD=1 runs dist/ as it is)');
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

interface Server {
  name: 'graphplane' | 'postgraphile';
  url: string;
  child: ChildProcess;
  pid: number;
}

async function startServer(name: Server['name'], args: string[], cwd: string, env: NodeJS.ProcessEnv, port: number): Promise<Server> {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}/graphql`;
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = `${name} exited (${signal ?? code}) while starting`));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(exited);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not answer on ${url} within 90 s`);
    }
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      if (r.ok) return { name, url, child, pid: child.pid! };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exit = new Promise((resolve) => s.child.once('exit', resolve));
  s.child.kill('SIGTERM');
  const killer = setTimeout(() => s.child.kill('SIGKILL'), 15_000);
  await exit;
  clearTimeout(killer);
}

async function graphql(url: string, query: string, token?: string): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return response.json();
}

// ---------- output ----------

interface Row extends LoadResult, Usage {
  query: string;
  server: Server['name'];
  round: string;
  connections: number;
  nodes: number;
}

const COLUMNS: [string, number, (r: Row) => string][] = [
  ['query', -19, (r) => r.query],
  ['server', -13, (r) => r.server],
  ['round', 5, (r) => r.round],
  ['conns', 5, (r) => String(r.connections)],
  ['req/s', 8, (r) => r.rps.toFixed(1)],
  ['p50 ms', 8, (r) => r.p50.toFixed(r.connections === 1 ? 2 : 1)],
  ['p99 ms', 8, (r) => r.p99.toFixed(r.connections === 1 ? 2 : 1)],
  ['RSS max MB', 10, (r) => r.rssMaxMb.toFixed(0)],
  ['srv CPU', 7, (r) => `${(r.serverCpu * 100).toFixed(0)}%`],
  ['pg CPU', 7, (r) => `${(r.pgCpu * 100).toFixed(0)}%`],
  ['other CPU', 9, (r) => `${(r.otherCpu * 100).toFixed(0)}%`],
  ['errors', 6, (r) => String(r.errors)],
  ['nodes', 6, (r) => String(r.nodes)],
];

const cell = (text: string, width: number) => (width < 0 ? text.padEnd(-width) : text.padStart(width));
const line = (cells: string[], widths: number[]) =>
  cells
    .map((c, i) => cell(c, widths[i]))
    .join('  ')
    .trimEnd();
const rowLine = (r: Row) =>
  line(
    COLUMNS.map(([, , f]) => f(r)),
    COLUMNS.map(([, w]) => w),
  );

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const span = (xs: number[], digits: number) => {
  const lo = Math.min(...xs).toFixed(digits);
  const hi = Math.max(...xs).toFixed(digits);
  return lo === hi ? lo : `${lo}-${hi}`;
};

const SUMMARY: [string, number][] = [
  ['query', -19],
  ['graphplane req/s', 17],
  ['postgraphile req/s', 18],
  ['ratio', 6],
  ['per round', 11],
  ['gp p50 1c', 9],
  ['pgl p50 1c', 10],
  ['ratio', 6],
];

/** One line per query: both servers' req/s over the rounds, their ratio, and the single-client p50s. */
function summaryLine(name: string, rows: Row[]): string {
  const loaded = (s: Server['name']) => rows.filter((r) => r.server === s && r.round !== '1c').map((r) => r.rps);
  const single = (s: Server['name']) => rows.find((r) => r.server === s && r.round === '1c');
  const [g, p] = [loaded('graphplane'), loaded('postgraphile')];
  const [g1, p1] = [single('graphplane'), single('postgraphile')];
  const cells = [
    name,
    span(g, 1),
    span(p, 1),
    (median(g) / median(p)).toFixed(2),
    span(
      g.map((x, i) => x / p[i]),
      2,
    ),
    g1 ? g1.p50.toFixed(2) : '-',
    p1 ? p1.p50.toFixed(2) : '-',
    g1 && p1 ? (g1.p50 / p1.p50).toFixed(2) : '-',
  ];
  return line(
    cells,
    SUMMARY.map(([, w]) => w),
  );
}

// ---------- the run ----------

export async function runPeers(): Promise<void> {
  const rounds = Math.max(1, Math.floor(setting('BENCH_ROUNDS', 2)));
  const connections = Math.max(1, Math.floor(setting('BENCH_CONNECTIONS', 16)));
  const seconds = setting('BENCH_SECONDS', 10);
  const warmup = setting('BENCH_WARMUP', 3);
  const singleSeconds = setting('BENCH_SINGLE_SECONDS', 5);
  const pool = Math.max(1, Math.floor(setting('BENCH_POOL', 10)));
  const queries = selectQueries(process.env.BENCH_QUERIES);
  const reuse = argument('--db') ?? process.env.BENCH_DATABASE;

  const postgraphileVersion = ensurePeerDependencies();
  build();

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const f of cleanups.splice(0).reverse()) await f().catch((error) => console.error(error));
  };
  const interrupted = () => {
    console.error('\ninterrupted');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    let databaseUrl: string;
    if (reuse) {
      databaseUrl = reuse;
      cleanups.push(async () => console.log(`reused ${databaseUrl} (kept)`));
    } else {
      const created = await createPostgresBenchDatabase(process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres');
      databaseUrl = created.url;
      cleanups.push(async () => {
        if (process.env.BENCH_KEEP_DB) {
          console.log(`kept ${databaseUrl}`);
          await created.release();
        } else await created.drop();
      });
      await seedBenchData(created.database);
      await created.database.close();
    }

    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    cleanups.push(() => sql.end());
    const [viewer] = await sql<{ id: string }[]>`select id from users where email = 'viewer@bench.test'`;
    if (!viewer) throw new Error(`${databaseUrl} is not a bench database (no viewer@bench.test)`);
    // The usage days the database holds: a reused database was seeded on another day.
    const [days] = await sql<
      { from: string | null; to: string | null }[]
    >`select min(day)::text as from, max(day)::text as to from bucket_usage`;
    const range: UsageRange = days?.from && days.to ? { from: days.from, to: days.to } : seededUsageRange();
    const backends = async () =>
      (await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`).map(
        (r) => r.pid,
      );

    const [gpPort, pglPort] = [await freePort(), await freePort()];
    const graphplane = await startServer(
      'graphplane',
      ['dist/src/main.js'],
      ROOT,
      {
        PORT: String(gpPort),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        DATABASE_POOL_MAX: String(pool),
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        OPERATION_WORKERS: '0',
        DEMO_DATA: 'false',
        EXPOSE_SQL_STATS: 'true',
      },
      gpPort,
    );
    cleanups.push(() => stopServer(graphplane));
    const postgraphile = await startServer(
      'postgraphile',
      ['--import', './node20-polyfills.mjs', 'postgraphile-server.mjs'],
      PEERS,
      {
        PORT: String(pglPort),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        PGPOOL: String(pool),
        NODE_ENV: 'production',
        GRAPHILE_ENV: 'production',
      },
      pglPort,
    );
    cleanups.push(() => stopServer(postgraphile));

    const token = async (email: string) => {
      const r = await graphql(graphplane.url, `mutation { logIn(input: { email: "${email}", password: "${PASSWORD}" }) { token } }`);
      if (!r.data?.logIn?.token) throw new Error(`cannot log in as ${email}: ${JSON.stringify(r).slice(0, 300)}`);
      return r.data.logIn.token as string;
    };
    const tokens = { viewer: await token('viewer@bench.test'), admin: await token('admin@bench.test') };

    console.log(
      `\ngraphplane (dist/, pid ${graphplane.pid}) on :${gpPort} and postgraphile ${postgraphileVersion} (pid ${postgraphile.pid}) on :${pglPort}, ` +
        `each with a pool of ${pool}, on ${databaseUrl} (${reuse ? 'reused' : 'seeded'})`,
    );
    console.log(
      `${rounds} interleaved round(s) of ${connections} connections for ${seconds} s after ${warmup} s warm-up, then 1 client for ${singleSeconds} s; ` +
        `server, Postgres and load on one machine (node ${process.version}, ${availableParallelism()} cores)\n`,
    );

    // Both answers once, before any timing: no errors, the same number of nodes.
    const pairs: { q: BenchQuery; targets: [Server, Target, number][] }[] = [];
    for (const q of queries) {
      const gp = target(graphplane.url, productQuery(q, range), tokens[q.as]);
      const pgl = target(postgraphile.url, peerQuery(q, viewer.id));
      const [a, b] = [await check(gp, q.unpaired), await check(pgl)];
      const problem = a.problem
        ? `Graphplane: ${a.problem}`
        : b.problem
          ? `PostGraphile: ${b.problem}`
          : a.nodes !== b.nodes
            ? `node counts differ: Graphplane ${a.nodes} ${JSON.stringify(a.counts)}, PostGraphile ${b.nodes} ${JSON.stringify(b.counts)}`
            : null;
      if (problem) {
        console.log(`${q.name.padEnd(19)} SKIPPED, ${problem}`);
        process.exitCode = 1;
        continue;
      }
      const values = a.fingerprint === b.fingerprint ? 'the same values' : `values differ (${a.fingerprint} / ${b.fingerprint})`;
      console.log(
        `${q.name.padEnd(19)} ${a.nodes} nodes on both, ${values}; ${(a.bytes / 1024).toFixed(1)} / ${(b.bytes / 1024).toFixed(1)} KB per response`,
      );
      pairs.push({
        q,
        targets: [
          [graphplane, gp, a.nodes],
          [postgraphile, pgl, b.nodes],
        ],
      });
    }
    if (!pairs.length) throw new Error('no query pair to run');

    console.log(
      '\n' +
        line(
          COLUMNS.map(([h]) => h),
          COLUMNS.map(([, w]) => w),
        ),
    );
    const results: Row[] = [];
    const emit = (row: Row) => {
      results.push(row);
      console.log(rowLine(row));
    };
    for (const { q, targets } of pairs) {
      for (let round = 1; round <= rounds; round++) {
        for (const [server, t, nodes] of targets) {
          if (warmup > 0) await cannon(t, connections, warmup);
          await settle(server.pid, backends);
          const r = await measured(server.pid, backends, () => cannon(t, connections, seconds));
          await settle(server.pid, backends);
          emit({ ...r, query: q.name, server: server.name, round: String(round), connections, nodes });
        }
      }
      // Single-client latency: with Postgres on the same cores, throughput hides server-side gains.
      for (const [server, t, nodes] of targets) {
        if (warmup > 0) await singleClient(t, Math.min(1, warmup));
        const r = await measured(server.pid, backends, () => singleClient(t, singleSeconds));
        emit({ ...r, query: q.name, server: server.name, round: '1c', connections: 1, nodes });
      }
    }

    console.log(
      `\nratio = Graphplane / PostGraphile: req/s from the rounds' medians (above 1: Graphplane serves more), ` +
        `single-client (1c) p50 in ms (below 1: Graphplane answers sooner)`,
    );
    console.log(
      line(
        SUMMARY.map(([h]) => h),
        SUMMARY.map(([, w]) => w),
      ),
    );
    for (const { q } of pairs)
      console.log(
        summaryLine(
          q.name,
          results.filter((r) => r.query === q.name),
        ),
      );
    if (results.some((r) => r.errors > 0)) {
      console.log('\nsome requests failed (errors column): those rows do not measure the query');
      process.exitCode = 1;
    }
    console.log('');
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await cleanup();
  }
}
