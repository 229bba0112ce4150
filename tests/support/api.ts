import { expect } from 'vitest';
import type { GqlResult, TestServer } from './server.js';

/** Helpers shared by several test files. File-specific variations stay in their files. */

export type User = { token: string; id: string; email: string };
export type TeamRef = { id: string; slug: string };

export const USER_ERRORS = 'userErrors { field code message }';

/** The database id behind a global ID, for direct-database test setup only. */
export const dbId = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];

/** The top-level errors without their source locations. */
export const errorsOf = (r: GqlResult) => r.body.errors?.map(({ message, path, extensions }) => ({ message, path, extensions }));

/** The `extensions.code` of every top-level error. */
export const codes = (r: GqlResult) => r.body.errors?.map((e) => e.extensions?.code);

/** A refused request: no data for the field (a non-null payload nulls `data`), one top-level error. */
export function expectRefused(r: GqlResult, field: string, code: string, message: string, data: unknown = null) {
  expect(errorsOf(r)).toEqual([{ message, path: [field], extensions: { code } }]);
  expect(r.body.data).toEqual(data);
}

/** The data of a response that must have no top-level errors and status 200. */
export function okResult<T = any>(r: GqlResult<T>): T {
  expect(r.body.errors).toBeUndefined();
  expect(r.status).toBe(200);
  return r.body.data as T;
}

/**
 * Helpers bound to a file's server. Takes a getter because files assign `server` in `beforeAll`,
 * after the module-level `const { ... } = api(() => server)` has run.
 */
export function api(getServer: () => TestServer) {
  /** Runs a request and returns its data; throws (with the body) on top-level errors or no data. */
  async function ok<T = any>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
    const r = await getServer().gql<T>(query, variables, token);
    if (r.body.errors || !r.body.data) throw new Error(`unexpected errors: ${JSON.stringify(r.body)}`);
    return r.body.data;
  }

  /** Runs a request, expects no top-level errors, and returns its data. */
  async function data(query: string, variables: Record<string, unknown>, token?: string) {
    const r = await getServer().gql(query, variables, token);
    expect(r.body.errors).toBeUndefined();
    return r.body.data;
  }

  /** Creates a team named after its slug; returns its global ID. */
  async function createTeam(slug: string, token: string): Promise<string> {
    return (
      await data(
        `mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id } ${USER_ERRORS} } }`,
        { i: { slug, name: slug } },
        token,
      )
    ).createTeam.team.id;
  }

  /** Creates a team named after its slug, expecting no user errors. */
  async function newTeam(slug: string, token: string): Promise<TeamRef> {
    const result = await ok(
      `mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id slug } ${USER_ERRORS} } }`,
      { input: { slug, name: slug } },
      token,
    );
    expect(result.createTeam.userErrors).toEqual([]);
    return result.createTeam.team;
  }

  /** Invites `user`, who accepts by the invitation's ID; returns the membership ID. */
  async function addMember(team: TeamRef, user: User, role: 'ADMIN' | 'MEMBER' | 'VIEWER', managerToken: string): Promise<string> {
    const invited = await ok(
      `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id } ${USER_ERRORS} } }`,
      { input: { teamId: team.id, email: user.email, role } },
      managerToken,
    );
    expect(invited.inviteMember.userErrors).toEqual([]);
    const accepted = await ok(
      `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { membership { id role } ${USER_ERRORS} } }`,
      { input: { invitationId: invited.inviteMember.invitation.id } },
      user.token,
    );
    expect(accepted.acceptInvitation).toEqual({ membership: { id: expect.any(String), role }, userErrors: [] });
    return accepted.acceptInvitation.membership.id;
  }

  /**
   * Waits, as a polling client would, until the operation is DONE or FAILED; returns its final
   * state (`fields` selects what to return besides status).
   */
  async function settled(operationId: string, token: string, fields = 'status progress error'): Promise<any> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { operation } = await ok(`query($id: ID!) { operation(id: $id) { status ${fields} } }`, { id: operationId }, token);
      if (operation.status === 'DONE' || operation.status === 'FAILED') return operation;
      if (Date.now() > deadline) throw new Error(`operation ${operationId} still ${operation.status}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  return { ok, data, createTeam, newTeam, addMember, settled };
}
