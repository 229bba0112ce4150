import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/graphql/relay.js';
import { startTestServer, type TestServer } from './support/server.js';
import { codes, okResult as ok } from './support/api.js';

/**
 * Tenant isolation (issue 2, section 8): two teams whose members must not see each other's team,
 * members, invitations or events through any path, nor change anything in the other team; a
 * platform admin sees both.
 */

type Account = { token: string; id: string; email: string };
interface Side {
  owner: Account;
  member: Account;
  slug: string;
  name: string;
  teamId: string;
  ownerMembershipId: string;
  memberMembershipId: string;
  bridgeMembershipId: string;
  pendingInvitationId: string;
  pendingEmail: string;
  eventIds: string[];
}

let server: TestServer;
let admin: string;
let bridge: Account;
let invitee: Account;
const sides: Record<'T1' | 'T2', Side> = {} as never;

async function mutate(name: string, input: Record<string, unknown>, token: string, selection = 'userErrors { field code message }') {
  const inputType = name[0].toUpperCase() + name.slice(1) + 'Input';
  return server.gql(`mutation($input: ${inputType}!) { ${name}(input: $input) { ${selection} } }`, { input }, token);
}

async function invite(teamId: string, email: string, role: string, token: string): Promise<string> {
  const r = await mutate('inviteMember', { teamId, email, role }, token, 'invitation { id } userErrors { field code message }');
  const p = ok(r).inviteMember;
  expect(p.userErrors).toEqual([]);
  return p.invitation.id;
}

async function join(email: string, token: string): Promise<void> {
  const mail = await server.deliveredMail();
  const r = await mutate('acceptInvitation', { token: mail.tokenFor(email, 'invitation') }, token);
  expect(ok(r).acceptInvitation.userErrors).toEqual([]);
}

/** What the platform admin sees of a team: used to show that refused mutations changed nothing. */
async function snapshot(slug: string) {
  return ok(
    await server.gql(
      `query($slug: String!) { team(slug: $slug) {
        id slug name description tags
        members(first: 100) { nodes { id role notification options user { email } } }
        invitations(first: 100) { nodes { id email role status } }
        events(first: 100) { totalCount }
      } }`,
      { slug },
      admin,
    ),
  ).team;
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.adminToken();
  bridge = await server.signUp('bridge@example.com', 'Bridge Both');
  invitee = await server.signUp('invitee2@example.com', 'Invitee Two');
  for (const [key, k] of [
    ['T1', 1],
    ['T2', 2],
  ] as const) {
    const owner = await server.signUp(`owner${k}@example.com`, `Owner ${k}`);
    const member = await server.signUp(`member${k}@example.com`, `Member ${k}`);
    const slug = `team-${k}`;
    const name = `Team ${k}`;
    const created = ok(
      await mutate(
        'createTeam',
        { slug, name, description: `the ${k} team` },
        owner.token,
        'team { id } userErrors { field code message }',
      ),
    ).createTeam;
    expect(created.userErrors).toEqual([]);
    const teamId = created.team.id as string;
    await invite(teamId, member.email, 'MEMBER', owner.token);
    await join(member.email, member.token);
    await invite(teamId, bridge.email, 'VIEWER', owner.token);
    await join(bridge.email, bridge.token);
    const pendingEmail = `invitee${k}@example.com`;
    const pendingInvitationId = await invite(teamId, pendingEmail, 'VIEWER', owner.token);
    // One more audited change, by the member this time.
    expect(ok(await mutate('setMemberNotification', { teamId, state: 'NONE' }, member.token)).setMemberNotification.userErrors).toEqual([]);

    const team = ok(
      await server.gql(
        `query($slug: String!) { team(slug: $slug) {
          members(first: 10) { nodes { id user { email } } }
          events(first: 100) { nodes { id kind } }
        } }`,
        { slug },
        owner.token,
      ),
    ).team;
    const membershipOf = (email: string) => team.members.nodes.find((m: any) => m.user.email === email).id as string;
    expect(team.events.nodes.map((e: any) => e.kind).sort()).toEqual([
      'team.create',
      'team.invitation.create',
      'team.invitation.create',
      'team.invitation.create',
      'team.member.join',
      'team.member.join',
      'team.member.notification',
    ]);
    sides[key] = {
      owner,
      member,
      slug,
      name,
      teamId,
      ownerMembershipId: membershipOf(owner.email),
      memberMembershipId: membershipOf(member.email),
      bridgeMembershipId: membershipOf(bridge.email),
      pendingInvitationId,
      pendingEmail,
      eventIds: team.events.nodes.map((e: any) => e.id),
    };
  }
});
afterAll(() => server?.close());

