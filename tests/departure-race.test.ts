import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleBindings } from '../src/db/schema/index.js';
import type { Tx } from '../src/db/client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { api, dbId, USER_ERRORS, type User } from './support/api.js';

/**
 * Issue 9 item 8, under concurrency: a member who sets up a grant path while being removed keeps
 * nothing. The grant's permission is checked before its transaction; the test pauses it between
 * that check and its insert (by holding the member's user row, which the insert's foreign key
 * check waits for) while the removal runs. Only Postgres runs transactions side by side.
 */
describe.runIf(process.env.TEST_DATABASE_URL)('removing a member while they set up a grant', () => {
  let server: TestServer;
  let owner: User;
  let leaver: User;
  let teamId: string;
  let membershipId: string;
  beforeAll(async () => {
    server = await startTestServer();
    owner = await server.signUp('owner@race.test');
    leaver = await server.signUp('leaver@race.test');
    teamId = await createTeam('race', owner.token);
    membershipId = await addMember({ id: teamId, slug: 'race' }, leaver, 'ADMIN', owner.token);
  });
  afterAll(() => server?.close());

  const { ok, createTeam, addMember } = api(() => server);

  /** Waits (bounded) until `count` other backends of the database wait for a lock. */
  async function blockedBackends(tx: Tx, count: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      // pg_stat_activity is read once per transaction and kept; this one polls from inside one.
      await tx.execute(sql`select pg_stat_clear_snapshot()`);
      const rows = await tx.execute(
        sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      if (Number((rows as unknown as { n: number }[])[0].n) >= count) return;
      if (Date.now() > deadline) throw new Error(`fewer than ${count} backends waiting for a lock`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('ends a binding the member was granting themselves at that moment', async () => {
    const SET = `mutation($i: SetIamPolicyInput!) { setIamPolicy(input: $i) { ${USER_ERRORS} } }`;
    const REMOVE = `mutation($i: RemoveMemberInput!) { removeMember(input: $i) { ${USER_ERRORS} } }`;
    let grant!: Promise<unknown>;
    let removal!: Promise<unknown>;
    await server.database.db.transaction(async (tx) => {
      await tx.execute(sql`select id from users where id = ${dbId(leaver.id)} for update`);
      grant = server.gql(
        SET,
        { i: { subject: { type: 'USER', id: leaver.id }, scope: { type: 'TEAM', id: teamId }, add: { permissions: ['audit:read'] } } },
        leaver.token,
      );
      await blockedBackends(tx, 1);
      removal = server.gql(REMOVE, { i: { membershipId } }, owner.token);
      // The removal either waits for the grant (it holds the team's lock) or is done already.
      await Promise.race([removal, blockedBackends(tx, 2)]);
    });
    const [granted, removed] = (await Promise.all([grant, removal])) as { body: { data: unknown } }[];
    expect(removed.body.data).toEqual({ removeMember: { userErrors: [] } });
    expect(granted.body.data).toEqual({ setIamPolicy: { userErrors: [] } });
    const left = await server.database.db
      .select()
      .from(roleBindings)
      .where(eq(roleBindings.userId, dbId(leaver.id)));
    expect(left).toEqual([]);
    const team = await server.gql(`{ team(slug: "race") { name } }`, {}, leaver.token);
    expect(team.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(await ok(`{ team(slug: "race") { members { totalCount } } }`, {}, owner.token)).toEqual({
      team: { members: { totalCount: 1 } },
    });
  });
});
