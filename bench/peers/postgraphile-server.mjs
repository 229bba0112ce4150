// PostGraphile v5 (Amber preset + simplify-inflection, as in the V5 docs' example config) on the
// bench database, served by grafserv's node:http adaptor. No authorization, no JWT: every row is
// visible, so the peer queries filter by the viewer's id where Graphplane filters by visibility.
// Needs no network at run time. On Node < 22 start it with `node --import ./node20-polyfills.mjs`.
//
// env: DATABASE_URL (required), PORT (5678), HOST (127.0.0.1), PGPOOL (pool size, default 10)
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { makeJSONPgSmartTagsPlugin } from 'postgraphile/utils';
import { PgSimplifyInflectionPreset } from '@graphile/simplify-inflection';

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  console.error('postgraphile-server: DATABASE_URL is required');
  process.exit(2);
}
const port = Number(process.env.PORT || 5678);
const host = process.env.HOST || '127.0.0.1';

// Smart tags: what a PostGraphile user of this schema would add. PostGraphile reads unique and
// foreign-key *constraints* and non-partial indexes only, and Graphplane's schema states some of
// them as indexes or polymorphic references instead:
//  - teams.slug is unique by the unique index teams_slug_key: `teamBySlug(slug:)`;
//  - operations point at their resource by (resource_type, resource_id), indexed by
//    operations_resource_idx: a virtual foreign key to clusters gives `Cluster.operations`
//    (queried with `condition: { resourceType: CLUSTER }`, so that index serves it);
//  - memberships.role = 'OWNER' is indexed by the partial unique index memberships_one_owner_key:
//    `memberships(condition: { role: OWNER })` finds a team's owner.
const SmartTagsPlugin = makeJSONPgSmartTagsPlugin({
  version: 1,
  config: {
    class: {
      teams: { tags: { unique: 'slug' } },
      operations: {
        tags: { foreignKey: '(resource_id) references clusters (id)|@fieldName cluster|@foreignFieldName operations' },
      },
      memberships: { attribute: { role: { tags: { isIndexed: true } } } },
    },
  },
});

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
  plugins: [SmartTagsPlugin],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ['public'],
      poolConfig: { max: Number(process.env.PGPOOL || 10) },
      pubsub: false, // no LISTEN client: no subscriptions here
    }),
  ],
  grafserv: { port, host, graphqlPath: '/graphql', watch: false, graphiql: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.keepAliveTimeout = 65_000;
server.on('error', (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, host, () => {
  console.log(`postgraphile listening on http://${host}:${port}/graphql (pid ${process.pid})`);
});
const stop = async () => {
  server.close();
  await pgl.release();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
