import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
let base: string;
beforeAll(async () => {
  server = await startTestServer();
  base = server.url.replace(/\/graphql$/, '');
});
afterAll(() => server.close());

describe('HTTP', () => {
  it('answers health and readiness', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
  });

  it('runs queries over GET and refuses mutations over GET', async () => {
    const q = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json' } });
    expect(q.status).toBe(200);
    expect(await q.json()).toEqual({ data: { __typename: 'Query' } });
    const m = await fetch(`${server.url}?query=${encodeURIComponent('mutation { logOut { endedSessions } }')}`, {
      headers: { accept: 'application/json' },
    });
    expect(m.status).toBe(405);
  });

  it('serves the playground to browsers with its assets from this server only', async () => {
    const page = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('GraphiQL');
    expect(html).toContain('Authorization');
    const srcs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(srcs.length).toBe(4);
    for (const src of srcs) {
      expect(src.startsWith('/playground/')).toBe(true);
      const asset = await fetch(base + src);
      expect(asset.status).toBe(200);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  it('answers malformed JSON with a clean 400', async () => {
    const r = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js/);
  });

  it('refuses too-deep queries before running them', async () => {
    let selection = 'slug';
    for (let i = 0; i < 5; i++) selection = `members { nodes { team { ${selection} } } }`;
    const deep = `{ viewer { teams { nodes { ${selection} } } } }`;
    const r = await server.gql(deep);
    expect(r.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.body.errors?.[0].message).toMatch(/exceeds maximum operation depth/);
    expect(r.statements).toBe(0);
  });

  it('gives every response a request id, and echoes a sane one', async () => {
    const r = await server.gql('{ __typename }', undefined, undefined, { 'x-request-id': 'req-123' });
    expect(r.headers.get('x-request-id')).toBe('req-123');
    const generated = await server.gql('{ __typename }', undefined, undefined, { 'x-request-id': 'bad id with spaces' });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('unexpected errors', () => {
  it('are masked, logged with a request id, and the server recovers when the database returns', async () => {
    const s = await startTestServer();
    const user = await s.signUp('outage@example.com');
    // Simulate an outage: every statement fails while the database is away.
    const db = s.database.db as unknown as { session: { client: unknown } };
    const original = (s.database.db as any).session;
    const broken = new Proxy(original, {
      get(target, prop, receiver) {
        if (prop === 'prepareQuery' || prop === 'execute' || prop === 'all')
          return () => {
            throw new Error('connect ECONNREFUSED 127.0.0.1:5432 select * from "users" where password_hash = $1');
          };
        return Reflect.get(target, prop, receiver);
      },
    });
    (db as any).session = broken;
    try {
      const r = await s.gql('{ viewer { email } }', undefined, user.token);
      const error = r.body.errors?.[0];
      expect(error?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(error?.extensions?.requestId).toBe(r.headers.get('x-request-id'));
      expect(JSON.stringify(r.body)).not.toMatch(/ECONNREFUSED|select|users|stack/i);
    } finally {
      (db as any).session = original;
    }
    const after = await s.gql('{ viewer { email } }', undefined, user.token);
    expect(after.body).toEqual({ data: { viewer: { email: 'outage@example.com' } } });
    await s.close();
  });
});

describe('query cost', () => {
  it('refuses a query that could return too many objects before running it, counting variables', async () => {
    const query = `query($n: Int) { teams(first: 100) { nodes { members(first: $n) { nodes { user { memberships(first: 100) { nodes { role } } } } } } } }`;
    const r = await server.gql(query, { n: 100 });
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', estimatedNodes: 1030201, maxNodes: 100000 });
    expect(r.body.errors?.[0].message).toBe(
      'This query could return up to 1030201 objects, more than the 100000 allowed; ask for smaller pages (first/last) or fewer nested lists.',
    );
    expect(r.statements).toBe(0);
    const small = await server.gql(query, { n: 5 });
    expect(small.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
