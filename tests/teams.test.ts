import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, bucketUsage } from '../src/db/schema/index.js';
import { startTestServer, type GqlResult, type TestServer } from './support/server.js';
import { dbId, errorsOf, USER_ERRORS } from './support/api.js';

let server: TestServer;
let adminToken: string;

type User = { token: string; id: string; email: string };
/** A team with a role for each of its non-owner members; reused by the update/delete tests. */
let owner: User;
let admin: User;
let member: User;
let viewer: User;
let outsider: User;

beforeAll(async () => {
  server = await startTestServer();
  adminToken = await server.adminToken();
  [owner, admin, member, viewer, outsider] = await Promise.all(
    ['owner', 'admin', 'member', 'viewer', 'outsider'].map((n) =>
      server.signUp(`${n}@teams.test`, `${n[0].toUpperCase()}${n.slice(1)} Person`),
    ),
  );
});
afterAll(() => server.close());

const CREATE = `mutation($input: CreateTeamInput!) {
  createTeam(input: $input) { team { id slug name } ${USER_ERRORS} }
}`;
const UPDATE = `mutation($input: UpdateTeamInput!) {
  updateTeam(input: $input) { team { id slug name description tags } ${USER_ERRORS} }
}`;
const DELETE = `mutation($input: DeleteTeamInput!) {
  deleteTeam(input: $input) { deletedTeamId ${USER_ERRORS} }
}`;

async function createTeam(token: string, input: Record<string, unknown>) {
  return server.gql(CREATE, { input }, token);
}

/** Creates a team and fails loudly when it could not. */
async function newTeam(token: string, slug: string, extra: Record<string, unknown> = {}): Promise<{ id: string; slug: string }> {
  const r = await createTeam(token, { slug, name: slug, ...extra });
  const team = r.body.data?.createTeam?.team;
  if (!team) throw new Error(`createTeam ${slug} failed: ${JSON.stringify(r.body)}`);
  return team;
}

/** Invites `user` with `role` and has them accept: a member through the real flow. */
async function addMember(teamId: string, managerToken: string, user: User, role: 'ADMIN' | 'MEMBER' | 'VIEWER') {
  const invite = await server.gql(
    `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id } ${USER_ERRORS} } }`,
    { input: { teamId, email: user.email, role } },
    managerToken,
  );
  expect(invite.body.data?.inviteMember.userErrors).toEqual([]);
  const token = (await server.deliveredMail()).tokenFor(user.email, 'invitation');
  const accept = await server.gql(
    `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { membership { role } ${USER_ERRORS} } }`,
    { input: { token } },
    user.token,
  );
  expect(accept.body.data?.acceptInvitation).toEqual({ membership: { role }, userErrors: [] });
}

async function setTeamLimit(userId: string, teamLimit: number) {
  const r = await server.gql(
    `mutation($input: AdminUpdateUserInput!) { adminUpdateUser(input: $input) { user { teamLimit } ${USER_ERRORS} } }`,
    { input: { userId, teamLimit } },
    adminToken,
  );
  expect(r.body).toEqual({ data: { adminUpdateUser: { user: { teamLimit }, userErrors: [] } } });
}

