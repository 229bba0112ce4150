import 'reflect-metadata';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberships, teams, users } from '../src/db/schema/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { okResult as ok } from './support/api.js';

/**
 * SQL statement counts of nested queries (issue 2, section 8; DESIGN.md performance rules): one
 * DataLoader per relation per request, so the count is a small constant that does not grow with
 * the number of teams, members or users on the page. Data is inserted directly for speed; every
 * measured request goes through HTTP with a real token.
 */

let server: TestServer;
let passwordHash: string;

beforeAll(async () => {
  server = await startTestServer();
  // A real hash to give inserted users (they never log in; only the viewers below do, over HTTP).
  const donor = await server.signUp('donor@example.com');
  const [row] = await server.database.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.email, donor.email));
  passwordHash = row.passwordHash;
});
afterAll(() => server?.close());

let serial = 0;

async function insertUsers(n: number, prefix: string): Promise<{ id: string; email: string }[]> {
  const rows = Array.from({ length: n }, () => ({ email: `${prefix}-${++serial}@example.com`, fullName: `User ${serial}`, passwordHash }));
  return server.database.db.insert(users).values(rows).returning({ id: users.id, email: users.email });
}

/** Inserts teams in one statement, each owned by its `ownerId` and with its other users as MEMBERs. */
async function insertTeams(specs: { ownerId: string; memberIds: string[] }[]): Promise<{ id: string; slug: string }[]> {
  const names = specs.map(() => String(++serial).padStart(4, '0'));
  const created = await server.database.db
    .insert(teams)
    .values(names.map((n) => ({ slug: `team-${n}`, name: `Team ${n}` })))
    .returning({ id: teams.id, slug: teams.slug });
  await server.database.db
    .insert(memberships)
    .values(
      specs.flatMap((spec, i) => [
        { teamId: created[i].id, userId: spec.ownerId, role: 'OWNER' as const },
        ...spec.memberIds.map((userId) => ({ teamId: created[i].id, userId, role: 'MEMBER' as const })),
      ]),
    );
  return created;
}

// Measured and asserted exactly. users { teams }: authenticate, the page of users, the teams of
// every user on the page. viewer { teams { members { user } } }: authenticate, the viewer's
// teams, the members of every team on the page, the users behind those memberships.
const ADMIN_USERS_STATEMENTS = 3;
const VIEWER_TEAMS_STATEMENTS = 4;

describe('the platform admin’s users { teams }', () => {
  const query = (extra = '', teamsExtra = '') =>
    `{ users(first: 50) { ${extra} nodes { email teams(first: 10) { ${teamsExtra} nodes { slug } } } } }`;
  let admin: string;
  beforeAll(async () => {
    admin = await server.adminToken();
  });

  /** Users who each own one team and are members of a team of the previous user. */
  async function usersWithTeams(n: number): Promise<void> {
    const created = await insertUsers(n, 'cohort');
    const owned = await insertTeams(created.map((u) => ({ ownerId: u.id, memberIds: [] })));
    // Each user also joins the previous user's team, so each has two teams.
    await server.database.db
      .insert(memberships)
      .values(created.map((u, i) => ({ teamId: owned[(i + n - 1) % n].id, userId: u.id, role: 'MEMBER' as const })));
  }

  it('issues the same constant number of statements for 2 and for 20 users with teams', async () => {
    await usersWithTeams(2);
    const small = await server.gql(query(), {}, admin);
    // The admin, the donor and the 2 new users.
    expect(ok(small).users.nodes).toHaveLength(4);
    expect(small.body.data.users.nodes.filter((u: any) => u.teams.nodes.length === 2)).toHaveLength(2);

    await usersWithTeams(18);
    const large = await server.gql(query(), {}, admin);
    expect(ok(large).users.nodes).toHaveLength(22);
    expect(large.body.data.users.nodes.filter((u: any) => u.teams.nodes.length === 2)).toHaveLength(20);

    expect(small.statements).toBe(ADMIN_USERS_STATEMENTS);
    expect(large.statements).toBe(ADMIN_USERS_STATEMENTS);
  });

  it('adds one statement for the root totalCount; a nested totalCount comes with its page', async () => {
    const base = await server.gql(query(), {}, admin);
    const rootCount = await server.gql(query('totalCount'), {}, admin);
    const nestedCount = await server.gql(query('', 'totalCount'), {}, admin);
    const both = await server.gql(query('totalCount', 'totalCount'), {}, admin);
    expect(ok(rootCount).users.totalCount).toBe(22);
    expect(ok(nestedCount).users.nodes.filter((u: any) => u.teams.totalCount === 2)).toHaveLength(20);
    ok(both);
    expect([base.statements, rootCount.statements, nestedCount.statements, both.statements]).toEqual([
      ADMIN_USERS_STATEMENTS,
      ADMIN_USERS_STATEMENTS + 1,
      ADMIN_USERS_STATEMENTS,
      ADMIN_USERS_STATEMENTS + 1,
    ]);
  });
});