/** Every ID of a side that an outsider must not be able to resolve. */
const privateIds = (s: Side) => [
  s.teamId,
  s.ownerMembershipId,
  s.memberMembershipId,
  s.bridgeMembershipId,
  s.pendingInvitationId,
  ...s.eventIds,
];

for (const [mine, theirs] of [
  ['T1', 'T2'],
  ['T2', 'T1'],
] as const) {
  describe(`a member of ${mine} looking at ${theirs}`, () => {
    const own = () => sides[mine];
    const other = () => sides[theirs];
    const viewers = () =>
      [
        ['owner', own().owner],
        ['member', own().member],
      ] as const;

    it('gets NOT_FOUND from team(slug:), the same answer as for a slug that does not exist', async () => {
      for (const [, v] of viewers()) {
        const r = await server.gql(`query($slug: String!) { team(slug: $slug) { id name } }`, { slug: other().slug }, v.token);
        expect(r.body).toEqual({
          data: { team: null },
          errors: [
            expect.objectContaining({ message: `Team "${other().slug}" not found.`, path: ['team'], extensions: { code: 'NOT_FOUND' } }),
          ],
        });
        const missing = await server.gql(`query($slug: String!) { team(slug: $slug) { id name } }`, { slug: 'no-such-team' }, v.token);
        expect(missing.body.errors?.[0].extensions).toEqual({ code: 'NOT_FOUND' });
        // Their own team is there.
        const mineR = await server.gql(`query($slug: String!) { team(slug: $slug) { id name } }`, { slug: own().slug }, v.token);
        expect(ok(mineR)).toEqual({ team: { id: own().teamId, name: own().name } });
      }
    });

    it('does not find the team in the teams list, its totalCount, or any filter of it', async () => {
      for (const [, v] of viewers()) {
        const all = ok(await server.gql(`{ teams(first: 100) { totalCount nodes { slug } } }`, {}, v.token));
        expect(all).toEqual({ teams: { totalCount: 1, nodes: [{ slug: own().slug }] } });
        const searched = ok(
          await server.gql(
            `query($s: String) { teams(first: 100, filter: { search: $s }) { totalCount nodes { slug } } }`,
            { s: other().slug },
            v.token,
          ),
        );
        expect(searched).toEqual({ teams: { totalCount: 0, nodes: [] } });
        const bySlugDesc = ok(
          await server.gql(
            `{ teams(last: 100, orderBy: { field: SLUG, direction: DESC }) { totalCount edges { node { slug } } } }`,
            {},
            v.token,
          ),
        );
        expect(bySlugDesc).toEqual({ teams: { totalCount: 1, edges: [{ node: { slug: own().slug } }] } });
      }
    });

    it('gets NOT_FOUND from node(id:) for the team, its memberships, its invitation and its events', async () => {
      for (const [, v] of viewers()) {
        for (const id of privateIds(other())) {
          const r = await server.gql(`query($id: ID!) { node(id: $id) { __typename id } }`, { id }, v.token);
          expect(r.body).toEqual({
            data: { node: null },
            errors: [expect.objectContaining({ message: `Node ${id} not found.`, path: ['node'], extensions: { code: 'NOT_FOUND' } })],
          });
        }
      }
    });

    it('gets the same NOT_FOUND for another team’s IDs as for IDs that never existed', async () => {
      const v = own().member;
      const never = ['Team', 'Membership', 'Invitation', 'AuditEvent'].map((type) => toGlobalId(type, randomUUID()));
      for (const id of never) {
        const r = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, v.token);
        expect(r.body).toEqual({
          data: { node: null },
          errors: [expect.objectContaining({ message: `Node ${id} not found.`, path: ['node'], extensions: { code: 'NOT_FOUND' } })],
        });
      }
    });

    it('gets null items with NOT_FOUND errors from nodes(ids:), next to its own readable objects', async () => {
      for (const [, v] of viewers()) {
        const theirIds = privateIds(other());
        const ids = [own().teamId, ...theirIds, own().memberMembershipId];
        const r = await server.gql(
          `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Team { slug } ... on Membership { role } } }`,
          { ids },
          v.token,
        );
        expect(r.body.data).toEqual({
          nodes: [
            { __typename: 'Team', id: own().teamId, slug: own().slug },
            ...theirIds.map(() => null),
            { __typename: 'Membership', id: own().memberMembershipId, role: 'MEMBER' },
          ],
        });
        const errors = [...(r.body.errors ?? [])].sort((a, b) => (a.path![1] as number) - (b.path![1] as number));
        expect(errors).toEqual(
          theirIds.map((id, i) =>
            expect.objectContaining({ message: `Node ${id} not found.`, path: ['nodes', i + 1], extensions: { code: 'NOT_FOUND' } }),
          ),
        );
      }
    });

    it('sees only its own team through viewer { teams memberships invitations events }', async () => {
      for (const [role, v] of viewers()) {
        const data = ok(
          await server.gql(
            `{ viewer {
              email
              teams(first: 100) { totalCount nodes { slug } }
              memberships(first: 100) { totalCount nodes { id role team { slug } } }
              invitations(first: 100) { totalCount nodes { id } }
              events(first: 100) { nodes { id kind team { slug } } }
            } }`,
            {},
            v.token,
          ),
        );
        expect(data.viewer).toEqual({
          email: v.email,
          teams: { totalCount: 1, nodes: [{ slug: own().slug }] },
          memberships: {
            totalCount: 1,
            nodes: [
              {
                id: role === 'owner' ? own().ownerMembershipId : own().memberMembershipId,
                role: role === 'owner' ? 'OWNER' : 'MEMBER',
                team: { slug: own().slug },
              },
            ],
          },
          invitations: { totalCount: 0, nodes: [] },
          events: { nodes: expect.any(Array) },
        });
        const events = data.viewer.events.nodes as { id: string; team: { slug: string } | null }[];
        expect(events.length).toBeGreaterThan(0);
        for (const e of events) {
          expect(other().eventIds).not.toContain(e.id);
          expect([null, own().slug]).toContain(e.team?.slug ?? null);
        }
      }
    });

    it('sees none of the other team’s events in its own team’s events', async () => {
      for (const [, v] of viewers()) {
        const data = ok(
          await server.gql(
            `query($slug: String!) { team(slug: $slug) { events(first: 100) { totalCount nodes { id team { slug } } } } }`,
            { slug: own().slug },
            v.token,
          ),
        );
        expect(data.team.events.totalCount).toBe(own().eventIds.length);
        expect(data.team.events.nodes.map((e: any) => e.id).sort()).toEqual([...own().eventIds].sort());
        expect(new Set(data.team.events.nodes.map((e: any) => e.team.slug))).toEqual(new Set([own().slug]));
      }
    });

    it('is refused user(email:) and users with FORBIDDEN, whether the email exists or not', async () => {
      for (const [, v] of viewers()) {
        for (const email of [other().owner.email, other().member.email, v.email, 'nobody@example.com']) {
          const r = await server.gql(`query($email: String!) { user(email: $email) { id teams { nodes { slug } } } }`, { email }, v.token);
          expect(r.body.data).toEqual({ user: null });
          expect(codes(r)).toEqual(['FORBIDDEN']);
        }
        const list = await server.gql(`{ users(first: 10) { nodes { email } } }`, {}, v.token);
        expect(list.body.data).toEqual({ users: null });
        expect(codes(list)).toEqual(['FORBIDDEN']);
      }
    });

    it('gets NOT_FOUND for the users of the other team, and reads its co-members', async () => {
      for (const [, v] of viewers()) {
        for (const u of [other().owner, other().member]) {
          const r = await server.gql(`query($id: ID!) { node(id: $id) { id ... on User { email } } }`, { id: u.id }, v.token);
          expect(r.body.data).toEqual({ node: null });
          expect(codes(r)).toEqual(['NOT_FOUND']);
        }
        const coMembers = [own().owner, own().member, bridge].filter((u) => u.id !== v.id);
        const r = await server.gql(
          `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { email } } }`,
          { ids: [...coMembers.map((u) => u.id), other().owner.id] },
          v.token,
        );
        expect(r.body.data).toEqual({ nodes: [...coMembers.map((u) => ({ id: u.id, email: u.email })), null] });
        expect(codes(r)).toEqual(['NOT_FOUND']);
      }
    });

    it('reads Membership.user, Team.owner and a shared member’s teams and memberships only within its own team', async () => {
      for (const [, v] of viewers()) {
        const data = ok(
          await server.gql(
            `query($slug: String!) { team(slug: $slug) {
              owner { email }
              members(first: 20) { totalCount nodes {
                role team { slug }
                user { email teams(first: 20) { totalCount nodes { slug } } memberships(first: 20) { totalCount nodes { role team { slug owner { email } } } } }
              } }
            } }`,
            { slug: own().slug },
            v.token,
          ),
        );
        const onlyOwn = (role: string) => ({
          teams: { totalCount: 1, nodes: [{ slug: own().slug }] },
          memberships: { totalCount: 1, nodes: [{ role, team: { slug: own().slug, owner: { email: own().owner.email } } }] },
        });
        expect(data).toEqual({
          team: {
            owner: { email: own().owner.email },
            members: {
              totalCount: 3,
              nodes: [
                { role: 'OWNER', team: { slug: own().slug }, user: { email: own().owner.email, ...onlyOwn('OWNER') } },
                { role: 'MEMBER', team: { slug: own().slug }, user: { email: own().member.email, ...onlyOwn('MEMBER') } },
                // The bridge user is in both teams; through this team only this team shows.
                { role: 'VIEWER', team: { slug: own().slug }, user: { email: bridge.email, ...onlyOwn('VIEWER') } },
              ],
            },
          },
        });
      }
    });

    it('reaches nothing of the other team through a shared member’s user node', async () => {
      const v = own().member;
      const data = ok(
        await server.gql(
          `query($id: ID!) { node(id: $id) { ... on User { email teams { totalCount nodes { slug } } memberships { nodes { id } } } } }`,
          { id: bridge.id },
          v.token,
        ),
      );
      expect(data).toEqual({
        node: {
          email: bridge.email,
          teams: { totalCount: 1, nodes: [{ slug: own().slug }] },
          memberships: { nodes: [{ id: own().bridgeMembershipId }] },
        },
      });
      // The shared member's private lists are theirs alone.
      const r = await server.gql(
        `query($id: ID!) { node(id: $id) { ... on User { events { nodes { id } } invitations { nodes { id } } } } }`,
        { id: bridge.id },
        v.token,
      );
      expect(r.body.data).toEqual({ node: { events: null, invitations: null } });
      expect(codes(r)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    });

    it('cannot change the other team: every mutation answers NOT_FOUND (not FORBIDDEN), and nothing changes', async () => {
      const before = await snapshot(other().slug);
      const attempts: [string, Record<string, unknown>][] = [
        ['updateTeam', { teamId: other().teamId, name: 'Taken over' }],
        ['deleteTeam', { teamId: other().teamId }],
        ['inviteMember', { teamId: other().teamId, email: 'spy@example.com', role: 'VIEWER' }],
        ['removeMember', { membershipId: other().memberMembershipId }],
        ['removeMember', { membershipId: other().bridgeMembershipId }],
        ['setMemberRole', { membershipId: other().memberMembershipId, role: 'VIEWER' }],
        ['revokeInvitation', { invitationId: other().pendingInvitationId }],
        ['acceptInvitation', { invitationId: other().pendingInvitationId }],
        ['transferTeamOwnership', { teamId: other().teamId, newOwnerEmail: other().member.email }],
        ['leaveTeam', { teamId: other().teamId }],
        ['setMemberNotification', { teamId: other().teamId, state: 'EMAIL' }],
        ['updateMemberOptions', { teamId: other().teamId, options: { pwned: true } }],
      ];
      for (const [, v] of viewers()) {
        for (const [name, input] of attempts) {
          const r = await mutate(name, input, v.token);
          expect({ name, body: r.body }).toEqual({
            name,
            body: { data: null, errors: [expect.objectContaining({ path: [name], extensions: { code: 'NOT_FOUND' } })] },
          });
        }
      }
      expect(await snapshot(other().slug)).toEqual(before);
    });

    it('gets exactly the same error for another team’s IDs as for IDs that never existed', async () => {
      const v = own().owner;
      const pairs: [string, Record<string, unknown>, Record<string, unknown>][] = [
        ['updateTeam', { teamId: other().teamId, name: 'x' }, { teamId: toGlobalId('Team', randomUUID()), name: 'x' }],
        [
          'inviteMember',
          { teamId: other().teamId, email: 'a@example.com', role: 'VIEWER' },
          { teamId: toGlobalId('Team', randomUUID()), email: 'a@example.com', role: 'VIEWER' },
        ],
        ['removeMember', { membershipId: other().memberMembershipId }, { membershipId: toGlobalId('Membership', randomUUID()) }],
        ['revokeInvitation', { invitationId: other().pendingInvitationId }, { invitationId: toGlobalId('Invitation', randomUUID()) }],
      ];
      for (const [name, existing, missing] of pairs) {
        const a = await mutate(name, existing, v.token);
        const b = await mutate(name, missing, v.token);
        expect(a.body).toEqual(b.body);
        expect(codes(a)).toEqual(['NOT_FOUND']);
      }
    });
  });
}