describe('createTeam', () => {
  it('creates a team whose creator is its OWNER', async () => {
    const r = await server.gql(
      `mutation($input: CreateTeamInput!) {
        createTeam(input: $input) {
          team {
            slug name description tags viewerRole
            owner { email }
            members { totalCount nodes { role notification options user { email } } }
          }
          ${USER_ERRORS}
        }
      }`,
      { input: { slug: 'alpha', name: '  Alpha Team ', description: 'The first one', tags: ['prod', 'eu'] } },
      owner.token,
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      data: {
        createTeam: {
          team: {
            slug: 'alpha',
            name: 'Alpha Team',
            description: 'The first one',
            tags: ['prod', 'eu'],
            viewerRole: 'OWNER',
            owner: { email: owner.email },
            members: { totalCount: 1, nodes: [{ role: 'OWNER', notification: 'EMAIL', options: {}, user: { email: owner.email } }] },
          },
          userErrors: [],
        },
      },
    });
    // It is there afterwards, by slug.
    const read = await server.gql(`{ team(slug: "alpha") { name viewerRole } }`, {}, owner.token);
    expect(read.body).toEqual({ data: { team: { name: 'Alpha Team', viewerRole: 'OWNER' } } });
  });

  it('accepts slugs of 2 and 63 characters, digits first and inner hyphens', async () => {
    const user = await server.signUp('slugs@teams.test');
    for (const slug of ['ab', '9-lives', 'a'.repeat(63)]) {
      const r = await createTeam(user.token, { slug, name: 'Slug test' });
      expect(r.body.data.createTeam).toEqual({ team: { id: expect.any(String), slug, name: 'Slug test' }, userErrors: [] });
    }
  });

  it.each([
    ['a one-letter slug', { slug: 'a' }, ['input', 'slug'], 'INVALID'],
    ['an upper-case slug', { slug: 'A' }, ['input', 'slug'], 'INVALID'],
    ['a slug starting with a hyphen', { slug: '-x' }, ['input', 'slug'], 'INVALID'],
    ['a 64-character slug', { slug: 'a'.repeat(64) }, ['input', 'slug'], 'INVALID'],
    ['a slug with other characters', { slug: 'my_team' }, ['input', 'slug'], 'INVALID'],
    ['an empty slug', { slug: '' }, ['input', 'slug'], 'INVALID'],
    ['an empty name', { name: '' }, ['input', 'name'], 'REQUIRED'],
    ['a blank name', { name: '   ' }, ['input', 'name'], 'REQUIRED'],
    ['a 101-character name', { name: 'n'.repeat(101) }, ['input', 'name'], 'TOO_LONG'],
    ['a 1001-character description', { description: 'd'.repeat(1001) }, ['input', 'description'], 'TOO_LONG'],
    ['21 tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, ['input', 'tags'], 'TOO_LONG'],
    ['a 51-character tag', { tags: ['ok', 't'.repeat(51)] }, ['input', 'tags', '1'], 'TOO_LONG'],
    ['an empty tag', { tags: [''] }, ['input', 'tags', '0'], 'REQUIRED'],
  ])('refuses %s with a userError naming the field', async (_what, change, field, code) => {
    const r = await createTeam(outsider.token, { slug: 'valid-slug', name: 'Valid', ...change });
    expect(r.body.data.createTeam.team).toBeNull();
    expect(r.body.data.createTeam.userErrors).toEqual([{ field, code, message: expect.stringContaining(field[1]) }]);
    // Nothing was created.
    const teams = await server.gql(`{ teams { totalCount } }`, {}, outsider.token);
    expect(teams.body).toEqual({ data: { teams: { totalCount: 0 } } });
  });

  it('gives the exact messages for slug, name and tags problems together', async () => {
    const r = await createTeam(outsider.token, { slug: 'A', name: '', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) });
    expect(r.body).toEqual({
      data: {
        createTeam: {
          team: null,
          userErrors: [
            {
              field: ['input', 'slug'],
              code: 'INVALID',
              message: 'slug must be 2–63 lowercase letters, digits or hyphens, starting with a letter or digit',
            },
            { field: ['input', 'name'], code: 'REQUIRED', message: 'name must not be empty' },
            { field: ['input', 'tags'], code: 'TOO_LONG', message: 'tags must have at most 20 tags' },
          ],
        },
      },
    });
  });

  it('refuses a slug that is taken, by anyone', async () => {
    await newTeam(owner.token, 'taken-slug');
    for (const token of [owner.token, outsider.token]) {
      const r = await createTeam(token, { slug: 'taken-slug', name: 'Again' });
      expect(r.body).toEqual({
        data: {
          createTeam: {
            team: null,
            userErrors: [{ field: ['input', 'slug'], code: 'TAKEN', message: 'slug "taken-slug" is already taken; choose another.' }],
          },
        },
      });
    }
  });

  it('refuses wrong types and missing fields as GraphQL validation errors', async () => {
    const wrongType = await createTeam(outsider.token, { slug: 12, name: 'x' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(wrongType.body.errors?.[0].message).toMatch(/slug/);
    const missing = await createTeam(outsider.token, { slug: 'no-name' });
    expect(missing.status).toBe(400);
    expect(missing.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(missing.body.errors?.[0].message).toMatch(/name/);
  });

  it('requires authentication', async () => {
    const r = await createTeam('', { slug: 'anon', name: 'Anon' });
    expect(errorsOf(r)).toEqual([
      {
        message: 'Authentication required: send Authorization: Bearer <token>.',
        path: ['createTeam'],
        extensions: { code: 'UNAUTHENTICATED' },
      },
    ]);
    expect(r.body.data).toBeNull();
  });
});

describe('teamLimit', () => {
  it('refuses the N+1-th team with LIMIT_REACHED', async () => {
    const user = await server.signUp('limit2@teams.test');
    await setTeamLimit(user.id, 2);
    await newTeam(user.token, 'limit-one');
    await newTeam(user.token, 'limit-two');
    const r = await createTeam(user.token, { slug: 'limit-three', name: 'Three' });
    expect(r.body).toEqual({
      data: {
        createTeam: {
          team: null,
          userErrors: [
            { field: null, code: 'LIMIT_REACHED', message: 'You already own 2 teams, your limit; delete one or ask an admin to raise it.' },
          ],
        },
      },
    });
    // Being a mere member of other teams does not count against the limit.
    const other = await newTeam(owner.token, 'limit-other');
    await addMember(other.id, owner.token, user, 'MEMBER');
    await setTeamLimit(user.id, 3);
    expect((await createTeam(user.token, { slug: 'limit-three', name: 'Three' })).body.data.createTeam.userErrors).toEqual([]);
  });

  it('holds under 20 concurrent createTeam calls against a limit of 5', async () => {
    const user = await server.signUp('race@teams.test');
    await setTeamLimit(user.id, 5);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createTeam(user.token, { slug: `race-${i}`, name: `Race ${i}` })),
    );
    for (const r of results) expect(r.status).toBe(200);
    const payloads = results.map((r) => r.body.data.createTeam);
    const created = payloads.filter((p) => p.team !== null);
    const refused = payloads.filter((p) => p.team === null);
    expect(created).toHaveLength(5);
    for (const p of created) expect(p.userErrors).toEqual([]);
    expect(refused).toHaveLength(15);
    for (const p of refused) expect(p.userErrors).toEqual([{ field: null, code: 'LIMIT_REACHED', message: expect.any(String) }]);

    const teams = await server.gql(`{ teams { totalCount nodes { slug viewerRole } } }`, {}, user.token);
    expect(teams.body.data.teams.totalCount).toBe(5);
    expect(teams.body.data.teams.nodes.map((t: { slug: string }) => t.slug).sort()).toEqual(created.map((p) => p.team.slug).sort());
    for (const t of teams.body.data.teams.nodes) expect(t.viewerRole).toBe('OWNER');
  });
});

