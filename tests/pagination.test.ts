import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { api } from './support/api.js';

// Connections: keyset pagination over `teams` (root), `User.teams` and `Team.members`.

let server: TestServer;
let adminToken: string;
let owner: { token: string; id: string; email: string };
let members: { token: string; id: string; email: string }[];
let bulk: { token: string; id: string; email: string };

const { ok } = api(() => server);

/** Single-word names sort the same under every collation (C, en_US, ICU). */
const WORDS = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf', 'Hotel', 'India', 'Juliet', 'Kilo', 'Lima'];
/** Slugs sort in the reverse order of names: Alpha is p12-alpha, Lima is p01-lima. */
const slugOf = (word: string) => `p${String(12 - WORDS.indexOf(word)).padStart(2, '0')}-${word.toLowerCase()}`;
/** Creation order differs from both name and slug order. */
const CREATED = [5, 0, 9, 3, 11, 1, 7, 2, 10, 4, 8, 6].map((i) => WORDS[i]);

const BY_NAME = WORDS.map(slugOf);
const BY_SLUG = [...BY_NAME].sort();
const BY_CREATED = CREATED.map(slugOf);

/** 23 teams of the bulk user, more than a default page: BulkA..BulkW. */
const BULK = Array.from({ length: 23 }, (_, i) => `Bulk${String.fromCharCode(65 + i)}`);

async function createTeam(token: string, slug: string, name: string): Promise<string> {
  const data = await ok(
    `mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id } userErrors { field code message } } }`,
    { input: { slug, name } },
    token,
  );
  expect(data.createTeam.userErrors).toEqual([]);
  return data.createTeam.team.id;
}

async function setTeamLimit(userId: string, teamLimit: number) {
  const data = await ok(
    `mutation($input: AdminUpdateUserInput!) { adminUpdateUser(input: $input) { user { teamLimit } userErrors { message } } }`,
    { input: { userId, teamLimit } },
    adminToken,
  );
  expect(data.adminUpdateUser).toEqual({ user: { teamLimit }, userErrors: [] });
}

const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

const TEAMS = `query($first: Int, $after: String, $last: Int, $before: String, $orderBy: TeamOrder) {
  teams(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    totalCount
    edges { cursor node { slug } }
    nodes { slug }
    ${PAGE_INFO}
  }
}`;

const MEMBERS = `query($slug: String!, $first: Int, $after: String, $last: Int, $before: String, $orderBy: MembershipOrder, $role: TeamRole) {
  team(slug: $slug) {
    members(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, role: $role) {
      totalCount
      edges { cursor node { role user { email } } }
      nodes { user { email } }
      ${PAGE_INFO}
    }
  }
}`;

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
interface Page {
  keys: string[];
  cursors: string[];
  pageInfo: PageInfo;
  totalCount: number;
}

type Fetch = (args: Record<string, unknown>) => Promise<Page>;

const teamsPage =
  (token: string, orderBy?: { field: string; direction: string }): Fetch =>
  async (args) => {
    const { teams } = await ok(TEAMS, { ...args, orderBy }, token);
    // nodes and edges agree, and the page's cursors are its first and last edge's.
    expect(teams.nodes).toEqual(teams.edges.map((e: any) => e.node));
    return {
      keys: teams.nodes.map((n: any) => n.slug),
      cursors: teams.edges.map((e: any) => e.cursor),
      pageInfo: teams.pageInfo,
      totalCount: teams.totalCount,
    };
  };

const membersPage =
  (token: string, slug: string, extra: Record<string, unknown> = {}): Fetch =>
  async (args) => {
    const { team } = await ok(MEMBERS, { slug, ...extra, ...args }, token);
    const m = team.members;
    expect(m.nodes).toEqual(m.edges.map((e: any) => ({ user: e.node.user })));
    return {
      keys: m.nodes.map((n: any) => n.user.email),
      cursors: m.edges.map((e: any) => e.cursor),
      pageInfo: m.pageInfo,
      totalCount: m.totalCount,
    };
  };

function expectCursorsMatch(page: Page) {
  expect(page.pageInfo.startCursor).toBe(page.cursors[0] ?? null);
  expect(page.pageInfo.endCursor).toBe(page.cursors.at(-1) ?? null);
}