describe('viewer { teams { members { user } } }', () => {
  const query = (teamsExtra = '', membersExtra = '') =>
    `{ viewer { teams(first: 20) { ${teamsExtra} nodes { members(first: 20) { ${membersExtra} nodes { user { email } } } } } } }`;

  /** A viewer (signed up over HTTP) who is a MEMBER of `n` teams, each with an owner and two more members. */
  async function viewerInTeams(n: number, email: string) {
    const viewer = await server.signUp(email);
    const [{ id: viewerId }] = await server.database.db.select({ id: users.id }).from(users).where(eq(users.email, email));
    const others = await insertUsers(3 * n, 'co');
    await insertTeams(
      Array.from({ length: n }, (_, i) => {
        const [owner, a, b] = others.slice(3 * i, 3 * i + 3);
        return { ownerId: owner.id, memberIds: [a.id, viewerId, b.id] };
      }),
    );
    return viewer;
  }

  let small: { token: string };
  let large: { token: string };
  beforeAll(async () => {
    small = await viewerInTeams(2, 'small@example.com');
    large = await viewerInTeams(20, 'large@example.com');
  });

  it('issues the same constant number of statements for a user in 2 teams and in 20 teams', async () => {
    const a = await server.gql(query(), {}, small.token);
    const b = await server.gql(query(), {}, large.token);
    const teamsA = ok(a).viewer.teams.nodes;
    const teamsB = ok(b).viewer.teams.nodes;
    expect(teamsA).toHaveLength(2);
    expect(teamsB).toHaveLength(20);
    for (const t of [...teamsA, ...teamsB]) expect(t.members.nodes).toHaveLength(4);
    expect(teamsA.flatMap((t: any) => t.members.nodes.map((m: any) => m.user.email))).toContain('small@example.com');
    expect(a.statements).toBe(VIEWER_TEAMS_STATEMENTS);
    expect(b.statements).toBe(VIEWER_TEAMS_STATEMENTS);
  });

  it('does not grow with the page size', async () => {
    const one = await server.gql(
      `{ viewer { teams(first: 1) { nodes { members(first: 1) { nodes { user { email } } } } } } }`,
      {},
      large.token,
    );
    expect(ok(one).viewer.teams.nodes).toHaveLength(1);
    expect(one.statements).toBe(VIEWER_TEAMS_STATEMENTS);
  });

  it('counts nested lists in their page statement: totalCount adds none', async () => {
    for (const viewer of [small, large]) {
      const teamsCount = await server.gql(query('totalCount'), {}, viewer.token);
      const membersCount = await server.gql(query('', 'totalCount'), {}, viewer.token);
      const both = await server.gql(query('totalCount', 'totalCount'), {}, viewer.token);
      ok(teamsCount);
      const counted = ok(both).viewer.teams;
      expect(counted.totalCount).toBe(viewer === small ? 2 : 20);
      expect(new Set(counted.nodes.map((t: any) => t.members.totalCount))).toEqual(new Set([4]));
      ok(membersCount);
      expect([teamsCount.statements, membersCount.statements, both.statements]).toEqual([
        VIEWER_TEAMS_STATEMENTS,
        VIEWER_TEAMS_STATEMENTS,
        VIEWER_TEAMS_STATEMENTS,
      ]);
    }
  });

  it('counts a nested list past a cursor with one statement of its own, the whole list still', async () => {
    const first = ok(await server.gql(`{ viewer { teams(first: 5) { pageInfo { endCursor } } } }`, {}, large.token));
    const after = first.viewer.teams.pageInfo.endCursor;
    const r = await server.gql(
      `query($after: String) { viewer { teams(first: 5, after: $after) { totalCount nodes { slug } } } }`,
      { after },
      large.token,
    );
    expect(ok(r).viewer.teams.totalCount).toBe(20);
    expect(ok(r).viewer.teams.nodes).toHaveLength(5);
    expect(r.statements).toBe(3);
  });
});

describe('team(slug:) { owner members { user } }', () => {
  it('issues 5 statements every time: the owner comes with its user in one join, not a batch a tick later', async () => {
    const [owner, ...members] = await insertUsers(8, 'owned');
    const [team] = await insertTeams([{ ownerId: owner.id, memberIds: members.map((m) => m.id) }]);
    const viewer = await server.signUp('owner-viewer@example.com');
    const [viewerRow] = await server.database.db.select({ id: users.id }).from(users).where(eq(users.email, viewer.email));
    await server.database.db.insert(memberships).values({ teamId: team.id, userId: viewerRow.id, role: 'VIEWER' });
    const query = `query($slug: String!) { team(slug: $slug) { name owner { email } members(first: 50) { nodes { role user { email } } } } }`;
    // Authenticate, the team, its owner (with the user), the members, the users behind them.
    for (let round = 0; round < 5; round++) {
      const r = await server.gql(query, { slug: team.slug }, viewer.token);
      expect(ok(r).team.owner).toEqual({ email: owner.email });
      expect(r.statements).toBe(5);
    }
  });
});