describe('updateTeam', () => {
  let team: { id: string; slug: string };
  beforeAll(async () => {
    team = await newTeam(owner.token, 'crew', { description: 'before', tags: ['a'] });
    await addMember(team.id, owner.token, admin, 'ADMIN');
    await addMember(team.id, owner.token, member, 'MEMBER');
    await addMember(team.id, owner.token, viewer, 'VIEWER');
  });

  it('lets an ADMIN member change name, description, tags and slug', async () => {
    const r = await server.gql(
      UPDATE,
      { input: { teamId: team.id, name: 'The Crew', description: 'after', tags: ['b', 'c'], slug: 'the-crew' } },
      admin.token,
    );
    expect(r.body).toEqual({
      data: {
        updateTeam: { team: { id: team.id, slug: 'the-crew', name: 'The Crew', description: 'after', tags: ['b', 'c'] }, userErrors: [] },
      },
    });
    // Omitted fields stay; the owner sees the change under the new slug, and the old slug is gone.
    const partial = await server.gql(UPDATE, { input: { teamId: team.id, description: 'again' } }, owner.token);
    expect(partial.body.data.updateTeam).toEqual({
      team: { id: team.id, slug: 'the-crew', name: 'The Crew', description: 'again', tags: ['b', 'c'] },
      userErrors: [],
    });
    const old = await server.gql(`{ team(slug: "crew") { id } }`, {}, owner.token);
    expect(errorsOf(old)).toEqual([{ message: 'Team "crew" not found.', path: ['team'], extensions: { code: 'NOT_FOUND' } }]);
    team.slug = 'the-crew';
  });

  it.each(['member', 'viewer'] as const)('refuses a %s with FORBIDDEN', async (who) => {
    const token = (who === 'member' ? member : viewer).token;
    const r = await server.gql(UPDATE, { input: { teamId: team.id, name: 'Hijacked' } }, token);
    expect(errorsOf(r)).toEqual([
      { message: 'You need the team:update permission to update this team.', path: ['updateTeam'], extensions: { code: 'FORBIDDEN' } },
    ]);
    expect(r.body.data).toBeNull();
  });

  it('answers NOT_FOUND to a non-member, for an existing and an unknown team alike', async () => {
    const existing = await server.gql(UPDATE, { input: { teamId: team.id, name: 'Hijacked' } }, outsider.token);
    const unknown = await server.gql(
      UPDATE,
      { input: { teamId: Buffer.from('Team:00000000-0000-4000-8000-000000000000').toString('base64url'), name: 'x' } },
      outsider.token,
    );
    for (const r of [existing, unknown])
      expect(errorsOf(r)).toEqual([{ message: 'Team not found.', path: ['updateTeam'], extensions: { code: 'NOT_FOUND' } }]);
    const still = await server.gql(`{ team(slug: "${team.slug}") { name } }`, {}, owner.token);
    expect(still.body.data.team.name).toBe('The Crew');
  });

  it('refuses a taken slug, and accepts keeping its own slug', async () => {
    await newTeam(owner.token, 'other-crew');
    const r = await server.gql(UPDATE, { input: { teamId: team.id, slug: 'other-crew' } }, admin.token);
    expect(r.body.data.updateTeam).toEqual({
      team: null,
      userErrors: [{ field: ['input', 'slug'], code: 'TAKEN', message: 'slug "other-crew" is already taken; choose another.' }],
    });
    const same = await server.gql(UPDATE, { input: { teamId: team.id, slug: team.slug } }, admin.token);
    expect(same.body.data.updateTeam.userErrors).toEqual([]);
  });

  it('refuses bad input with userErrors naming the field', async () => {
    const r = await server.gql(UPDATE, { input: { teamId: team.id, name: '', slug: 'Bad Slug', tags: Array(21).fill('x') } }, owner.token);
    expect(r.body.data.updateTeam.team).toBeNull();
    expect(r.body.data.updateTeam.userErrors.map((e: { field: string[]; code: string }) => [e.field, e.code])).toEqual([
      [['input', 'slug'], 'INVALID'],
      [['input', 'name'], 'REQUIRED'],
      [['input', 'tags'], 'TOO_LONG'],
    ]);
  });

  it('refuses an ID of another type or a malformed ID with BAD_USER_INPUT', async () => {
    for (const teamId of [owner.id, 'not-an-id']) {
      const r = await server.gql(UPDATE, { input: { teamId, name: 'x' } }, owner.token);
      expect(errorsOf(r)).toEqual([
        { message: 'teamId: expected the ID of a Team.', path: ['updateTeam'], extensions: { code: 'BAD_USER_INPUT', field: 'teamId' } },
      ]);
    }
  });
});

