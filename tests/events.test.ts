import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestServer, type TestServer } from './support/server.js';
import { api } from './support/api.js';

// Audit events (issue section 5): one event per successful mutation, Team.events and viewer.events.

type Account = { token: string; id: string; email: string };

let server: TestServer;
let owner: Account; // owns ev-team
let viewer: Account; // joins as VIEWER
let member: Account; // joins as MEMBER, promoted to ADMIN, later removed
let outsider: Account; // never joins

const { ok } = api(() => server);

const SLUG = 'ev-team';
const ids = {
  team: '',
  viewerInvitation: '',
  viewerMembership: '',
  memberInvitation: '',
  memberMembership: '',
};

const EVENT_FIELDS = 'id kind status actor { email } actorEmail targetType targetId createdAt';

const TEAM_EVENTS = `query($slug: String!, $filter: AuditEventFilter, $first: Int, $after: String, $orderBy: AuditEventOrder) {
  team(slug: $slug) {
    events(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      nodes { ${EVENT_FIELDS} }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

const VIEWER_EVENTS = `query($filter: AuditEventFilter) {
  viewer { events(first: 100, filter: $filter) { totalCount nodes { ${EVENT_FIELDS} team { slug } } } }
}`;

async function teamEvents(token: string, variables: Record<string, unknown> = {}) {
  const data = await ok(TEAM_EVENTS, { slug: SLUG, first: 100, ...variables }, token);
  return data.team.events as { totalCount: number; nodes: any[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
}
const teamKinds = async (token: string, filter?: Record<string, unknown>) => (await teamEvents(token, { filter })).nodes.map((e) => e.kind);

async function viewerEvents(token: string, filter?: Record<string, unknown>) {
  return (await ok(VIEWER_EVENTS, { filter }, token)).viewer.events as { totalCount: number; nodes: any[] };
}
const viewerKinds = async (token: string, filter?: Record<string, unknown>) => (await viewerEvents(token, filter)).nodes.map((e) => e.kind);

async function mutate(name: string, inputType: string, selection: string, input: Record<string, unknown>, token: string) {
  const data = await ok(
    `mutation($input: ${inputType}!) { ${name}(input: $input) { ${selection} userErrors { field code message } } }`,
    { input },
    token,
  );
  return data[name];
}

async function invite(email: string, role: string): Promise<string> {
  const p = await mutate('inviteMember', 'InviteMemberInput', 'invitation { id }', { teamId: ids.team, email, role }, owner.token);
  expect(p.userErrors).toEqual([]);
  return p.invitation.id;
}

async function accept(user: Account): Promise<string> {
  const token = (await server.deliveredMail()).tokenFor(user.email, 'invitation');
  const p = await mutate('acceptInvitation', 'AcceptInvitationInput', 'membership { id }', { token }, user.token);
  expect(p.userErrors).toEqual([]);
  return p.membership.id;
}

/** The expected event, as `EVENT_FIELDS` shows it (id and createdAt are checked separately). */
const event = (kind: string, actor: Account | null, actorEmail: string, targetType: string, targetId: string) => ({
  id: expect.any(String),
  createdAt: expect.any(String),
  kind,
  status: 'SUCCEEDED',
  actor: actor ? { email: actor.email } : null,
  actorEmail,
  targetType,
  targetId,
});

/** Every event of ev-team once the first test ran, newest first. */
const history = () => [
  event('team.update', owner, owner.email, 'Team', ids.team),
  event('team.member.role', owner, owner.email, 'Membership', ids.memberMembership),
  event('team.member.join', member, member.email, 'Membership', ids.memberMembership),
  event('team.invitation.create', owner, owner.email, 'Invitation', ids.memberInvitation),
  event('team.member.join', viewer, viewer.email, 'Membership', ids.viewerMembership),
  event('team.invitation.create', owner, owner.email, 'Invitation', ids.viewerInvitation),
  event('team.create', owner, owner.email, 'Team', ids.team),
];
let events: any[] = []; // as the owner saw them after the first test

beforeAll(async () => {
  server = await startTestServer();
  [owner, viewer, member, outsider] = await Promise.all(
    ['ev-owner', 'ev-viewer', 'ev-member', 'ev-outsider'].map((name) => server.signUp(`${name}@example.com`)),
  );
});
afterAll(() => server?.close());

describe('each successful mutation writes exactly one event', () => {
  it('records team.create, team.invitation.create, team.member.join, team.member.role and team.update', async () => {
    const created = await mutate('createTeam', 'CreateTeamInput', 'team { id }', { slug: SLUG, name: 'Events' }, owner.token);
    expect(created.userErrors).toEqual([]);
    ids.team = created.team.id;
    expect(await teamKinds(owner.token)).toEqual(['team.create']);

    ids.viewerInvitation = await invite(viewer.email, 'VIEWER');
    expect(await teamKinds(owner.token)).toEqual(['team.invitation.create', 'team.create']);

    ids.viewerMembership = await accept(viewer);
    expect(await teamKinds(owner.token)).toEqual(['team.member.join', 'team.invitation.create', 'team.create']);

    ids.memberInvitation = await invite(member.email, 'MEMBER');
    ids.memberMembership = await accept(member);
    expect(await teamKinds(owner.token)).toEqual([
      'team.member.join',
      'team.invitation.create',
      'team.member.join',
      'team.invitation.create',
      'team.create',
    ]);

    const role = await mutate(
      'setMemberRole',
      'SetMemberRoleInput',
      'membership { role }',
      { membershipId: ids.memberMembership, role: 'ADMIN' },
      owner.token,
    );
    expect(role).toEqual({ membership: { role: 'ADMIN' }, userErrors: [] });
    expect((await teamKinds(owner.token))[0]).toBe('team.member.role');

    const updated = await mutate('updateTeam', 'UpdateTeamInput', 'team { name }', { teamId: ids.team, name: 'Events Inc' }, owner.token);
    expect(updated).toEqual({ team: { name: 'Events Inc' }, userErrors: [] });

    const all = await teamEvents(owner.token);
    expect(all.nodes).toEqual(history());
    expect(all.totalCount).toBe(7);
    events = all.nodes;
  });

  it('lists events newest first by default, and oldest first when asked', async () => {
    const times = events.map((e) => Date.parse(e.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const asc = await teamEvents(owner.token, { orderBy: { field: 'CREATED_AT', direction: 'ASC' } });
    expect(asc.nodes).toEqual([...events].reverse());
  });

  it('pages through events with first/after', async () => {
    const p1 = await teamEvents(owner.token, { first: 4 });
    expect(p1.nodes).toEqual(events.slice(0, 4));
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const p2 = await teamEvents(owner.token, { first: 4, after: p1.pageInfo.endCursor });
    expect(p2.nodes).toEqual(events.slice(4));
    expect(p2.pageInfo.hasNextPage).toBe(false);
    expect(p2.totalCount).toBe(7);
  });

  it('records what changed in data', async () => {
    const { team } = await ok(
      `query($slug: String!) { team(slug: $slug) { events(first: 100, filter: { kinds: ["team.update", "team.member.role", "team.create"] }) { nodes { kind data team { slug } } } } }`,
      { slug: SLUG },
      owner.token,
    );
    expect(team.events.nodes).toEqual([
      { kind: 'team.update', data: { changed: ['name'] }, team: { slug: SLUG } },
      { kind: 'team.member.role', data: { from: 'MEMBER', to: 'ADMIN' }, team: { slug: SLUG } },
      { kind: 'team.create', data: { slug: SLUG }, team: { slug: SLUG } },
    ]);
  });

  it('gives events global IDs that node(id:) resolves, and target IDs that resolve to their targets', async () => {
    for (const e of events) {
      const { node } = await ok(
        `query($id: ID!) { node(id: $id) { __typename id ... on AuditEvent { kind } } }`,
        { id: e.id },
        owner.token,
      );
      expect(node).toEqual({ __typename: 'AuditEvent', id: e.id, kind: e.kind });
      const target = await ok(`query($id: ID!) { node(id: $id) { __typename id } }`, { id: e.targetId }, owner.token);
      expect(target.node).toEqual({ __typename: e.targetType, id: e.targetId });
    }
  });
});

describe('filters', () => {
  const kindsOf = (indexes: number[]) => indexes.map((i) => history()[i].kind);

  it('by exact kinds', async () => {
    expect(await teamKinds(owner.token, { kinds: ['team.update'] })).toEqual(['team.update']);
    expect(await teamKinds(owner.token, { kinds: ['team.create', 'team.update'] })).toEqual(['team.update', 'team.create']);
    // Exact means exact: a prefix without `.*` matches nothing.
    expect(await teamKinds(owner.token, { kinds: ['team.member'] })).toEqual([]);
    expect(await teamKinds(owner.token, { kinds: ['nothing.like.this'] })).toEqual([]);
  });

  it('by kind prefixes', async () => {
    expect(await teamKinds(owner.token, { kinds: ['team.member.*'] })).toEqual([
      'team.member.role',
      'team.member.join',
      'team.member.join',
    ]);
    expect(await teamKinds(owner.token, { kinds: ['team.invitation.*', 'team.create'] })).toEqual(kindsOf([3, 5, 6]));
    expect(await teamKinds(owner.token, { kinds: ['team.*'] })).toEqual(kindsOf([0, 1, 2, 3, 4, 5, 6]));
    // LIKE wildcards are plain characters in a kind.
    expect(await teamKinds(owner.token, { kinds: ['%'] })).toEqual([]);
    expect(await teamKinds(owner.token, { kinds: ['team.member_%'] })).toEqual([]);
    expect(await teamKinds(owner.token, { kinds: ['team_member.*'] })).toEqual([]);
  });

  it('counts the filtered list', async () => {
    expect((await teamEvents(owner.token, { filter: { kinds: ['team.member.*'] } })).totalCount).toBe(3);
  });

  it('by target', async () => {
    const about = async (targetId: string) => (await teamEvents(owner.token, { filter: { targetId } })).nodes;
    expect(await about(ids.memberMembership)).toEqual([events[1], events[2]]);
    expect(await about(ids.team)).toEqual([events[0], events[6]]);
    expect(await about(ids.viewerInvitation)).toEqual([events[5]]);
    expect((await teamEvents(owner.token, { filter: { targetId: ids.memberMembership, kinds: ['team.member.join'] } })).nodes).toEqual([
      events[2],
    ]);
  });

  it('refuses a target that is not a global ID, naming the field', async () => {
    const r = await server.gql(TEAM_EVENTS, { slug: SLUG, filter: { targetId: 'nonsense' } }, owner.token);
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.targetId' });
    expect(r.body.data).toEqual({ team: { events: null } });
  });

  it('refuses more than 20 kinds, naming the field', async () => {
    const kinds = Array.from({ length: 21 }, (_, i) => `kind.${i}`);
    const r = await server.gql(TEAM_EVENTS, { slug: SLUG, filter: { kinds } }, owner.token);
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.kinds' });
    expect(await teamKinds(owner.token, { kinds: kinds.slice(0, 20) })).toEqual([]);
  });

  it('by time: since is inclusive, until exclusive', async () => {
    const at = (i: number) => events[i].createdAt; // events[4] is the viewer joining
    expect((await teamEvents(owner.token, { filter: { since: at(4) } })).nodes).toEqual(events.slice(0, 5));
    expect((await teamEvents(owner.token, { filter: { until: at(4) } })).nodes).toEqual(events.slice(5));
    expect((await teamEvents(owner.token, { filter: { since: at(4), until: at(1) } })).nodes).toEqual(events.slice(2, 5));
    expect((await teamEvents(owner.token, { filter: { since: at(4), until: at(4) } })).nodes).toEqual([]);
    const later = new Date(Date.parse(at(0)) + 60_000).toISOString();
    expect((await teamEvents(owner.token, { filter: { since: later } })).nodes).toEqual([]);
    expect((await teamEvents(owner.token, { filter: { until: later, kinds: ['team.create'] } })).nodes).toEqual([events[6]]);
  });
});

describe('viewer.events', () => {
  it('lists the viewer’s own actions, newest first', async () => {
    expect(await viewerKinds(owner.token)).toEqual([
      'team.update',
      'team.member.role',
      'team.invitation.create',
      'team.invitation.create',
      'team.create',
      'user.email.verify',
      'user.create',
    ]);
    expect(await viewerKinds(viewer.token)).toEqual(['team.member.join', 'user.email.verify', 'user.create']);
    expect(await viewerKinds(member.token)).toEqual(['team.member.join', 'user.email.verify', 'user.create']);
    expect(await viewerKinds(outsider.token)).toEqual(['user.email.verify', 'user.create']);
  });

  it('shows each event as the team shows it', async () => {
    const mine = await viewerEvents(member.token);
    expect(mine.nodes[0]).toEqual({ ...events[2], team: { slug: SLUG } });
    expect(mine.nodes[2]).toMatchObject({
      kind: 'user.create',
      actor: { email: member.email },
      targetType: 'User',
      targetId: member.id,
      team: null,
    });
  });

  it('filters like Team.events', async () => {
    expect(await viewerKinds(owner.token, { kinds: ['team.invitation.*'] })).toEqual(['team.invitation.create', 'team.invitation.create']);
    expect(await viewerKinds(owner.token, { kinds: ['user.*'] })).toEqual(['user.email.verify', 'user.create']);
    expect(await viewerKinds(owner.token, { targetId: ids.team })).toEqual(['team.update', 'team.create']);
    expect(await viewerKinds(owner.token, { since: events[1].createdAt })).toEqual(['team.update', 'team.member.role']);
  });

  it('is only for yourself: a team mate gets FORBIDDEN, an outsider cannot find the user', async () => {
    const q = `query($id: ID!) { node(id: $id) { ... on User { email events { totalCount } } } }`;
    const mate = await server.gql(q, { id: owner.id }, viewer.token);
    expect(mate.body.data).toEqual({ node: { email: owner.email, events: null } });
    expect(mate.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const stranger = await server.gql(q, { id: owner.id }, outsider.token);
    expect(stranger.body.data).toEqual({ node: null });
    expect(stranger.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  });
});

describe('refused mutations', () => {
  async function counts() {
    return {
      team: (await teamEvents(owner.token, { first: 1 })).totalCount,
      owner: (await viewerEvents(owner.token)).totalCount,
      viewer: (await viewerEvents(viewer.token)).totalCount,
    };
  }

  it('when a userError refuses the input', async () => {
    const before = await counts();
    const duplicate = await mutate('createTeam', 'CreateTeamInput', 'team { id }', { slug: SLUG, name: 'Again' }, owner.token);
    expect(duplicate.team).toBeNull();
    expect(duplicate.userErrors).toEqual([{ field: ['input', 'slug'], code: 'TAKEN', message: expect.stringContaining(SLUG) }]);
    const invalid = await mutate('updateTeam', 'UpdateTeamInput', 'team { id }', { teamId: ids.team, slug: 'Bad Slug' }, owner.token);
    expect(invalid.userErrors).toEqual([{ field: ['input', 'slug'], code: 'INVALID', message: expect.any(String) }]);
    const already = await mutate(
      'inviteMember',
      'InviteMemberInput',
      'invitation { id }',
      { teamId: ids.team, email: viewer.email, role: 'MEMBER' },
      owner.token,
    );
    expect(already.userErrors).toEqual([{ field: ['input', 'email'], code: 'TAKEN', message: expect.any(String) }]);
    const ownerRole = await owners();
    const notAllowed = await mutate(
      'setMemberRole',
      'SetMemberRoleInput',
      'membership { id }',
      { membershipId: ownerRole, role: 'ADMIN' },
      owner.token,
    );
    expect(notAllowed.userErrors).toEqual([{ field: ['input', 'membershipId'], code: 'NOT_ALLOWED', message: expect.any(String) }]);
    expect(await counts()).toEqual(before);
  });

  it('when the caller lacks the permission: one FAILED event for the team and the caller, none for what they cannot see', async () => {
    const before = await counts();
    const r = await server.gql(
      `mutation($input: UpdateTeamInput!) { updateTeam(input: $input) { team { id } userErrors { message } } }`,
      { input: { teamId: ids.team, name: 'Viewer was here' } },
      viewer.token,
    );
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const outside = await server.gql(
      `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id } userErrors { message } } }`,
      { input: { teamId: ids.team, email: 'someone@example.com', role: 'VIEWER' } },
      outsider.token,
    );
    expect(outside.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(await counts()).toEqual({ ...before, team: before.team + 1, viewer: before.viewer + 1 });
    expect((await viewerEvents(outsider.token)).totalCount).toBe(2);
    const [refused] = (await teamEvents(owner.token, { first: 1 })).nodes;
    expect(refused).toEqual({ ...event('authorization.denied', viewer, viewer.email, 'Team', ids.team), status: 'FAILED' });
    // The later tests read the team's trail with the refusal in it.
    events = [refused, ...events];
  });

  async function owners(): Promise<string> {
    const { team } = await ok(
      `query($slug: String!) { team(slug: $slug) { members(role: OWNER) { nodes { id } } } }`,
      { slug: SLUG },
      owner.token,
    );
    return team.members.nodes[0].id;
  }
});

describe('who may read Team.events (audit:read)', () => {
  it('a VIEWER member holds audit:read and reads the events', async () => {
    const { team } = await ok(`query($slug: String!) { team(slug: $slug) { viewerRole viewerPermissions } }`, { slug: SLUG }, viewer.token);
    expect(team.viewerRole).toBe('VIEWER');
    expect(team.viewerPermissions).toContain('audit:read');
    expect((await teamEvents(viewer.token)).nodes).toEqual(events);
  });

  it('a platform admin reads them', async () => {
    const admin = await server.adminToken();
    expect((await teamEvents(admin)).nodes).toEqual(events);
  });

  it('a non-member cannot reach the team or its events by any path', async () => {
    const r = await server.gql(TEAM_EVENTS, { slug: SLUG }, outsider.token);
    expect(r.body.data).toEqual({ team: null });
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);

    const byNode = await server.gql(
      `query($id: ID!) { node(id: $id) { ... on Team { events { totalCount } } } }`,
      { id: ids.team },
      outsider.token,
    );
    expect(byNode.body.data).toEqual({ node: null });
    expect(byNode.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);

    const eventById = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: events[0].id }, outsider.token);
    expect(eventById.body.data).toEqual({ node: null });
    expect(eventById.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);

    const many = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: events.map((e) => e.id) }, outsider.token);
    expect(many.body.data).toEqual({ nodes: events.map(() => null) });
    expect(many.body.errors?.map((e) => e.extensions?.code)).toEqual(events.map(() => 'NOT_FOUND'));

    expect(await viewerKinds(outsider.token)).toEqual(['user.email.verify', 'user.create']);
  });

  it('an API token scoped without audit:read gets FORBIDDEN on the field', async () => {
    const created = await mutate(
      'createApiToken',
      'CreateApiTokenInput',
      'secret',
      { name: 'read-only', scopes: ['team:read'] },
      owner.token,
    );
    expect(created.userErrors).toEqual([]);
    const r = await server.gql(TEAM_EVENTS, { slug: SLUG }, created.secret);
    expect(r.body.data).toEqual({ team: { events: null } });
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});

describe('events outlive what they describe', () => {
  it('keeps the history of a removed membership, whose ID no longer resolves', async () => {
    const removed = await mutate(
      'removeMember',
      'RemoveMemberInput',
      'deletedMembershipId',
      { membershipId: ids.memberMembership },
      owner.token,
    );
    expect(removed).toEqual({ deletedMembershipId: ids.memberMembership, userErrors: [] });

    const after = await teamEvents(owner.token);
    expect(after.nodes[0]).toEqual(event('team.member.remove', owner, owner.email, 'Membership', ids.memberMembership));
    // The removed user is no longer visible to the owner (they share no team), so `actor` is null; actorEmail stays.
    expect(after.nodes.slice(1)).toEqual(events.map((e) => (e.actorEmail === member.email ? { ...e, actor: null } : e)));

    const gone = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: ids.memberMembership }, owner.token);
    expect(gone.body.data).toEqual({ node: null });
    expect(gone.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);

    const about = await teamEvents(owner.token, { filter: { targetId: ids.memberMembership } });
    expect(about.nodes.map((e) => e.kind)).toEqual(['team.member.remove', 'team.member.role', 'team.member.join']);
  });

  it('lets the removed member still see their own action, but not the team', async () => {
    const mine = await viewerEvents(member.token);
    expect(mine.nodes.map((e) => e.kind)).toEqual(['team.member.join', 'user.email.verify', 'user.create']);
    expect(mine.nodes[0]).toMatchObject({ targetId: ids.memberMembership, team: null });
    const r = await server.gql(TEAM_EVENTS, { slug: SLUG }, member.token);
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  });

  it('keeps the events of a deleted team for its actor', async () => {
    const created = await mutate('createTeam', 'CreateTeamInput', 'team { id }', { slug: 'ev-gone', name: 'Gone' }, owner.token);
    const goneId = created.team.id;
    const deleted = await mutate('deleteTeam', 'DeleteTeamInput', 'deletedTeamId', { teamId: goneId }, owner.token);
    expect(deleted).toEqual({ deletedTeamId: goneId, userErrors: [] });

    const about = await viewerEvents(owner.token, { targetId: goneId });
    expect(about.nodes).toEqual([
      { ...event('team.delete', owner, owner.email, 'Team', goneId), team: null },
      { ...event('team.create', owner, owner.email, 'Team', goneId), team: null },
    ]);
    const gone = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: goneId }, owner.token);
    expect(gone.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  });

  it('keeps the actor’s email after the account is deleted', async () => {
    const left = await mutate('leaveTeam', 'LeaveTeamInput', 'deletedMembershipId', { teamId: ids.team }, viewer.token);
    expect(left).toEqual({ deletedMembershipId: ids.viewerMembership, userErrors: [] });
    const deleted = await mutate('deleteViewer', 'DeleteViewerInput', 'deletedUserId', { password: PASSWORD }, viewer.token);
    expect(deleted).toEqual({ deletedUserId: viewer.id, userErrors: [] });

    const after = await teamEvents(owner.token, { filter: { kinds: ['team.member.*'] } });
    expect(after.nodes).toEqual([
      event('team.member.leave', null, viewer.email, 'Membership', ids.viewerMembership),
      event('team.member.remove', owner, owner.email, 'Membership', ids.memberMembership),
      event('team.member.role', owner, owner.email, 'Membership', ids.memberMembership),
      event('team.member.join', null, member.email, 'Membership', ids.memberMembership),
      event('team.member.join', null, viewer.email, 'Membership', ids.viewerMembership),
    ]);
  });
});
