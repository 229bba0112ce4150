import { sql } from 'drizzle-orm';
import { createClient, type Client } from 'graphql-ws';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api, errorsOf, USER_ERRORS } from './support/api.js';
import { startTestServer, type GqlResult, type TestServer } from './support/server.js';

let server: TestServer;
let owner: { token: string; id: string; email: string };
let team: { id: string; slug: string };
const { ok, newTeam } = api(() => server);
const clients: Client[] = [];

beforeAll(async () => {
  // Logging errors, so that what reaches the log can be read.
  server = await startTestServer({ logLevel: 'error' });
  owner = await server.signUp('limits-owner@example.com');
  team = await newTeam('limits-team', owner.token);
});
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await server.close();
});

type WsOutcome = { results: unknown[]; errors?: { message: string; extensions?: Record<string, unknown> }[] };

/** Runs one operation over graphql-ws, as a client would; returns what it delivered, or the errors it was refused with. */
function overWebSocket(query: string, variables: Record<string, unknown> = {}, token = owner.token, on = server): Promise<WsOutcome> {
  const client = createClient({
    url: on.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  clients.push(client);
  const results: unknown[] = [];
  return new Promise((resolve, reject) => {
    client.subscribe(
      { query, variables },
      {
        next: (value) => void results.push(value),
        complete: () => resolve({ results }),
        error: (error) => (Array.isArray(error) ? resolve({ results, errors: error }) : reject(error)),
      },
    );
  });
}

const onlyError = (r: GqlResult) => {
  expect(r.status).toBe(400);
  expect(r.body.data).toBeUndefined();
  expect(r.body.errors).toHaveLength(1);
  const [{ message, extensions }] = r.body.errors!;
  return { message, extensions };
};

const nodesRefusal = (nodes: number) => ({
  message: `This query could return up to ${nodes} objects, more than the 100000 allowed; ask for smaller pages (first/last) or fewer nested lists.`,
  extensions: { code: 'GRAPHQL_VALIDATION_FAILED', estimatedNodes: nodes, maxNodes: 100000 },
});

const ALIASES = `{ ${Array.from({ length: 1000 }, (_, i) => `t${i}: teams(first: 1) { totalCount }`).join(' ')} }`;
const FIELDS_REFUSAL = {
  message:
    'This query selects 2000 fields, more than the 500 allowed (each alias and each field reached through a fragment counts); split it into several requests.',
  extensions: { code: 'GRAPHQL_VALIDATION_FAILED', selectedFields: 2000, maxFields: 500 },
};

let deep = 'slug';
for (let i = 0; i < 5; i++) deep = `members { nodes { team { ${deep} } } }`;
const TOO_DEEP = `{ viewer { teams { nodes { ${deep} } } } }`;

describe('query cost (item 7)', () => {
  it('refuses 1,000 aliases of teams(first: 1) { totalCount } before running any of their statements', async () => {
    const r = await server.gql(ALIASES, {}, owner.token);
    expect(onlyError(r)).toEqual(FIELDS_REFUSAL);
    // The one statement is the bearer token's authentication; none of the 2,000 the aliases would run.
    expect(r.statements).toBe(1);
    const few = await server.gql(`{ a: teams(first: 1) { totalCount } b: teams(first: 1) { totalCount } }`, {}, owner.token);
    expect(few.body).toEqual({ data: { a: { totalCount: 1 }, b: { totalCount: 1 } } });
  });

  it('counts variable defaults in the estimate, as execution applies them', async () => {
    const query = (n: number) =>
      `query($n: Int = ${n}) { teams(first: 100) { nodes { members(first: $n) { nodes { user { memberships(first: 100) { nodes { role } } } } } } } }`;
    const r = await server.gql(query(100), {}, owner.token);
    expect(onlyError(r)).toEqual(nodesRefusal(1030201));
    expect(r.statements).toBe(1);
    // A variable given overrides its default, in the estimate as in execution.
    expect((await server.gql(query(100), { n: 5 }, owner.token)).body.errors).toBeUndefined();
    expect((await server.gql(query(5), {}, owner.token)).body.errors).toBeUndefined();
  });

  it('multiplies nodes(ids:) by the number of ids, given inline or as a variable', async () => {
    const selection = `... on Team { members(first: 100) { nodes { user { memberships(first: 100) { nodes { role } } } } } }`;
    const ids = (n: number) => Array.from({ length: n }, () => team.id);
    // Per id: the team, its members connection, 100 members and their users, 100 connections of 100 memberships.
    const byVariable = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { ${selection} } }`, { ids: ids(10) }, owner.token);
    expect(onlyError(byVariable)).toEqual(nodesRefusal(10 * 10302));
    const inline = await server.gql(`{ nodes(ids: ${JSON.stringify(ids(10))}) { ${selection} } }`, {}, owner.token);
    expect(onlyError(inline)).toEqual(nodesRefusal(10 * 10302));
    const nine = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { ${selection} } }`, { ids: ids(9) }, owner.token);
    expect(nine.body.errors).toBeUndefined();
    expect(nine.body.data.nodes).toHaveLength(9);
  });

  it('answers a fragment cycle with a 400 naming the cycle, not a 500', async () => {
    const r = await server.gql(`query { ...A } fragment A on Query { viewer { id } ...B } fragment B on Query { ...A }`, {}, owner.token);
    expect(onlyError(r)).toEqual({
      message: 'Cannot spread fragment "A" within itself via "B".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });
});

describe('introspection cost (item 7)', () => {
  const FULL = getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    inputValueDeprecation: true,
  });

  it('answers the standard introspection query, and counts its fields: three aliased copies are over the field limit', async () => {
    const r = await server.gql(FULL);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.__schema.queryType).toEqual({ name: 'Query', kind: 'OBJECT' });
    const [operation, fragments] = [FULL.slice(0, FULL.indexOf('fragment')), FULL.slice(FULL.indexOf('fragment'))];
    const selection = operation.slice(operation.indexOf('{') + 1, operation.lastIndexOf('}'));
    const copies = await server.gql(`query { ${[1, 2, 3].map((i) => `c${i}: ${selection.trim()}`).join(' ')} } ${fragments}`);
    expect(onlyError(copies).message).toMatch(/^This query selects \d+ fields, more than the 500 allowed/);
  });
});

describe('depth limit (item 7)', () => {
  it('answers an unknown fragment with a 400, not a 500', async () => {
    const r = await server.gql(`{ ...Missing }`, {}, owner.token);
    expect(onlyError(r)).toEqual({ message: 'Unknown fragment "Missing".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('measures fragments that spread each other many times over once each, and refuses their fields', async () => {
    // 2^40 paths through the fragments: following each one would never finish.
    const fragments = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
    const r = await server.gql(`{ ...F0 } ${fragments.join(' ')} fragment F40 on Query { viewer { id } }`, {}, owner.token);
    expect(onlyError(r)).toEqual({
      message:
        'This query selects at least 5001 fields, more than the 500 allowed (each alias and each field reached through a fragment counts); split it into several requests.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', selectedFields: 5001, maxFields: 500 },
    });
    expect(r.statements).toBe(1);
  });

  it('still measures depth through fragments', async () => {
    const r = await server.gql(`{ ...Deep } fragment Deep on Query { ${TOO_DEEP.slice(1, -1)} }`, {}, owner.token);
    expect(onlyError(r)).toEqual({
      message: "'' exceeds maximum operation depth of 12",
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const named = await server.gql(`query Named ${TOO_DEEP}`, {}, owner.token);
    expect(onlyError(named).message).toBe("'Named' exceeds maximum operation depth of 12");
  });
});

describe('query limits over WebSocket (item 7)', () => {
  it('refuses a too-deep operation, as over HTTP', async () => {
    const http = await server.gql(TOO_DEEP, {}, owner.token);
    const ws = await overWebSocket(TOO_DEEP);
    expect(ws).toEqual({ results: [], errors: [expect.objectContaining({ message: http.body.errors![0].message })] });
    expect(ws.errors![0].message).toBe("'' exceeds maximum operation depth of 12");
    expect(ws.errors![0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('refuses a subscription that could deliver too many objects', async () => {
    const subscription = `subscription($teamId: ID!) { teamEvents(teamId: $teamId) { team { members(first: 100) { nodes {
      user { memberships(first: 100) { nodes { team { members(first: 100) { nodes { role } } } } } } } } } } }`;
    const ws = await overWebSocket(subscription, { teamId: team.id });
    const refusal = nodesRefusal(1030303);
    expect(ws).toEqual({ results: [], errors: [{ message: refusal.message, extensions: refusal.extensions }] });
  });

  it('refuses 1,000 aliases sent as a query over the socket, and answers a small query', async () => {
    const ws = await overWebSocket(ALIASES);
    expect(ws).toEqual({ results: [], errors: [FIELDS_REFUSAL] });
    expect(await overWebSocket(`{ viewer { email } }`)).toEqual({ results: [{ data: { viewer: { email: owner.email } } }] });
  });

  it('answers a fragment cycle with a validation error, not an internal one', async () => {
    const ws = await overWebSocket(`subscription { ...A } fragment A on Subscription { ...B } fragment B on Subscription { ...A }`);
    expect(ws.errors).toEqual([
      {
        message: 'Cannot spread fragment "A" within itself via "B".',
        locations: expect.any(Array),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
    ]);
  });

  it('answers a syntax error or a document nested too deep to parse with GRAPHQL_PARSE_FAILED, as over HTTP', async () => {
    const tooDeep = `{ ${'viewer { '.repeat(5000)} id ${'} '.repeat(5001)}`;
    const http = onlyError(await server.gql(tooDeep, {}, owner.token));
    expect(http.extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
    expect(await overWebSocket(tooDeep)).toEqual({ results: [], errors: [http] });
    const syntax = await overWebSocket(`{ viewer { `);
    expect(syntax.errors).toEqual([
      {
        message: 'Syntax Error: Expected Name, found <EOF>.',
        locations: [{ line: 1, column: 12 }],
        extensions: { code: 'GRAPHQL_PARSE_FAILED' },
      },
    ]);
  });

  it('closes the socket on a message larger than an HTTP body may be (200 KB)', async () => {
    const socket = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
    socket.on('message', () =>
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ __typename } # ${'x'.repeat(210 * 1024)}` } })),
    );
    expect(await closed).toBe(1009);
  });
});

describe('NUL characters in input (item 15)', () => {
  const SET_ENV = `mutation($input: SetEnvInput!) { setEnv(input: $input) { app { name } ${USER_ERRORS} } }`;
  let appId: string;
  beforeAll(async () => {
    const created = await ok(
      `mutation($input: CreateAppInput!) { createApp(input: $input) { app { id } ${USER_ERRORS} } }`,
      { input: { teamId: team.id, name: 'nul-app', platform: 'node' } },
      owner.token,
    );
    appId = created.createApp.app.id;
  });

  const nulRefusal = (field: string) => ({
    message: `${field}: must not contain NUL characters (\\u0000).`,
    extensions: { code: 'BAD_USER_INPUT', field },
  });

  it('are BAD_USER_INPUT naming the variable path, nested in lists and input objects, before any statement', async () => {
    const r = await server.gql(
      SET_ENV,
      {
        input: {
          appId,
          variables: [
            { name: 'OK', value: 'fine' },
            { name: 'BAD', value: 'a\u0000b' },
          ],
        },
      },
      owner.token,
    );
    expect(onlyError(r)).toEqual(nulRefusal('$input.variables.1.value'));
    expect(r.statements).toBe(1);
    const asId = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: '\u0000' }, owner.token);
    expect(onlyError(asId)).toEqual(nulRefusal('$id'));
    const inJson = await server.gql(
      `mutation($input: UpdateMemberOptionsInput!) { updateMemberOptions(input: $input) { ${USER_ERRORS} } }`,
      { input: { teamId: team.id, options: { nested: ['x\u0000'] } } },
      owner.token,
    );
    expect(onlyError(inJson)).toEqual(nulRefusal('$input.options.nested.0'));
  });

  it('are BAD_USER_INPUT naming the argument path in inline literals, String and ID alike', async () => {
    const literal = await server.gql(
      `mutation { setEnv(input: { appId: "${appId}", variables: [{ name: "BAD", value: "a\\u0000b" }] }) { ${USER_ERRORS} } }`,
      {},
      owner.token,
    );
    expect(onlyError(literal)).toEqual(nulRefusal('input.variables.0.value'));
    expect(onlyError(await server.gql(`{ team(slug: "a\\u0000") { id } }`, {}, owner.token))).toEqual(nulRefusal('slug'));
    expect(onlyError(await server.gql(`{ node(id: "\\u0000") { id } }`, {}, owner.token))).toEqual(nulRefusal('id'));
    expect(onlyError(await server.gql(`query($s: String = "\\u0000") { team(slug: $s) { id } }`, {}, owner.token))).toEqual(
      nulRefusal('$s'),
    );
  });

  it('a variable nested thousands of levels deep is BAD_USER_INPUT naming it, not a stack overflow (500)', async () => {
    const query = `mutation($o: JSON!) { updateMemberOptions(input: { teamId: "${team.id}", options: $o }) { ${USER_ERRORS} } }`;
    const body = JSON.stringify({ query, variables: { o: 'DEEP' } }).replace('"DEEP"', `{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
      body,
    });
    expect(response.status).toBe(400);
    const field = `$o.a${'.0'.repeat(63)}`;
    expect(await response.json()).toEqual({
      errors: [{ message: `${field}: is nested deeper than 64 levels.`, extensions: { code: 'BAD_USER_INPUT', field } }],
    });
    const nested = (levels: number): unknown => (levels === 0 ? 'leaf' : { n: nested(levels - 1) });
    const fine = await server.gql(query, { o: nested(63) }, owner.token);
    expect(fine.body).toEqual({ data: { updateMemberOptions: { userErrors: [] } } });
  });

  it('are refused over WebSocket too', async () => {
    const ws = await overWebSocket(`query($slug: String!) { team(slug: $slug) { id } }`, { slug: 'x\u0000' });
    expect(ws).toEqual({ results: [], errors: [nulRefusal('$slug')] });
  });
});

describe('cursors (item 15)', () => {
  const cursor = (list: string, value: unknown) =>
    Buffer.from(JSON.stringify([list, value, '00000000-0000-4000-8000-000000000000'])).toString('base64url');
  const refusal = (argument: string) => ({
    message: `${argument}: is not a cursor of this list in this order; use a cursor the same query returned.`,
    path: ['teams'],
    extensions: { code: 'BAD_USER_INPUT', field: argument },
  });

  it('a timestamp cursor whose value is not a timestamp, such as "1", is BAD_USER_INPUT naming the argument', async () => {
    const query = `query($after: String, $before: String, $last: Int) {
      teams(orderBy: { field: CREATED_AT, direction: ASC }, after: $after, before: $before, last: $last) { nodes { slug } } }`;
    // A cursor the query returned pages on.
    const real = await ok(`{ teams(orderBy: { field: CREATED_AT, direction: ASC }) { pageInfo { endCursor } } }`, {}, owner.token);
    expect(await ok(query, { after: real.teams.pageInfo.endCursor }, owner.token)).toEqual({ teams: { nodes: [] } });
    for (const value of ['1', '2026-13-01T00:00:00.000Z', 'tomorrow', '2026-01-01']) {
      const r = await server.gql(query, { after: cursor('teams:CREATED_AT', value) }, owner.token);
      expect(errorsOf(r)).toEqual([refusal('after')]);
    }
    const backward = await server.gql(query, { before: cursor('teams:CREATED_AT', '1'), last: 5 }, owner.token);
    expect(errorsOf(backward)).toEqual([refusal('before')]);
  });

  it('a bigint cursor of 1e300 (or a text cursor with a NUL) is BAD_USER_INPUT naming the argument', async () => {
    const events = await server.gql(
      `query($slug: String!, $after: String) { team(slug: $slug) { events(after: $after) { nodes { kind } } } }`,
      { slug: team.slug, after: cursor('Team.events:CREATED_AT', 1e300) },
      owner.token,
    );
    expect(errorsOf(events)).toEqual([{ ...refusal('after'), path: ['team', 'events'] }]);
    const text = await server.gql(
      `query($after: String) { teams(orderBy: { field: NAME, direction: ASC }, after: $after) { nodes { slug } } }`,
      { after: cursor('teams:NAME', 'a\u0000') },
      owner.token,
    );
    expect(errorsOf(text)).toEqual([refusal('after')]);
  });
});

describe('the log (item 15)', () => {
  it('never holds statement parameters: a setEnv that fails in the database leaves its secret values out', async () => {
    const created = await ok(
      `mutation($input: CreateAppInput!) { createApp(input: $input) { app { id } ${USER_ERRORS} } }`,
      { input: { teamId: team.id, name: 'log-app', platform: 'node' } },
      owner.token,
    );
    const secret = 'hunter2-very-secret-value';
    // A constraint the database enforces and the service does not know: the insert fails in the database,
    // whose error detail ("Failing row contains (…)") and drizzle's message ("params: …") both hold the value.
    await server.database.db.execute(sql.raw(`alter table app_env_vars add constraint no_hunter check (value <> '${secret}')`));
    try {
      const before = server.logs.length;
      const r = await server.gql(
        `mutation($input: SetEnvInput!) { setEnv(input: $input) { ${USER_ERRORS} } }`,
        { input: { appId: created.createApp.app.id, variables: [{ name: 'TOKEN', value: secret, secret: true }] } },
        owner.token,
      );
      expect(r.body.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const lines = server.logs.slice(before);
      expect(lines).toHaveLength(1);
      const entry = JSON.parse(lines[0]);
      expect(entry.msg).toBe('unexpected error');
      // What the log keeps: the statement with its placeholders, and the database's code and message.
      expect(entry.err.message).toMatch(/^Failed query: insert into "app_env_vars" /);
      expect(entry.err.cause).toMatchObject({
        code: '23514',
        message: 'new row for relation "app_env_vars" violates check constraint "no_hunter"',
      });
      expect(lines[0]).not.toContain(secret);
      expect(lines[0]).not.toContain('params');
      expect(lines[0]).not.toContain('Failing row');
    } finally {
      await server.database.db.execute(sql.raw(`alter table app_env_vars drop constraint no_hunter`));
    }
  });
});

describe('JSON literals (item 18)', () => {
  it('updateMemberOptions takes its options as an inline object literal', async () => {
    const r = await server.gql(
      `mutation { updateMemberOptions(input: { teamId: "${team.id}", options: { a: 1, b: "x", c: [true, null, { d: 2.5 }] } }) {
        membership { options } ${USER_ERRORS} } }`,
      {},
      owner.token,
    );
    expect(r.body).toEqual({
      data: { updateMemberOptions: { membership: { options: { a: 1, b: 'x', c: [true, null, { d: 2.5 }] } }, userErrors: [] } },
    });
  });
});

describe('production (item 17)', () => {
  let production: TestServer;
  let closed: TestServer;
  beforeAll(async () => {
    production = await startTestServer({ production: true });
    closed = await startTestServer({ introspection: false });
  });
  afterAll(async () => {
    await production.close();
    await closed.close();
  });

  it('validation errors suggest no field, argument or input names in production, over HTTP and WebSocket', async () => {
    const token = await production.adminToken();
    expect(onlyError(await production.gql(`{ teamz { id } }`, {}, token)).message).toBe('Cannot query field "teamz" on type "Query".');
    const variable = await production.gql(
      `mutation($input: UpdateTeamInput!) { updateTeam(input: $input) { ${USER_ERRORS} } }`,
      { input: { teamId: team.id, nme: 'x' } },
      token,
    );
    expect(onlyError(variable).message).toBe(
      'Variable "$input" got invalid value { teamId: "' + team.id + '", nme: "x" }; Field "nme" is not defined by type "UpdateTeamInput".',
    );
    const ws = await overWebSocket(`{ teamz { id } }`, {}, token, production);
    expect(ws.errors?.map((e) => e.message)).toEqual(['Cannot query field "teamz" on type "Query".']);
    // Outside production, the suggestions help developers.
    expect(onlyError(await server.gql(`{ teamz { id } }`, {}, owner.token)).message).toBe(
      'Cannot query field "teamz" on type "Query". Did you mean "team" or "teams"?',
    );
  });

  it('introspection stays on by default, in production too', async () => {
    for (const on of [server, production]) {
      const r = await on.gql(`{ __schema { queryType { name } } __type(name: "Team") { name } }`);
      expect(r.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } }, __type: { name: 'Team' } } });
    }
  });

  it('INTROSPECTION=false turns it off with a clear error, over HTTP and WebSocket; __typename still answers', async () => {
    const r = await closed.gql(`{ __schema { queryType { name } } }`);
    expect(onlyError(r)).toEqual({
      message: 'Introspection is turned off on this server (INTROSPECTION=false): __schema cannot be queried.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(onlyError(await closed.gql(`{ __type(name: "Team") { name } }`)).message).toBe(
      'Introspection is turned off on this server (INTROSPECTION=false): __type cannot be queried.',
    );
    const ws = await overWebSocket(`{ __schema { queryType { name } } }`, {}, await closed.adminToken(), closed);
    expect(ws.errors?.map((e) => e.message)).toEqual([
      'Introspection is turned off on this server (INTROSPECTION=false): __schema cannot be queried.',
    ]);
    expect((await closed.gql(`{ __typename }`)).body).toEqual({ data: { __typename: 'Query' } });
  });
});