describe('deleteTeam', () => {
  let team: { id: string; slug: string };
  beforeAll(async () => {
    team = await newTeam(owner.token, 'doomed');
    await addMember(team.id, owner.token, admin, 'ADMIN');
  });

  it('refuses an ADMIN with FORBIDDEN and a non-member with NOT_FOUND', async () => {
    const byAdmin = await server.gql(DELETE, { input: { teamId: team.id } }, admin.token);
    expect(errorsOf(byAdmin)).toEqual([
      { message: 'You need the team:delete permission to delete this team.', path: ['deleteTeam'], extensions: { code: 'FORBIDDEN' } },
    ]);
    const byOutsider = await server.gql(DELETE, { input: { teamId: team.id } }, outsider.token);
    expect(errorsOf(byOutsider)).toEqual([{ message: 'Team not found.', path: ['deleteTeam'], extensions: { code: 'NOT_FOUND' } }]);
    expect((await server.gql(`{ team(slug: "doomed") { slug } }`, {}, owner.token)).body).toEqual({ data: { team: { slug: 'doomed' } } });
  });

  it('is refused with IN_USE while the team owns a bucket', async () => {
    const guarded = await newTeam(owner.token, 'has-bucket');
    const { db } = server.database;
    const [bucket] = await db
      .insert(buckets)
      .values({ teamId: dbId(guarded.id), name: 'photos', region: 'eu-west-1' })
      .returning();
    const r = await server.gql(DELETE, { input: { teamId: guarded.id } }, owner.token);
    expect(r.body).toEqual({
      data: {
        deleteTeam: {
          deletedTeamId: null,
          userErrors: [{ field: ['input', 'teamId'], code: 'IN_USE', message: expect.stringMatching(/^The team still owns 1 bucket/) }],
        },
      },
    });
    expect((await server.gql(`{ team(slug: "has-bucket") { slug } }`, {}, owner.token)).body).toEqual({
      data: { team: { slug: 'has-bucket' } },
    });
    expect(bucket.name).toBe('photos');
  });

  it('is refused with IN_USE while the team has bucket usage this month, and allowed with only older usage', async () => {
    const guarded = await newTeam(owner.token, 'has-usage');
    const teamId = dbId(guarded.id);
    const { db } = server.database;
    const today = new Date().toISOString().slice(0, 10);
    const [usage] = await db
      .insert(bucketUsage)
      .values({ teamId, day: today, storedBytes: 10n, egressBytes: 5n, objectCount: 1n })
      .returning();
    const r = await server.gql(DELETE, { input: { teamId: guarded.id } }, owner.token);
    expect(r.body).toEqual({
      data: {
        deleteTeam: {
          deletedTeamId: null,
          userErrors: [
            {
              field: ['input', 'teamId'],
              code: 'IN_USE',
              message: 'The team has bucket usage this month; it can be deleted once the month is over and its usage is billed.',
            },
          ],
        },
      },
    });
    // Move the usage to the last day of the previous month: the guard no longer applies.
    const lastMonth = new Date();
    lastMonth.setUTCDate(0);
    await db
      .update(bucketUsage)
      .set({ day: lastMonth.toISOString().slice(0, 10) })
      .where(eq(bucketUsage.id, usage.id));
    const again = await server.gql(DELETE, { input: { teamId: guarded.id } }, owner.token);
    expect(again.body).toEqual({ data: { deleteTeam: { deletedTeamId: guarded.id, userErrors: [] } } });
  });

  it('lets the OWNER delete the team; it is gone for every member', async () => {
    const r = await server.gql(DELETE, { input: { teamId: team.id } }, owner.token);
    expect(r.body).toEqual({ data: { deleteTeam: { deletedTeamId: team.id, userErrors: [] } } });
    for (const token of [owner.token, admin.token, adminToken]) {
      const gone = await server.gql(`{ team(slug: "doomed") { slug } }`, {}, token);
      expect(errorsOf(gone)).toEqual([{ message: 'Team "doomed" not found.', path: ['team'], extensions: { code: 'NOT_FOUND' } }]);
      const node = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: team.id }, token);
      expect(node.body.data?.node ?? null).toBeNull();
    }
    const again = await server.gql(DELETE, { input: { teamId: team.id } }, owner.token);
    expect(errorsOf(again)).toEqual([{ message: 'Team not found.', path: ['deleteTeam'], extensions: { code: 'NOT_FOUND' } }]);
    // The slug is free again.
    expect((await createTeam(owner.token, { slug: 'doomed', name: 'Reborn' })).body.data.createTeam.userErrors).toEqual([]);
  });
});