/** Walks forward with first/after; checks every page and returns the pages' keys. */
async function walkForward(fetch: Fetch, size: number, expected: string[]): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | null = null;
  for (let i = 0; i < 50; i++) {
    const page: Page = await fetch({ first: size, after });
    expectCursorsMatch(page);
    expect(page.totalCount).toBe(expected.length);
    const start = i * size;
    expect(page.keys).toEqual(expected.slice(start, start + size));
    expect(page.pageInfo.hasNextPage).toBe(start + size < expected.length);
    // GitHub-style: a page after a cursor reports that items precede it.
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    pages.push(page.keys);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  const all = pages.flat();
  expect(all).toEqual(expected);
  expect(new Set(all).size).toBe(all.length);
  return pages;
}

/** Walks backward with last/before from the end; checks every page and returns the pages' keys, last page first. */
async function walkBackward(fetch: Fetch, size: number, expected: string[]): Promise<string[][]> {
  const pages: string[][] = [];
  let before: string | null = null;
  for (let i = 0; i < 50; i++) {
    const page: Page = await fetch({ last: size, before });
    expectCursorsMatch(page);
    expect(page.totalCount).toBe(expected.length);
    const end = expected.length - i * size;
    expect(page.keys).toEqual(expected.slice(Math.max(0, end - size), end));
    expect(page.pageInfo.hasPreviousPage).toBe(end - size > 0);
    expect(page.pageInfo.hasNextPage).toBe(before !== null);
    pages.push(page.keys);
    if (!page.pageInfo.hasPreviousPage) break;
    before = page.pageInfo.startCursor;
  }
  const all = [...pages].reverse().flat();
  expect(all).toEqual(expected);
  expect(new Set(all).size).toBe(all.length);
  return pages;
}

/** The first error of a response that must have failed, with the data it left. */
async function failure(query: string, variables: Record<string, unknown>, token: string) {
  const r = await server.gql(query, variables, token);
  expect(r.status).toBe(200);
  expect(r.body.errors).toHaveLength(1);
  return { data: r.body.data, error: r.body.errors![0] };
}

beforeAll(async () => {
  server = await startTestServer();
  adminToken = await server.adminToken();
  [owner, bulk, ...members] = await Promise.all([
    server.signUp('pager@example.com'),
    server.signUp('bulk@example.com'),
    ...[1, 2, 3, 4, 5].map((i) => server.signUp(`m${i}@example.com`)),
  ]);
  await setTeamLimit(owner.id, 20);
  await setTeamLimit(bulk.id, 40);
  const ids: Record<string, string> = {};
  for (const word of CREATED) ids[word] = await createTeam(owner.token, slugOf(word), word);
  for (const name of BULK) await createTeam(bulk.token, name.toLowerCase(), name);

  // Alpha: the owner, then m1..m5 in this order (m5 as VIEWER); Bravo: the owner and m1.
  const join = async (teamId: string, user: { token: string; email: string }, role: string) => {
    const invited = await ok(
      `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { userErrors { message } } }`,
      { input: { teamId, email: user.email, role } },
      owner.token,
    );
    expect(invited.inviteMember.userErrors).toEqual([]);
    const token = (await server.deliveredMail()).tokenFor(user.email, 'invitation');
    const accepted = await ok(
      `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { userErrors { message } } }`,
      { input: { token } },
      user.token,
    );
    expect(accepted.acceptInvitation.userErrors).toEqual([]);
  };
  for (const [i, m] of members.entries()) await join(ids.Alpha, m, i === 4 ? 'VIEWER' : 'MEMBER');
  await join(ids.Bravo, members[0], 'MEMBER');
});
afterAll(() => server?.close());

