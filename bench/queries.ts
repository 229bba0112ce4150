/**
 * The bench queries, one definition for both modes: `bench/peers/queries/<id>.product.graphql` is
 * what Graphplane is asked (by `npm run bench` and `npm run bench -- --peers`), and
 * `<id>.pgl.graphql` beside it is the same data through PostGraphile (peers mode only).
 *
 * Placeholders, filled in here: USAGE_FROM / USAGE_TO (the seeded usage days) in the product
 * queries, VIEWER_UUID (viewer@bench.test's id) in the PostGraphile ones.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { USAGE_DAYS, usageDay } from './seed.js';

export interface BenchQuery {
  /** The file name stem in bench/peers/queries/. */
  id: string;
  /** The name printed in the tables. */
  name: string;
  /** The bench user Graphplane is asked as. */
  as: 'viewer' | 'admin';
  /** Graphplane's fields that the PostGraphile query leaves out by design (see its comment): not compared. */
  unpaired?: readonly string[];
}

export const BENCH_QUERIES: readonly BenchQuery[] = [
  { id: 'dashboard', name: 'dashboard', as: 'viewer', unpaired: ['viewerRole'] },
  { id: 'team-by-slug', name: 'team by slug', as: 'viewer' },
  { id: 'apps-dashboard', name: 'apps dashboard', as: 'viewer' },
  { id: 'clusters-dashboard', name: 'clusters dashboard', as: 'viewer' },
  { id: 'admin-users', name: 'admin users', as: 'admin' },
];

export const QUERY_DIR = fileURLToPath(new URL('./peers/queries/', import.meta.url));

export interface UsageRange {
  from: string;
  to: string;
}

/** The usage days a fresh seed writes (the 30 days ending yesterday, UTC). */
export const seededUsageRange = (): UsageRange => ({ from: usageDay(0), to: usageDay(USAGE_DAYS - 1) });

/** The file's query without its comment lines, placeholders filled in. */
function fill(file: string, values: Record<string, string>): string {
  let text = readFileSync(QUERY_DIR + file, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n')
    .trim();
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(key, value);
  return text;
}

/** The query Graphplane is asked. */
export const productQuery = (q: BenchQuery, range: UsageRange = seededUsageRange()) =>
  fill(`${q.id}.product.graphql`, { USAGE_FROM: range.from, USAGE_TO: range.to });

/**
 * The same data through PostGraphile, which has no viewer: the queries start from the viewer's row.
 * Sent on one line, as compact as the product's (no string in them holds a space).
 */
export const peerQuery = (q: BenchQuery, viewerId: string) => fill(`${q.id}.pgl.graphql`, { VIEWER_UUID: viewerId }).replace(/\s+/g, ' ');

/**
 * Selects queries by a comma-separated list of ids or names (`dashboard,apps-dashboard` or
 * `apps dashboard`); all of them when the list is empty.
 */
export function selectQueries(list: string | undefined): BenchQuery[] {
  const wanted = (list ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (!wanted.length) return [...BENCH_QUERIES];
  return wanted.map((w) => {
    const q = BENCH_QUERIES.find((b) => b.id === w || b.name === w || b.id === w.replaceAll(' ', '-'));
    if (!q) throw new Error(`unknown bench query "${w}"; known: ${BENCH_QUERIES.map((b) => b.id).join(', ')}`);
    return q;
  });
}

/** `npm run bench`'s queries by name, as it has always run them. */
export const QUERIES: Record<string, { as: 'viewer' | 'admin'; query: string }> = Object.fromEntries(
  BENCH_QUERIES.map((q) => [q.name, { as: q.as, query: productQuery(q) }]),
);
