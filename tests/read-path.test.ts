import 'reflect-metadata';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import { api, type TeamRef, type User } from './support/api.js';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * The form of the dashboards' SQL (issue 10): after authentication, which selects the viewer's
 * grants with their credential, every statement is one of the hot loaders' prepared reads
 * (`Database.values`, named statements on Postgres); visibility comes from the grants as array
 * parameters, never from sub-selects on the grant tables; no read outside authentication selects
 * a password hash.
 */

let server: TestServer;
const { ok, newTeam, addMember } = api(() => server);
let owner: User;
let member: User;
/** Holds what `member` holds, in one more team: the same grant paths, larger batches. */
let wider: User;
let team: TeamRef;

const DASHBOARD = `{ viewer { email teams(first: 20) { totalCount nodes { slug name viewerRole
  members(first: 20) { totalCount nodes { role since user { email fullName } } }
  invitations(first: 10) { nodes { email role status } } } } } }`;
const APPS_DASHBOARD = `{ teams(first: 10) { nodes { slug apps(first: 50) { nodes { name state env { name }
  grantedTeams { slug } deploys(first: 5) { nodes { version } } processes { name units } } } } } }`;
const TEAM_BY_SLUG = `query($slug: String!) { team(slug: $slug) { name owner { email } members(first: 50) { nodes { role user { email } } } } }`;

/** What the request sent through the prepared-read path, and how many statements it issued in all. */
async function readsOf(query: string, token: string, variables: Record<string, unknown> = {}) {
  const database = server.database;
  const values = database.values;
  const sent: string[] = [];
  database.values = (q) => {
    sent.push(q.sql);
    return values.call(database, q);
  };
  try {
    const r = await server.gql(query, variables, token);
    expect(r.body.errors).toBeUndefined();
    return { sent, statements: r.statements, data: r.body.data };
  } finally {
    database.values = values;
  }
}

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.signUp('owner@read-path.test');
  member = await server.signUp('member@read-path.test');
  team = await newTeam('read-path', owner.token);
  const other = await newTeam('read-path-other', owner.token);
  await addMember(team, member, 'ADMIN', owner.token);
  wider = await server.signUp('wider@read-path.test');
  await addMember(team, wider, 'ADMIN', owner.token);
  const third = await newTeam('read-path-third', owner.token);
  await addMember(third, wider, 'ADMIN', owner.token);
  await ok(
    `mutation($input: CreateAppInput!) { createApp(input: $input) { userErrors { message } } }`,
    { input: { teamId: third.id, name: 'web-3', platform: 'node' } },
    owner.token,
  );
  for (const name of ['web-1', 'web-2']) {
    const created = await ok(
      `mutation($input: CreateAppInput!) { createApp(input: $input) { app { id } userErrors { message } } }`,
      { input: { teamId: team.id, name, platform: 'node' } },
      owner.token,
    );
    await ok(
      `mutation($input: SetEnvInput!) { setEnv(input: $input) { userErrors { message } } }`,
      { input: { appId: created.createApp.app.id, variables: [{ name: 'MODE', value: 'on' }] } },
      owner.token,
    );
    await ok(
      `mutation($input: GrantAppAccessInput!) { grantAppAccess(input: $input) { userErrors { message } } }`,
      { input: { appId: created.createApp.app.id, teamId: other.id } },
      owner.token,
    );
  }
});
afterAll(() => server?.close());

describe.each([
  ['the viewer dashboard', DASHBOARD, {}],
  ['the apps dashboard', APPS_DASHBOARD, {}],
  ['team by slug', TEAM_BY_SLUG, { slug: 'read-path' }],
])('%s', (_name, query, variables) => {
  it('runs every statement after authentication as a prepared read, filtered by array parameters, without password hashes', async () => {
    const { sent, statements, data } = await readsOf(query, member.token, variables);
    expect(data).toBeTruthy();
    expect(sent.length).toBe(statements - 1);
    for (const text of sent) {
      expect(text).not.toMatch(/password_hash/);
      expect(text).not.toMatch(/role_bindings|acl_entries/);
    }
    expect(sent.some((text) => /= any\(\$\d+::uuid\[\]\)/.test(text))).toBe(true);
    expect(sent.filter((text) => /in \(\$\d/.test(text))).toEqual([]);
  });
});

describe.each([
  ['the viewer dashboard', DASHBOARD],
  ['the apps dashboard', APPS_DASHBOARD],
])('%s', (_name, query) => {
  it('sends the same statement texts whatever the number of keys in a batch (one prepared statement each)', async () => {
    const asMember = await readsOf(query, member.token);
    const asWider = await readsOf(query, wider.token);
    expect(asWider.data).not.toEqual(asMember.data);
    expect(asWider.sent).toEqual(asMember.sent);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('statements drizzle sends to Postgres', () => {
  it('are named prepared statements, in transactions and savepoints too, so each text is planned once per connection', async () => {
    // One connection, so the session pg_prepared_statements describes is the one that ran them.
    // (postgres.js sends statements without parameters by the simple protocol, never prepared.)
    const database = await openDatabase({ kind: 'postgres', url: process.env.TEST_DATABASE_URL!, poolMax: 1 });
    try {
      await database.db.execute(sql`select ${1}::int as outside_probe`);
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`select ${2}::int as transaction_probe`);
        await tx.transaction(async (savepoint) => {
          await savepoint.execute(sql`select ${3}::int as savepoint_probe`);
        });
      });
      const rows = await database.db.execute(
        sql`select statement from pg_prepared_statements where statement like 'select $1::int as %_probe'`,
      );
      expect((rows as unknown as { statement: string }[]).map((r) => r.statement).sort()).toEqual([
        'select $1::int as outside_probe',
        'select $1::int as savepoint_probe',
        'select $1::int as transaction_probe',
      ]);
    } finally {
      await database.close();
    }
  });
});