describe('teams: forward pagination', () => {
  it('walks every page by name (the default order) with no duplicates or gaps', async () => {
    const pages = await walkForward(teamsPage(owner.token), 5, BY_NAME);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
  });

  it('gives the whole list in one page when it fits, with both flags false', async () => {
    const page = await teamsPage(owner.token)({ first: 100 });
    expect(page.keys).toEqual(BY_NAME);
    expect(page.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: page.cursors[0],
      endCursor: page.cursors[11],
    });
  });

  it('answers an empty page after the last item', async () => {
    const last = await teamsPage(owner.token)({ first: 100 });
    const page = await teamsPage(owner.token)({ first: 5, after: last.pageInfo.endCursor });
    expect(page.keys).toEqual([]);
    expect(page.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
    expect(page.totalCount).toBe(12);
  });

  it('walks in page sizes 1 and 12 as well', async () => {
    await walkForward(teamsPage(owner.token), 1, BY_NAME);
    const pages = await walkForward(teamsPage(owner.token), 12, BY_NAME);
    expect(pages).toEqual([BY_NAME]);
  });

  it('gives every item a distinct cursor that resumes right after it', async () => {
    const all = await teamsPage(owner.token)({ first: 12 });
    expect(new Set(all.cursors).size).toBe(12);
    for (const [i, cursor] of all.cursors.entries()) {
      const next = await teamsPage(owner.token)({ first: 1, after: cursor });
      expect(next.keys).toEqual(BY_NAME.slice(i + 1, i + 2));
    }
  });
});

describe('teams: backward pagination', () => {
  it('walks every page from the end with last/before', async () => {
    const pages = await walkBackward(teamsPage(owner.token), 5, BY_NAME);
    expect(pages).toEqual([BY_NAME.slice(7, 12), BY_NAME.slice(2, 7), BY_NAME.slice(0, 2)]);
  });

  it('pages back from a cursor taken while paging forward', async () => {
    const first = await teamsPage(owner.token)({ first: 5 });
    const back = await teamsPage(owner.token)({ last: 2, before: first.pageInfo.endCursor });
    expect(back.keys).toEqual(BY_NAME.slice(2, 4));
    expect(back.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const start = await teamsPage(owner.token)({ last: 10, before: first.cursors[0] });
    expect(start.keys).toEqual([]);
    expect(start.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null });
  });
});

