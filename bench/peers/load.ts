/**
 * Measurement for the peer bench: response checking (node count and value fingerprint, as in
 * the shared peer-bench harness's load.mjs), autocannon load at fixed concurrency, a precise
 * single-client latency loop, and process accounting from /proc (server RSS and CPU, CPU of the
 * bench database's Postgres backends, everything else on the machine).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';

// ---------- response checking ----------

/**
 * "Nodes" are counted shape-independently: every JSON object under `data` holding at least one
 * scalar, except Relay edges ({cursor, node}) and pageInfo; so {nodes: [...]} connections, edges
 * and plain lists all count the same. The fingerprint hashes the multiset of those objects'
 * scalar values (timestamps as epoch ms, since the servers format them differently), so two
 * servers with different field names but the same data agree. `unpaired` fields (those one side
 * asks for and the other leaves out by design) count towards nodes but not the fingerprint.
 */
export function analyse(
  json: unknown,
  unpaired: readonly string[] = [],
): { total: number; counts: Record<string, number>; fingerprint: string } {
  const counts: Record<string, number> = {};
  const prints: string[] = [];
  let total = 0;
  const scalar = (x: unknown) => {
    const s = String(x);
    if (typeof x === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(s)) {
      const ms = Date.parse(s);
      if (!Number.isNaN(ms)) return String(ms);
    }
    return s;
  };
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, path);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const isWrapper = 'node' in v || 'hasNextPage' in v;
    const scalars: string[] = [];
    let held = 0;
    for (const [k, x] of Object.entries(v)) {
      if (x === null || typeof x === 'object') continue;
      held++;
      if (!unpaired.includes(k)) scalars.push(scalar(x));
    }
    if (!isWrapper && held) {
      total++;
      counts[path || '(root)'] = (counts[path || '(root)'] ?? 0) + 1;
      prints.push(scalars.sort().join('\u0001'));
    }
    for (const [k, x] of Object.entries(v)) {
      if (x === null || typeof x !== 'object') continue;
      const skip = k === 'nodes' || k === 'edges' || k === 'node' || k === 'pageInfo';
      walk(x, skip ? path : path ? `${path}.${k}` : k);
    }
  };
  walk((json as { data?: unknown } | null)?.data, '');
  prints.sort();
  const fingerprint = createHash('sha1').update(prints.join('\u0002')).digest('hex').slice(0, 12);
  return { total, counts, fingerprint };
}

export interface Target {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export const target = (url: string, query: string, token?: string): Target => ({
  url,
  body: JSON.stringify({ query }),
  headers: {
    'content-type': 'application/json',
    accept: 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  },
});

export interface Check {
  problem: string | null;
  nodes: number;
  counts: Record<string, number>;
  fingerprint: string;
  bytes: number;
}

/** Fetches the query once: HTTP 200, no `errors`, some `data`; counts its nodes. */
export async function check(t: Target, unpaired: readonly string[] = []): Promise<Check> {
  const response = await fetch(t.url, { method: 'POST', headers: t.headers, body: t.body });
  const text = await response.text();
  let json: { data?: unknown; errors?: unknown };
  try {
    json = JSON.parse(text);
  } catch {
    return {
      problem: `HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`,
      nodes: 0,
      counts: {},
      fingerprint: '-',
      bytes: text.length,
    };
  }
  const problems: string[] = [];
  if (response.status !== 200) problems.push(`HTTP ${response.status}`);
  if (json.errors) problems.push(`errors: ${JSON.stringify(json.errors).slice(0, 300)}`);
  if (!json.data) problems.push('no data');
  const a = analyse(json, unpaired);
  return {
    problem: problems.length ? problems.join('; ') : null,
    nodes: a.total,
    counts: a.counts,
    fingerprint: a.fingerprint,
    bytes: text.length,
  };
}

// ---------- load ----------

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx responses, connection errors, timeouts and bodies with `errors`. */
  errors: number;
}

type Autocannon = (
  opts: Record<string, unknown>,
  done: (err: Error | null, result: any) => void,
) => { on(event: string, f: () => void): void };
let autocannon: Autocannon | undefined;

/** autocannon at `connections` for `seconds` (loaded from bench/peers/node_modules, the peers' own deps). */
export function cannon(t: Target, connections: number, seconds: number): Promise<LoadResult> {
  autocannon ??= createRequire(new URL('./package.json', import.meta.url))('autocannon') as Autocannon;
  return new Promise((resolve, reject) => {
    const instance = autocannon!(
      {
        url: t.url,
        method: 'POST',
        headers: t.headers,
        body: t.body,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 30,
        // A GraphQL error is an HTTP 200 too: count it (a server answering errors fast is not fast).
        verifyBody: (body: string) => body.indexOf('"errors"') === -1,
      },
      (err, r) => {
        if (err) return reject(err);
        const total = r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'];
        resolve({
          rps: total / r.duration,
          p50: r.latency.p50,
          p99: r.latency.p99,
          requests: total,
          errors: r.non2xx + r.errors + r.timeouts + (r.mismatches ?? 0),
        });
      },
    );
    instance.on('error', () => {});
  });
}

