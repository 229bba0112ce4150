import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdmin } from '../src/db/seed.js';
import { outbox, roleBindings, users } from '../src/db/schema/index.js';
import { PASSWORD, startTestServer, type TestServer } from './support/server.js';
import { api, USER_ERRORS as ERRORS } from './support/api.js';

let server: TestServer;
let admin: string;
beforeAll(async () => {
  server = await startTestServer();
  admin = await server.adminToken();
});
afterAll(() => server.close());

const { data, createTeam } = api(() => server);

const INVITE = `mutation($i: InviteMemberInput!) { inviteMember(input: $i) { invitation { id } ${ERRORS} } }`;
const ACCEPT = `mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { membership { role } ${ERRORS} } }`;
const MY_INVITATIONS = `{ viewer { emailVerified invitations { nodes { id } } } }`;

describe('invitations by email reach only verified addresses', () => {
  it('an unverified sign-up under the invited address cannot see or accept the invitation until it verifies', async () => {
    const owner = await server.signUp('verify-owner@example.com');
    const teamId = await createTeam('verify-team', owner.token);
    const invitationId = (await data(INVITE, { i: { teamId, email: 'newhire@example.com', role: 'ADMIN' } }, owner.token)).inviteMember
      .invitation.id;

    const squatter = await server.signUp('newhire@example.com', '', { verify: false });
    expect(await data(MY_INVITATIONS, {}, squatter.token)).toEqual({ viewer: { emailVerified: false, invitations: { nodes: [] } } });
    const byId = await server.gql(ACCEPT, { i: { invitationId } }, squatter.token);
    expect(byId.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    const node = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: invitationId }, squatter.token);
    expect(node.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);

    // Whoever really reads that mailbox verifies, and then sees and accepts it.
    const token = (await server.deliveredMail()).tokenFor('newhire@example.com', 'email-verification');
    expect(
      (await data(`mutation($i: VerifyEmailInput!) { verifyEmail(input: $i) { user { emailVerified } ${ERRORS} } }`, { i: { token } }))
        .verifyEmail,
    ).toEqual({
      user: { emailVerified: true },
      userErrors: [],
    });
    expect(await data(MY_INVITATIONS, {}, squatter.token)).toEqual({
      viewer: { emailVerified: true, invitations: { nodes: [{ id: invitationId }] } },
    });
    expect((await data(ACCEPT, { i: { invitationId } }, squatter.token)).acceptInvitation).toEqual({
      membership: { role: 'ADMIN' },
      userErrors: [],
    });
  });

  it('changing the email makes it unverified again, and an old verification token no longer counts', async () => {
    const user = await server.signUp('mover@example.com', '', { verify: false });
    const oldToken = (await server.deliveredMail()).tokenFor('mover@example.com', 'email-verification');
    await data(`mutation { updateViewer(input: { email: "moved@example.com" }) { user { email emailVerified } } }`, {}, user.token);
    const stale = await data(`mutation($i: VerifyEmailInput!) { verifyEmail(input: $i) { user { id } ${ERRORS} } }`, {
      i: { token: oldToken },
    });
    expect(stale.verifyEmail.userErrors.map((e: { code: string }) => e.code)).toEqual(['EXPIRED']);
    const fresh = (await server.deliveredMail()).tokenFor('moved@example.com', 'email-verification');
    expect(
      (await data(`mutation($i: VerifyEmailInput!) { verifyEmail(input: $i) { user { email emailVerified } } }`, { i: { token: fresh } }))
        .verifyEmail.user,
    ).toEqual({
      email: 'moved@example.com',
      emailVerified: true,
    });
  });
});

describe('mail in the outbox', () => {
  it('keeps no token once delivered', async () => {
    await server.signUp('outbox@example.com');
    await server.deliveredMail();
    const rows = await server.database.db.select().from(outbox).where(eq(outbox.recipient, 'outbox@example.com'));
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ kind: 'email-verification', body: '[delivered]', payload: {} });
    expect(rows[0].sentAt).not.toBeNull();
  });
});

describe('password reset tokens', () => {
  it('stop working once the password was changed another way', async () => {
    const user = await server.signUp('reset-retire@example.com');
    await data(`mutation { requestPasswordReset(input: { email: "reset-retire@example.com" }) { ${ERRORS} } }`, {});
    const resetToken = (await server.deliveredMail()).tokenFor('reset-retire@example.com', 'password-reset');
    await data(
      `mutation($i: ChangePasswordInput!) { changePassword(input: $i) { ${ERRORS} } }`,
      { i: { currentPassword: PASSWORD, newPassword: 'another-password-2' } },
      user.token,
    );
    const reset = await data(`mutation($i: ResetPasswordInput!) { resetPassword(input: $i) { ${ERRORS} } }`, {
      i: { token: resetToken, newPassword: 'attacker-password-3' },
    });
    expect(reset.resetPassword.userErrors.map((e: { code: string }) => e.code)).toEqual(['EXPIRED']);
  });
});