describe('an invitee outside the team', () => {
  it('sees its own invitation’s team slug and name, but not the team, its inviter or anything else of it', async () => {
    const t2 = sides.T2;
    expect(t2.pendingEmail).toBe(invitee.email);
    const data = ok(
      await server.gql(
        `{ viewer { teams { totalCount } invitations { nodes { id email role status teamSlug teamName team { slug } inviter { email } } } } }`,
        {},
        invitee.token,
      ),
    );
    expect(data).toEqual({
      viewer: {
        teams: { totalCount: 0 },
        invitations: {
          nodes: [
            {
              id: t2.pendingInvitationId,
              email: invitee.email,
              role: 'VIEWER',
              status: 'PENDING',
              teamSlug: t2.slug,
              teamName: t2.name,
              team: null,
              inviter: null,
            },
          ],
        },
      },
    });
    const node = ok(
      await server.gql(
        `query($id: ID!) { node(id: $id) { id ... on Invitation { teamSlug } } }`,
        { id: t2.pendingInvitationId },
        invitee.token,
      ),
    );
    expect(node).toEqual({ node: { id: t2.pendingInvitationId, teamSlug: t2.slug } });
    for (const id of [t2.teamId, t2.ownerMembershipId, t2.owner.id, sides.T1.pendingInvitationId, ...t2.eventIds]) {
      const r = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, invitee.token);
      expect(codes(r)).toEqual(['NOT_FOUND']);
    }
  });
});