/**
 * One client, one keep-alive connection, requests back to back for `seconds`: latency without
 * queueing, timed with performance.now() (autocannon's histogram has 1 ms resolution).
 */
export async function singleClient(t: Target, seconds: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(t.url);
  const body = Buffer.from(t.body);
  const once = () =>
    new Promise<boolean>((resolve, reject) => {
      const request = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { ...t.headers, 'content-length': body.length },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => resolve(response.statusCode === 200 && Buffer.concat(chunks).indexOf('"errors"') === -1));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    const ok = await once().catch(() => false);
    latencies.push(performance.now() - t0);
    if (!ok) errors++;
  }
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { rps: latencies.length / elapsed, p50: pct(50), p99: pct(99), requests: latencies.length, errors };
}

// ---------- process accounting (/proc) ----------

const TICKS = 100; // USER_HZ: clock ticks per second in /proc/*/stat

function stat(pid: number): { ppid: number; cpu: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), cpu: Number(rest[11]) + Number(rest[12]) }; // utime + stime
  } catch {
    return null;
  }
}

/** `root` and its descendants. */
function tree(root: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = stat(Number(d));
    if (s) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), Number(d)]);
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(byParent.get(out[i]) ?? []));
  return out;
}

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

const cpuSeconds = (pids: number[]) => pids.reduce((sum, pid) => sum + (stat(pid)?.cpu ?? 0), 0) / TICKS;
const cpuByPid = (pids: number[]) => new Map(pids.map((pid) => [pid, stat(pid)?.cpu ?? 0]));

function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - f[3] - (f[4] ?? 0)) / TICKS; // all but idle and iowait
}

export interface Usage {
  rssMaxMb: number;
  /** CPU in cores (1 = one core busy) over the measured time. */
  serverCpu: number;
  pgCpu: number;
  /** Machine busy time not accounted for by the server, the database's backends or this process. */
  otherCpu: number;
}

/**
 * Runs `work` while sampling the server's RSS every 250 ms and accounting the CPU of the server
 * process tree, of the bench database's backends (`backends()`, listed before and after: pools
 * open and close connections) and of the rest of the machine.
 */
export async function measured<T>(serverPid: number, backends: () => Promise<number[]>, work: () => Promise<T>): Promise<T & Usage> {
  const serverPids = tree(serverPid);
  let rssMaxMb = rssMb(serverPids);
  const sampler = setInterval(() => (rssMaxMb = Math.max(rssMaxMb, rssMb(serverPids))), 250);
  const pg0 = cpuByPid(await backends());
  const t0 = performance.now();
  const [srv0, me0, machine0] = [cpuSeconds(serverPids), process.cpuUsage(), machineBusySeconds()];
  try {
    const result = await work();
    const elapsed = (performance.now() - t0) / 1000;
    const serverCpu = (cpuSeconds(serverPids) - srv0) / elapsed;
    const me = process.cpuUsage(me0);
    const machine = (machineBusySeconds() - machine0) / elapsed;
    // A backend opened during the run counts from 0; one closed during it is lost (rare: pools keep theirs while busy).
    let pgTicks = 0;
    for (const [pid, ticks] of cpuByPid(await backends())) pgTicks += ticks - (pg0.get(pid) ?? 0);
    const pgCpu = pgTicks / TICKS / elapsed;
    const selfCpu = (me.user + me.system) / 1e6 / elapsed;
    const otherCpu = Math.max(0, machine - serverCpu - pgCpu - selfCpu);
    rssMaxMb = Math.max(rssMaxMb, rssMb(serverPids));
    return { ...result, rssMaxMb, serverCpu, pgCpu, otherCpu };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Waits until the server and the database's backends are idle (under 5% of a core for 300 ms, at most `maxSeconds`): a load run
 * stops with requests in flight, and the server finishing them must not eat into the next run.
 */
export async function settle(serverPid: number, backends: () => Promise<number[]>, maxSeconds = 30): Promise<void> {
  const pids = [...tree(serverPid), ...(await backends())];
  const end = performance.now() + maxSeconds * 1000;
  let last = cpuSeconds(pids);
  while (performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = cpuSeconds(pids);
    if (now - last < 0.015) return;
    last = now;
  }
}
