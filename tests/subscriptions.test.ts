import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api } from './support/api.js';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
const { ok, newTeam, addMember } = api(() => server);
const clients: Client[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await server.close();
});

function connect(token?: string): Client {
  const client = createClient({
    url: server.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
  });
  clients.push(client);
  return client;
}

const SUBSCRIBE = `subscription($teamId: ID!) { teamEvents(teamId: $teamId) { kind actorEmail team { slug } } }`;

/** Collects what a subscription delivers; `ready` resolves once the server has accepted it. */
function follow(client: Client, teamId: string) {
  const received: { data?: { teamEvents?: { kind: string } } | null; errors?: unknown[] }[] = [];
  const iterator = client.iterate({ query: SUBSCRIBE, variables: { teamId } });
  const next = async () => {
    const { value, done } = await iterator.next();
    if (done) return null;
    received.push(value as (typeof received)[number]);
    return value;
  };
  return { received, next, stop: () => iterator.return?.() };
}

const UPDATE = `mutation($input: UpdateTeamInput!) { updateTeam(input: $input) { team { name } userErrors { message } } }`;
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('teamEvents', () => {
  it('delivers the team’s events as they commit, to readers of its audit trail only', async () => {
    const owner = await server.signUp('sub-owner@example.com');
    const stranger = await server.signUp('sub-stranger@example.com');
    const team = await newTeam('sub-team', owner.token);

    const mine = follow(connect(owner.token), team.id);
    const first = mine.next();
    await settle(); // the subscription is registered before the change happens
    await ok(UPDATE, { input: { teamId: team.id, name: 'Renamed' } }, owner.token);
    expect(await first).toEqual({
      data: { teamEvents: { kind: 'team.update', actorEmail: 'sub-owner@example.com', team: { slug: 'sub-team' } } },
    });

    const theirs = follow(connect(stranger.token), team.id);
    expect(await theirs.next()).toEqual({
      errors: [expect.objectContaining({ message: 'Team not found.', extensions: { code: 'NOT_FOUND' } })],
    });
    const anonymous = follow(connect(), team.id);
    expect((await anonymous.next())?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await mine.stop();
  });

  it('stops delivering to a member who was removed meanwhile', async () => {
    const owner = await server.signUp('sub-owner2@example.com');
    const member = await server.signUp('sub-member2@example.com');
    const team = await newTeam('sub-team2', owner.token);
    const membershipId = await addMember(team, member, 'VIEWER', owner.token);

    const watching = follow(connect(member.token), team.id);
    const first = watching.next();
    await settle();
    await ok(UPDATE, { input: { teamId: team.id, name: 'One' } }, owner.token);
    expect(((await first) as (typeof watching.received)[number])?.data?.teamEvents?.kind).toBe('team.update');

    await ok(
      `mutation($input: RemoveMemberInput!) { removeMember(input: $input) { userErrors { message } } }`,
      { input: { membershipId } },
      owner.token,
    );
    await ok(UPDATE, { input: { teamId: team.id, name: 'Two' } }, owner.token);
    await settle();
    // Neither the removal nor the later change reached the former member.
    expect(watching.received.map((r) => r.data?.teamEvents?.kind)).toEqual(['team.update']);
    await watching.stop();
  });
});