describe('team(slug:)', () => {
  it('answers NOT_FOUND for an unknown slug and for a team the viewer cannot read', async () => {
    await newTeam(owner.token, 'private-team');
    for (const slug of ['no-such-team', 'private-team']) {
      const r = await server.gql(`query($slug: String!) { team(slug: $slug) { id } }`, { slug }, outsider.token);
      expect(r.body).toEqual({
        data: { team: null },
        errors: [{ message: `Team "${slug}" not found.`, locations: expect.any(Array), path: ['team'], extensions: { code: 'NOT_FOUND' } }],
      });
    }
  });

  it('requires authentication', async () => {
    const r = await server.gql(`{ team(slug: "alpha") { id } }`);
    expect(errorsOf(r)).toEqual([
      { message: 'Authentication required: send Authorization: Bearer <token>.', path: ['team'], extensions: { code: 'UNAUTHENTICATED' } },
    ]);
  });

  it('lets a platform admin read any team, with no viewerRole', async () => {
    const r = await server.gql(`{ team(slug: "alpha") { slug viewerRole owner { email } } }`, {}, adminToken);
    expect(r.body).toEqual({ data: { team: { slug: 'alpha', viewerRole: null, owner: { email: owner.email } } } });
  });
});

describe('teams connection', () => {
  let lister: User;
  beforeAll(async () => {
    lister = await server.signUp('lister@teams.test');
    // Created out of name order, so that name and creation order differ.
    await newTeam(lister.token, 'list-charlie', { name: 'Charlie', tags: ['blue'] });
    await newTeam(lister.token, 'list-alpha', { name: 'Alpha', tags: ['red', 'blue'] });
    await newTeam(lister.token, 'list-bravo', { name: 'Bravo', tags: ['red'] });
  });

  const names = (r: GqlResult) => r.body.data.teams.nodes.map((t: { name: string }) => t.name);

  it('orders by NAME ascending by default and lists only readable teams', async () => {
    const r = await server.gql(`{ teams { totalCount nodes { name } } }`, {}, lister.token);
    expect(r.body).toEqual({ data: { teams: { totalCount: 3, nodes: [{ name: 'Alpha' }, { name: 'Bravo' }, { name: 'Charlie' }] } } });
  });

  it('orders by CREATED_AT DESC, and by NAME DESC', async () => {
    const created = await server.gql(`{ teams(orderBy: { field: CREATED_AT, direction: DESC }) { nodes { name } } }`, {}, lister.token);
    expect(names(created)).toEqual(['Bravo', 'Alpha', 'Charlie']);
    const byNameDesc = await server.gql(`{ teams(orderBy: { field: NAME, direction: DESC }) { nodes { name } } }`, {}, lister.token);
    expect(names(byNameDesc)).toEqual(['Charlie', 'Bravo', 'Alpha']);
  });

  it('pages with first/after in order', async () => {
    const q = `query($after: String) { teams(first: 2, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } }`;
    const first = await server.gql(q, {}, lister.token);
    expect(names(first)).toEqual(['Alpha', 'Bravo']);
    expect(first.body.data.teams.pageInfo.hasNextPage).toBe(true);
    const second = await server.gql(q, { after: first.body.data.teams.pageInfo.endCursor }, lister.token);
    expect(names(second)).toEqual(['Charlie']);
    expect(second.body.data.teams.pageInfo.hasNextPage).toBe(false);
  });

  it('filters by search (name or slug, case-insensitive) and by tag', async () => {
    const search = async (filter: Record<string, string>) =>
      names(await server.gql(`query($filter: TeamFilter) { teams(filter: $filter) { nodes { name } } }`, { filter }, lister.token));
    expect(await search({ search: 'ALP' })).toEqual(['Alpha']);
    expect(await search({ search: 'list-b' })).toEqual(['Bravo']);
    expect(await search({ search: 'list-' })).toEqual(['Alpha', 'Bravo', 'Charlie']);
    expect(await search({ search: '%' })).toEqual([]);
    expect(await search({ tag: 'red' })).toEqual(['Alpha', 'Bravo']);
    expect(await search({ tag: 'blue', search: 'char' })).toEqual(['Charlie']);
    expect(await search({ tag: 'green' })).toEqual([]);
  });

  it('lists every team for a platform admin', async () => {
    const mine = await server.gql(`{ teams(filter: { search: "list-" }) { totalCount } }`, {}, adminToken);
    expect(mine.body).toEqual({ data: { teams: { totalCount: 3 } } });
  });

  it('requires authentication', async () => {
    const r = await server.gql(`{ teams { totalCount } }`);
    expect(errorsOf(r)?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });
});

describe('Team fields', () => {
  it('limits has the default quotas, byte counts as BigInt strings', async () => {
    const r = await server.gql(
      `{ team(slug: "alpha") { limits { maxApps maxClusters maxBuckets maxMembers storageBytes bandwidthBytes rateLimit } } }`,
      {},
      owner.token,
    );
    expect(r.body).toEqual({
      data: {
        team: {
          limits: {
            maxApps: 20,
            maxClusters: 5,
            maxBuckets: 100,
            maxMembers: 50,
            storageBytes: '1099511627776',
            bandwidthBytes: '1099511627776',
            rateLimit: 100,
          },
        },
      },
    });
  });

  it('owner is the OWNER member, seen alike by the owner and by a member', async () => {
    const team = await newTeam(owner.token, 'owned-by');
    await addMember(team.id, owner.token, member, 'MEMBER');
    for (const token of [owner.token, member.token]) {
      const r = await server.gql(`{ team(slug: "owned-by") { owner { id email fullName } } }`, {}, token);
      expect(r.body).toEqual({ data: { team: { owner: { id: owner.id, email: owner.email, fullName: 'Owner Person' } } } });
    }
    const roles = await server.gql(`{ team(slug: "owned-by") { viewerRole } }`, {}, member.token);
    expect(roles.body).toEqual({ data: { team: { viewerRole: 'MEMBER' } } });
  });
});