describe('teams: orderBy', () => {
  it('orders by NAME ascending and descending', async () => {
    await walkForward(teamsPage(owner.token, { field: 'NAME', direction: 'ASC' }), 5, BY_NAME);
    await walkForward(teamsPage(owner.token, { field: 'NAME', direction: 'DESC' }), 5, [...BY_NAME].reverse());
    await walkBackward(teamsPage(owner.token, { field: 'NAME', direction: 'DESC' }), 5, [...BY_NAME].reverse());
  });

  it('orders by SLUG', async () => {
    await walkForward(teamsPage(owner.token, { field: 'SLUG', direction: 'ASC' }), 4, BY_SLUG);
    await walkBackward(teamsPage(owner.token, { field: 'SLUG', direction: 'DESC' }), 4, [...BY_SLUG].reverse());
  });

  it('orders by CREATED_AT ascending and descending', async () => {
    await walkForward(teamsPage(owner.token, { field: 'CREATED_AT', direction: 'ASC' }), 5, BY_CREATED);
    await walkForward(teamsPage(owner.token, { field: 'CREATED_AT', direction: 'DESC' }), 5, [...BY_CREATED].reverse());
    await walkBackward(teamsPage(owner.token, { field: 'CREATED_AT', direction: 'ASC' }), 5, BY_CREATED);
  });

  it('orders User.teams (viewer.teams) the same way', async () => {
    const q = `query($orderBy: TeamOrder, $after: String) { viewer { teams(first: 7, orderBy: $orderBy, after: $after) { totalCount nodes { slug } ${PAGE_INFO} } } }`;
    const p1 = (await ok(q, { orderBy: { field: 'CREATED_AT', direction: 'DESC' } }, owner.token)).viewer.teams;
    expect(p1.nodes.map((n: any) => n.slug)).toEqual([...BY_CREATED].reverse().slice(0, 7));
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const p2 = (await ok(q, { orderBy: { field: 'CREATED_AT', direction: 'DESC' }, after: p1.pageInfo.endCursor }, owner.token)).viewer
      .teams;
    expect(p2.nodes.map((n: any) => n.slug)).toEqual([...BY_CREATED].reverse().slice(7));
    expect(p2.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(p2.totalCount).toBe(12);
    const byName = (await ok(q, {}, owner.token)).viewer.teams;
    expect(byName.nodes.map((n: any) => n.slug)).toEqual(BY_NAME.slice(0, 7));
  });
});

describe('teams: default page size and totalCount', () => {
  it('gives 20 items when neither first nor last is given', async () => {
    const { teams } = await ok(`{ teams { totalCount nodes { name } ${PAGE_INFO} } }`, {}, bulk.token);
    expect(teams.nodes.map((n: any) => n.name)).toEqual(BULK.slice(0, 20));
    expect(teams.totalCount).toBe(23);
    expect(teams.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const { viewer } = await ok(`{ viewer { teams { totalCount nodes { name } pageInfo { hasNextPage } } } }`, {}, bulk.token);
    expect(viewer.teams).toEqual({ totalCount: 23, nodes: BULK.slice(0, 20).map((name) => ({ name })), pageInfo: { hasNextPage: true } });
  });

  it('defaults to 20 after a cursor too', async () => {
    const { teams: first } = await ok(`{ teams(first: 2) { pageInfo { endCursor } } }`, {}, bulk.token);
    const { teams } = await ok(
      `query($after: String) { teams(after: $after) { nodes { name } pageInfo { hasNextPage } } }`,
      { after: first.pageInfo.endCursor },
      bulk.token,
    );
    expect(teams).toEqual({ nodes: BULK.slice(2, 22).map((name) => ({ name })), pageInfo: { hasNextPage: true } });
  });

  it('counts only what the viewer can see', async () => {
    expect((await ok(`{ teams(first: 1) { totalCount } }`, {}, owner.token)).teams.totalCount).toBe(12);
    expect((await ok(`{ teams(first: 1) { totalCount } }`, {}, members[0].token)).teams.totalCount).toBe(2);
    expect((await ok(`{ teams(first: 1) { totalCount } }`, {}, members[1].token)).teams.totalCount).toBe(1);
    const admin = (await ok(`{ teams(first: 1) { totalCount } }`, {}, adminToken)).teams.totalCount;
    expect(admin).toBe(12 + BULK.length);
  });
});

describe('teams: keyset pages stay stable while the list changes', () => {
  it('neither repeats nor skips original items when a team is inserted before the cursor (by name)', async () => {
    const fetch = teamsPage(bulk.token, { field: 'NAME', direction: 'ASC' });
    const before = (await fetch({ first: 100 })).keys;
    const p1 = await fetch({ first: 5 });
    expect(p1.keys).toEqual(before.slice(0, 5));
    await createTeam(bulk.token, 'aardvark', 'Aardvark'); // sorts before every BulkX
    const p2 = await fetch({ first: 5, after: p1.pageInfo.endCursor });
    expect(p2.keys).toEqual(before.slice(5, 10));
    const rest = await fetch({ first: 100, after: p2.pageInfo.endCursor });
    expect(rest.keys).toEqual(before.slice(10));
    expect(rest.totalCount).toBe(before.length + 1);
    const seen = [...p1.keys, ...p2.keys, ...rest.keys];
    expect(seen).toEqual(before);
  });

  it('neither repeats nor skips when a newer team arrives while paging newest first', async () => {
    const fetch = teamsPage(bulk.token, { field: 'CREATED_AT', direction: 'DESC' });
    const before = (await fetch({ first: 100 })).keys;
    const p1 = await fetch({ first: 6 });
    expect(p1.keys).toEqual(before.slice(0, 6));
    await createTeam(bulk.token, 'newest-team', 'Newest');
    const p2 = await fetch({ first: 6, after: p1.pageInfo.endCursor });
    expect(p2.keys).toEqual(before.slice(6, 12));
    const again = await fetch({ first: 6 });
    expect(again.keys).toEqual(['newest-team', ...before.slice(0, 5)]);
  });

  it('continues after a cursor whose item was deleted meanwhile', async () => {
    const fetch = teamsPage(bulk.token, { field: 'NAME', direction: 'ASC' });
    const before = (await fetch({ first: 100 })).keys;
    const p1 = await fetch({ first: 3 });
    const { teams } = await ok(`{ teams(first: 3) { nodes { id slug } } }`, {}, bulk.token);
    const victim = teams.nodes[2];
    expect(victim.slug).toBe(p1.keys[2]);
    const deleted = await ok(
      `mutation($input: DeleteTeamInput!) { deleteTeam(input: $input) { deletedTeamId userErrors { message } } }`,
      { input: { teamId: victim.id } },
      bulk.token,
    );
    expect(deleted.deleteTeam).toEqual({ deletedTeamId: victim.id, userErrors: [] });
    const p2 = await fetch({ first: 3, after: p1.pageInfo.endCursor });
    expect(p2.keys).toEqual(before.slice(3, 6));
  });
});

describe('bounds and bad arguments', () => {
  const expectBadInput = async (variables: Record<string, unknown>, field: string, query = TEAMS) => {
    const { data, error } = await failure(query, variables, owner.token);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(error.message).toMatch(new RegExp(`^${field}\\b`));
    return data;
  };

  it('refuses first and last outside 1..100, naming the argument', async () => {
    for (const [variables, field] of [
      [{ first: 0 }, 'first'],
      [{ first: -1 }, 'first'],
      [{ first: 101 }, 'first'],
      [{ last: 0 }, 'last'],
      [{ last: 101 }, 'last'],
    ] as const) {
      const data = await expectBadInput(variables, field);
      expect(data).toBeNull(); // teams is non-null, so the whole response data is null
    }
    const { error } = await failure(TEAMS, { first: 101 }, owner.token);
    expect(error.message).toBe('first: must be between 1 and 100.');
  });

  it('accepts the bounds themselves', async () => {
    expect((await teamsPage(owner.token)({ first: 1 })).keys).toEqual(BY_NAME.slice(0, 1));
    expect((await teamsPage(owner.token)({ first: 100 })).keys).toEqual(BY_NAME);
    expect((await teamsPage(owner.token)({ last: 1 })).keys).toEqual(BY_NAME.slice(11));
    expect((await teamsPage(owner.token)({ last: 100 })).keys).toEqual(BY_NAME);
  });

  it('refuses first and last together', async () => {
    await expectBadInput({ first: 5, last: 5 }, 'first');
  });

  it('refuses after with last, and before with first', async () => {
    const page = await teamsPage(owner.token)({ first: 5 });
    await expectBadInput({ last: 5, after: page.pageInfo.endCursor }, 'after');
    await expectBadInput({ first: 5, before: page.pageInfo.endCursor }, 'before');
  });

  it('refuses garbage cursors, naming the argument', async () => {
    const nonsense = [
      'garbage',
      Buffer.from('["Alpha"]').toString('base64url'),
      Buffer.from('["Alpha","not-a-uuid"]').toString('base64url'),
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from(JSON.stringify([{ x: 1 }, '00000000-0000-0000-0000-000000000000'])).toString('base64url'),
      'x'.repeat(5000),
    ];
    for (const cursor of nonsense) {
      await expectBadInput({ first: 5, after: cursor }, 'after');
      await expectBadInput({ last: 5, before: cursor }, 'before');
    }
  });

  it('refuses a cursor of another order instead of failing inside the database', async () => {
    // A NAME cursor holds a name; under CREATED_AT it is not a time.
    const byName = await teamsPage(owner.token, { field: 'NAME', direction: 'ASC' })({ first: 2 });
    const createdAt = { field: 'CREATED_AT', direction: 'ASC' };
    const r = await server.gql(TEAMS, { first: 2, after: byName.pageInfo.endCursor, orderBy: createdAt }, owner.token);
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    // Well-formed but not a time either.
    const forged = Buffer.from(JSON.stringify(['not a time', '00000000-0000-0000-0000-000000000000'])).toString('base64url');
    const f = await server.gql(TEAMS, { last: 2, before: forged, orderBy: createdAt }, owner.token);
    expect(f.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'before' });
  });

  it('checks the same bounds on a nested connection', async () => {
    const slug = slugOf('Alpha');
    for (const [variables, field] of [
      [{ first: 0 }, 'first'],
      [{ first: 101 }, 'first'],
      [{ last: 101 }, 'last'],
      [{ first: 1, last: 1 }, 'first'],
      [{ last: 1, after: 'x' }, 'after'],
      [{ first: 1, after: 'garbage' }, 'after'],
    ] as const) {
      const data = await expectBadInput({ slug, ...variables }, field, MEMBERS);
      expect(data).toEqual({ team: null });
    }
  });
});

describe('Team.members', () => {
  const alpha = () => slugOf('Alpha');
  const joined = () => [owner.email, ...members.map((m) => m.email)];

  it('walks the members oldest first, forward and backward', async () => {
    const pages = await walkForward(membersPage(owner.token, alpha()), 2, joined());
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
    const back = await walkBackward(membersPage(owner.token, alpha()), 4, joined());
    expect(back.map((p) => p.length)).toEqual([4, 2]);
  });

  it('orders by CREATED_AT descending', async () => {
    const fetch = membersPage(owner.token, alpha(), { orderBy: { field: 'CREATED_AT', direction: 'DESC' } });
    await walkForward(fetch, 4, [...joined()].reverse());
    await walkBackward(fetch, 4, [...joined()].reverse());
  });

  it('filters by role, with a matching totalCount', async () => {
    await walkForward(
      membersPage(owner.token, alpha(), { role: 'MEMBER' }),
      3,
      members.slice(0, 4).map((m) => m.email),
    );
    const viewers = await membersPage(owner.token, alpha(), { role: 'VIEWER' })({});
    expect(viewers.keys).toEqual([members[4].email]);
    expect(viewers.totalCount).toBe(1);
    const owners = await membersPage(owner.token, alpha(), { role: 'OWNER' })({ first: 5 });
    expect(owners.keys).toEqual([owner.email]);
  });

  it('pages the same for any member of the team', async () => {
    await walkForward(membersPage(members[4].token, alpha()), 5, joined());
  });

  it('gives full edges on a page', async () => {
    const { team } = await ok(MEMBERS, { slug: alpha(), first: 2 }, owner.token);
    expect(team.members.edges.map((e: any) => e.node)).toEqual([
      { role: 'OWNER', user: { email: owner.email } },
      { role: 'MEMBER', user: { email: members[0].email } },
    ]);
    expect(team.members.totalCount).toBe(6);
  });
});

describe('nested pagination', () => {
  it('pages each parent’s members separately', async () => {
    const { viewer } = await ok(
      `{ viewer { teams { nodes { slug members(first: 1) { totalCount nodes { role } pageInfo { hasNextPage hasPreviousPage } } } } } }`,
      {},
      owner.token,
    );
    const counts: Record<string, number> = { [slugOf('Alpha')]: 6, [slugOf('Bravo')]: 2 };
    expect(viewer.teams.nodes).toEqual(
      BY_NAME.map((slug) => ({
        slug,
        members: {
          totalCount: counts[slug] ?? 1,
          nodes: [{ role: 'OWNER' }],
          pageInfo: { hasNextPage: (counts[slug] ?? 1) > 1, hasPreviousPage: false },
        },
      })),
    );
  });

  it('gives the right flags to a member of some of the teams', async () => {
    const { viewer } = await ok(
      `{ viewer { teams { nodes { slug members(first: 1) { pageInfo { hasNextPage } } } } } }`,
      {},
      members[0].token,
    );
    expect(viewer.teams.nodes).toEqual([
      { slug: slugOf('Alpha'), members: { pageInfo: { hasNextPage: true } } },
      { slug: slugOf('Bravo'), members: { pageInfo: { hasNextPage: true } } },
    ]);
  });

  it('pages backward under each parent', async () => {
    const { viewer } = await ok(
      `{ viewer { teams(first: 2) { nodes { slug members(last: 1) { nodes { user { email } } pageInfo { hasNextPage hasPreviousPage } } } } } }`,
      {},
      members[0].token,
    );
    expect(viewer.teams.nodes).toEqual([
      {
        slug: slugOf('Alpha'),
        members: { nodes: [{ user: { email: members[4].email } }], pageInfo: { hasNextPage: false, hasPreviousPage: true } },
      },
      {
        slug: slugOf('Bravo'),
        members: { nodes: [{ user: { email: members[0].email } }], pageInfo: { hasNextPage: false, hasPreviousPage: true } },
      },
    ]);
  });

  it('gives different page sizes under two aliases of the same connection', async () => {
    const { team } = await ok(
      `query($slug: String!) { team(slug: $slug) { a: members(first: 1) { nodes { role } } b: members(first: 3) { nodes { role } totalCount } } }`,
      { slug: slugOf('Alpha') },
      owner.token,
    );
    expect(team).toEqual({
      a: { nodes: [{ role: 'OWNER' }] },
      b: { nodes: [{ role: 'OWNER' }, { role: 'MEMBER' }, { role: 'MEMBER' }], totalCount: 6 },
    });
  });
});