describe('anonymous callers', () => {
  it('resolve no node of either team', async () => {
    for (const id of [...privateIds(sides.T1), ...privateIds(sides.T2), sides.T1.owner.id]) {
      const r = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id });
      expect(r.body.data).toEqual({ node: null });
      expect(codes(r)).toEqual(['NOT_FOUND']);
    }
    const teams = await server.gql(`{ teams { totalCount } }`);
    expect(codes(teams)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('the platform admin', () => {
  it('sees both teams in teams, team(slug:) and user(email:)', async () => {
    const { T1, T2 } = sides;
    expect(ok(await server.gql(`{ teams(first: 100) { totalCount nodes { slug viewerRole } } }`, {}, admin))).toEqual({
      teams: {
        totalCount: 2,
        nodes: [
          { slug: T1.slug, viewerRole: null },
          { slug: T2.slug, viewerRole: null },
        ],
      },
    });
    for (const s of [T1, T2]) {
      const team = ok(
        await server.gql(
          `query($slug: String!) { team(slug: $slug) { id owner { email } members { totalCount } invitations(status: PENDING) { nodes { id email } } events(first: 100) { totalCount } } }`,
          { slug: s.slug },
          admin,
        ),
      ).team;
      expect(team).toEqual({
        id: s.teamId,
        owner: { email: s.owner.email },
        members: { totalCount: 3 },
        invitations: { nodes: [{ id: s.pendingInvitationId, email: s.pendingEmail }] },
        events: { totalCount: s.eventIds.length },
      });
      const user = ok(
        await server.gql(
          `query($email: String!) { user(email: $email) { id teams { nodes { slug } } } }`,
          { email: s.member.email },
          admin,
        ),
      );
      expect(user).toEqual({ user: { id: s.member.id, teams: { nodes: [{ slug: s.slug }] } } });
    }
    const shared = ok(
      await server.gql(
        `query($email: String!) { user(email: $email) { teams { nodes { slug } } memberships { nodes { id } } } }`,
        { email: bridge.email },
        admin,
      ),
    );
    expect(shared).toEqual({
      user: {
        teams: { nodes: [{ slug: T1.slug }, { slug: T2.slug }] },
        memberships: { nodes: [{ id: T1.bridgeMembershipId }, { id: T2.bridgeMembershipId }] },
      },
    });
  });

  it('resolves both teams, their memberships and their users by nodes(ids:)', async () => {
    for (const s of [sides.T1, sides.T2]) {
      const ids = [s.teamId, s.ownerMembershipId, s.memberMembershipId, s.bridgeMembershipId, s.owner.id, s.member.id];
      const r = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }, admin);
      expect(r.body).toEqual({ data: { nodes: ids.map((id) => ({ id })) } });
    }
  });

  it('resolves both teams’ invitations and audit events by node(id:) and nodes(ids:)', async () => {
    for (const s of [sides.T1, sides.T2]) {
      const ids = [s.pendingInvitationId, ...s.eventIds];
      const r = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }, admin);
      expect(r.body).toEqual({ data: { nodes: ids.map((id) => ({ id })) } });
      const one = await server.gql(
        `query($id: ID!) { node(id: $id) { id ... on Invitation { email } } }`,
        { id: s.pendingInvitationId },
        admin,
      );
      expect(one.body).toEqual({ data: { node: { id: s.pendingInvitationId, email: s.pendingEmail } } });
    }
  });

  it('reads any user’s events', async () => {
    for (const s of [sides.T1, sides.T2]) {
      const data = ok(
        await server.gql(
          `query($email: String!) { user(email: $email) { events(first: 100) { nodes { kind team { slug } } } } }`,
          { email: s.member.email },
          admin,
        ),
      );
      // The member's own actions: signing up, verifying their email, joining, and changing their notification state.
      expect(data.user.events.nodes.map((e: any) => [e.kind, e.team?.slug ?? null]).sort()).toEqual(
        [
          ['team.member.join', s.slug],
          ['team.member.notification', s.slug],
          ['user.create', null],
          ['user.email.verify', null],
        ].sort(),
      );
    }
  });
});

describe('members reading their own team by node(id:)', () => {
  it('resolves the team, its memberships and its events (and, for managers, its invitation)', async () => {
    for (const s of [sides.T1, sides.T2]) {
      const owner = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: privateIds(s) }, s.owner.token);
      expect(owner.body).toEqual({ data: { nodes: privateIds(s).map((id) => ({ id })) } });
      const ids = [s.teamId, s.ownerMembershipId, s.memberMembershipId, s.bridgeMembershipId, ...s.eventIds];
      const member = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }, s.member.token);
      expect(member.body).toEqual({ data: { nodes: ids.map((id) => ({ id })) } });
    }
  });
});