describe('platform roles', () => {
  it('a user manager by platform binding cannot make anyone (themself included) a platform admin', async () => {
    const manager = await server.signUp('user-manager@example.com');
    const [row] = await server.database.db.select().from(users).where(eq(users.email, 'user-manager@example.com'));
    await server.database.db.insert(roleBindings).values({ userId: row.id, scope: 'PLATFORM', permission: 'user:manage' });
    const self = await server.gql(
      `mutation($i: AdminUpdateUserInput!) { adminUpdateUser(input: $i) { user { platformRole } ${ERRORS} } }`,
      { i: { userId: manager.id, platformRole: 'ADMIN' } },
      manager.token,
    );
    expect(self.body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ['FORBIDDEN', 'Only platform admins may grant or take the platform ADMIN role, or change an admin’s account.'],
    ]);
    const created = await server.gql(
      `mutation($i: AdminCreateUserInput!) { adminCreateUser(input: $i) { user { id } ${ERRORS} } }`,
      { i: { email: 'sidekick@example.com', password: 'sidekick-password', platformRole: 'ADMIN' } },
      manager.token,
    );
    expect(created.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    // Within their remit they act, and see every user as the admin entry points let them.
    const listed = await data(`{ users(filter: { search: "sidekick" }) { totalCount } }`, {}, manager.token);
    expect(listed.users.totalCount).toBe(0);
    const plain = await data(
      `mutation($i: AdminCreateUserInput!) { adminCreateUser(input: $i) { user { email platformRole } ${ERRORS} } }`,
      { i: { email: 'plain@example.com', password: 'plain-password-1' } },
      manager.token,
    );
    expect(plain.adminCreateUser).toEqual({ user: { email: 'plain@example.com', platformRole: 'USER' }, userErrors: [] });
    expect((await data(`{ user(email: "plain@example.com") { email } }`, {}, manager.token)).user).toEqual({ email: 'plain@example.com' });
  });

  it('ADMIN_EMAIL naming an existing account promotes it with the configured password and closes what it had open', async () => {
    const early = await server.signUp('future-admin@example.com');
    expect(await ensureAdmin(server.database.db, { email: 'future-admin@example.com', password: 'configured-password' })).toBe('promoted');
    const refused = await server.gql('{ viewer { email } }', {}, early.token);
    expect(refused.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    const login = async (password: string) =>
      (
        await data(`mutation($i: LogInInput!) { logIn(input: $i) { token ${ERRORS} } }`, {
          i: { email: 'future-admin@example.com', password },
        })
      ).logIn;
    expect((await login(PASSWORD)).userErrors.map((e: { code: string }) => e.code)).toEqual(['INVALID_CREDENTIALS']);
    const fresh = await login('configured-password');
    expect((await data('{ viewer { platformRole } }', {}, fresh.token)).viewer).toEqual({ platformRole: 'ADMIN' });
    expect(await ensureAdmin(server.database.db, { email: 'future-admin@example.com', password: 'configured-password' })).toBe('unchanged');
  });
});

describe('scoped API tokens', () => {
  it('cannot accept invitations nor set app quotas, even a platform admin’s', async () => {
    const scoped = (
      await data(`mutation { createApiToken(input: { name: "read-only", scopes: ["app:read", "team:read"] }) { secret } }`, {}, admin)
    ).createApiToken.secret;
    const owner = await server.signUp('quota-owner@example.com');
    const teamId = await createTeam('quota-team', owner.token);
    const appId = (
      await data(
        `mutation($i: CreateAppInput!) { createApp(input: $i) { app { id } } }`,
        { i: { teamId, name: 'quota-app', platform: 'node' } },
        owner.token,
      )
    ).createApp.app.id;
    const quota = await server.gql(
      `mutation($i: SetAppQuotaInput!) { setAppQuota(input: $i) { app { id } } }`,
      { i: { appId, unitLimit: 3 } },
      scoped,
    );
    expect(quota.body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ['FORBIDDEN', 'Only platform admins (app:update) may set app quotas.'],
    ]);
    const invited = (await data(INVITE, { i: { teamId, email: 'root@graphplane.test', role: 'VIEWER' } }, owner.token)).inviteMember
      .invitation.id;
    const accept = await server.gql(ACCEPT, { i: { invitationId: invited } }, scoped);
    expect(accept.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});

describe('App.events', () => {
  it('shows a granted team’s member only their own actions, not the owner team’s audit trail', async () => {
    const owner = await server.signUp('trail-owner@example.com');
    const partner = await server.signUp('trail-partner@example.com');
    const teamId = await createTeam('trail-owner', owner.token);
    const partnerTeam = await createTeam('trail-partner', partner.token);
    const appId = (
      await data(
        `mutation($i: CreateAppInput!) { createApp(input: $i) { app { id } } }`,
        { i: { teamId, name: 'trail-app', platform: 'node' } },
        owner.token,
      )
    ).createApp.app.id;
    await data(
      `mutation($i: GrantAppAccessInput!) { grantAppAccess(input: $i) { ${ERRORS} } }`,
      { i: { appId, teamId: partnerTeam } },
      owner.token,
    );
    await data(
      `mutation($i: DeployAppInput!) { deployApp(input: $i) { ${ERRORS} } }`,
      { i: { appId, image: 'reg/trail:1' } },
      partner.token,
    );
    const events = async (token: string) =>
      (await data(`{ app(name: "trail-app") { events { nodes { kind actorEmail } } } }`, {}, token)).app.events.nodes;
    expect(await events(owner.token)).toEqual([
      { kind: 'app.deploy', actorEmail: 'trail-partner@example.com' },
      { kind: 'app.grant', actorEmail: 'trail-owner@example.com' },
      { kind: 'app.create', actorEmail: 'trail-owner@example.com' },
    ]);
    expect(await events(partner.token)).toEqual([{ kind: 'app.deploy', actorEmail: 'trail-partner@example.com' }]);
  });
});
