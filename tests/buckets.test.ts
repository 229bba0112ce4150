import { eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, bucketUsage, clusters } from '../src/db/schema/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { api, dbId, errorsOf, expectRefused, USER_ERRORS, type TeamRef, type User } from './support/api.js';

// Buckets, usage and limits (issue 4): createBucket and the S3 naming rules, the bucket limit
// under concurrency, permissions per role, update/delete (force), Bucket.usage and its batching,
// Team.usage / hasUsageThisMonth, setTeamLimits, the buckets connection and viewerPermissions.

let server: TestServer;
let rootToken: string;
/** acme: owner (OWNER), admin (ADMIN), member (MEMBER), viewer (VIEWER). */
let owner: User;
let admin: User;
let member: User;
let viewer: User;
/** In no team, owns nothing. */
let stranger: User;
/** Owns the teams the list tests read, and nothing else. */
let lister: User;
let acme: TeamRef;

const { ok, newTeam, addMember } = api(() => server);

const REGION_LIST = 'eu-west-1, eu-central-1, us-east-1, us-west-2, ap-southeast-1';
const NAME_PATTERN_MESSAGE = 'name must be lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit';

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');

/** YYYY-MM-DD of a Date, in UTC. */
const dayOf = (d: Date) => d.toISOString().slice(0, 10);
const today = () => dayOf(new Date());
const thisMonthStart = () => `${today().slice(0, 7)}-01`;
/** The last day of the previous month (UTC). */
const lastMonthEnd = () => {
  const d = new Date();
  d.setUTCDate(0);
  return dayOf(d);
};

const BUCKET_FIELDS = 'name region versioning visibility storedBytes objectCount';
const CREATE = `mutation($input: CreateBucketInput!) { createBucket(input: $input) { bucket { id ${BUCKET_FIELDS} team { slug } } ${USER_ERRORS} } }`;
const UPDATE = `mutation($input: UpdateBucketInput!) { updateBucket(input: $input) { bucket { id ${BUCKET_FIELDS} } ${USER_ERRORS} } }`;
const DELETE = `mutation($input: DeleteBucketInput!) { deleteBucket(input: $input) { deletedBucketId ${USER_ERRORS} } }`;
const SET_LIMITS = `mutation($input: SetTeamLimitsInput!) { setTeamLimits(input: $input) {
  team { slug limits { storageBytes bandwidthBytes rateLimit maxBuckets maxApps maxClusters maxMembers } } ${USER_ERRORS} } }`;
const DELETE_TEAM = `mutation($input: DeleteTeamInput!) { deleteTeam(input: $input) { deletedTeamId ${USER_ERRORS} } }`;

/** Creates a bucket (as `token`) and returns its global ID. */
async function createBucket(team: TeamRef, name: string, token = owner.token, extra: Record<string, unknown> = {}): Promise<string> {
  const data = await ok(CREATE, { input: { teamId: team.id, name, region: 'eu-west-1', ...extra } }, token);
  expect(data.createBucket.userErrors).toEqual([]);
  return data.createBucket.bucket.id;
}

async function setMaxBuckets(team: TeamRef, maxBuckets: number) {
  const data = await ok(SET_LIMITS, { input: { teamId: team.id, maxBuckets } }, rootToken);
  expect(data.setTeamLimits.userErrors).toEqual([]);
  expect(data.setTeamLimits.team.limits.maxBuckets).toBe(maxBuckets);
}

/** Stored bytes and object count of a bucket, set directly (uploads are not modeled). */
async function setContents(bucketId: string, storedBytes: bigint, objectCount: bigint) {
  await server.database.db
    .update(buckets)
    .set({ storedBytes, objectCount })
    .where(eq(buckets.id, dbId(bucketId)));
}

beforeAll(async () => {
  server = await startTestServer();
  rootToken = await server.adminToken();
  [owner, admin, member, viewer, stranger, lister] = await Promise.all(
    ['owner', 'admin', 'member', 'viewer', 'stranger', 'lister'].map((n) => server.signUp(`${n}@buckets.test`)),
  );
  acme = await newTeam('acme', owner.token);
  await addMember(acme, admin, 'ADMIN', owner.token);
  await addMember(acme, member, 'MEMBER', owner.token);
  await addMember(acme, viewer, 'VIEWER', owner.token);
});
afterAll(() => server.close());

describe('regions', () => {
  it('lists the catalog, to anyone', async () => {
    const expected = {
      regions: [
        { name: 'eu-west-1', description: 'Europe (Ireland)' },
        { name: 'eu-central-1', description: 'Europe (Frankfurt)' },
        { name: 'us-east-1', description: 'US East (N. Virginia)' },
        { name: 'us-west-2', description: 'US West (Oregon)' },
        { name: 'ap-southeast-1', description: 'Asia Pacific (Singapore)' },
      ],
    };
    expect((await server.gql('{ regions { name description } }', {}, stranger.token)).body).toEqual({ data: expected });
    expect((await server.gql('{ regions { name description } }')).body).toEqual({ data: expected });
  });
});

describe('createBucket', () => {
  it('creates a bucket with versioning false and visibility PRIVATE by default', async () => {
    const r = await server.gql(CREATE, { input: { teamId: acme.id, name: 'photos', region: 'eu-west-1' } }, owner.token);
    expect(r.body).toEqual({
      data: {
        createBucket: {
          bucket: {
            id: expect.any(String),
            name: 'photos',
            region: 'eu-west-1',
            versioning: false,
            visibility: 'PRIVATE',
            storedBytes: '0',
            objectCount: '0',
            team: { slug: 'acme' },
          },
          userErrors: [],
        },
      },
    });
    const id = r.body.data.createBucket.bucket.id;
    expect(dbId(id)).toMatch(/^[0-9a-f-]{36}$/);
    // It can be fetched again, and the creation is audited in the team.
    const again = await ok(
      `query($id: ID!) { node(id: $id) { ... on Bucket { name region } } team(slug: "acme") { events(first: 5, filter: { kinds: ["bucket.*"] }) { nodes { kind targetType targetId data actor { email } } } } }`,
      { id },
      owner.token,
    );
    expect(again.node).toEqual({ name: 'photos', region: 'eu-west-1' });
    expect(again.team.events.nodes).toEqual([
      {
        kind: 'bucket.create',
        targetType: 'Bucket',
        targetId: id,
        data: { name: 'photos', region: 'eu-west-1' },
        actor: { email: owner.email },
      },
    ]);
  });

  it('takes versioning and visibility, and accepts names of 3 and 63 characters with dots and hyphens', async () => {
    const long = 'a'.repeat(61) + '-9';
    const cases: [Record<string, unknown>, { region: string; versioning: boolean; visibility: string }][] = [
      [
        { name: 'abc', region: 'ap-southeast-1', versioning: true, visibility: 'PUBLIC' },
        { region: 'ap-southeast-1', versioning: true, visibility: 'PUBLIC' },
      ],
      [
        { name: long, region: 'us-east-1' },
        { region: 'us-east-1', versioning: false, visibility: 'PRIVATE' },
      ],
      [
        { name: 'my.bucket-1.logs', region: 'us-east-1', versioning: false, visibility: 'PRIVATE' },
        { region: 'us-east-1', versioning: false, visibility: 'PRIVATE' },
      ],
      [
        { name: '123', region: 'eu-central-1', versioning: true },
        { region: 'eu-central-1', versioning: true, visibility: 'PRIVATE' },
      ],
    ];
    for (const [input, expected] of cases) {
      const data = await ok(CREATE, { input: { teamId: acme.id, ...input } }, owner.token);
      expect(data.createBucket).toEqual({
        bucket: { id: expect.any(String), name: input.name, ...expected, storedBytes: '0', objectCount: '0', team: { slug: 'acme' } },
        userErrors: [],
      });
    }
  });

  const refusedNames: [string, string, string][] = [
    ['ab', 'TOO_SHORT', 'name must be at least 3 characters'],
    ['a'.repeat(64), 'TOO_LONG', 'name must be at most 63 characters'],
    ['Upper', 'INVALID', NAME_PATTERN_MESSAGE],
    ['-start', 'INVALID', NAME_PATTERN_MESSAGE],
    ['end-', 'INVALID', NAME_PATTERN_MESSAGE],
    ['a..b', 'INVALID', 'name must not contain two dots in a row'],
    ['192.168.1.1', 'INVALID', 'name must not look like an IP address'],
    ['xn--abc', 'INVALID', 'name must not start with xn-- or end with -s3alias (reserved)'],
    ['abc-s3alias', 'INVALID', 'name must not start with xn-- or end with -s3alias (reserved)'],
    ['under_score', 'INVALID', NAME_PATTERN_MESSAGE],
  ];
  it.each(refusedNames)('refuses the name %j with %s naming input.name', async (name, code, message) => {
    const r = await server.gql(CREATE, { input: { teamId: acme.id, name, region: 'eu-west-1' } }, owner.token);
    expect(r.body).toEqual({ data: { createBucket: { bucket: null, userErrors: [{ field: ['input', 'name'], code, message }] } } });
    const [row] = await server.database.db.select().from(buckets).where(eq(buckets.name, name));
    expect(row).toBeUndefined();
  });

  it('refuses an unknown region with INVALID naming input.region, listing the regions', async () => {
    const r = await server.gql(CREATE, { input: { teamId: acme.id, name: 'nowhere', region: 'mars-1' } }, owner.token);
    expect(r.body).toEqual({
      data: {
        createBucket: {
          bucket: null,
          userErrors: [{ field: ['input', 'region'], code: 'INVALID', message: `region must be one of the regions: ${REGION_LIST}` }],
        },
      },
    });
  });

  it('refuses a name taken in the same team with TAKEN, and allows it in another team', async () => {
    await createBucket(acme, 'shared-name');
    const r = await server.gql(CREATE, { input: { teamId: acme.id, name: 'shared-name', region: 'us-west-2' } }, owner.token);
    expect(r.body).toEqual({
      data: {
        createBucket: {
          bucket: null,
          userErrors: [{ field: ['input', 'name'], code: 'TAKEN', message: 'The team already has a bucket named shared-name.' }],
        },
      },
    });
    const beta = await newTeam('beta', owner.token);
    const data = await ok(CREATE, { input: { teamId: beta.id, name: 'shared-name', region: 'us-west-2' } }, owner.token);
    expect(data.createBucket).toMatchObject({ bucket: { name: 'shared-name', team: { slug: 'beta' } }, userErrors: [] });
  });

  it('refuses the bucket beyond the team limit with LIMIT_REACHED', async () => {
    const limited = await newTeam('limited', owner.token);
    await setMaxBuckets(limited, 2);
    await createBucket(limited, 'one');
    await createBucket(limited, 'two');
    const r = await server.gql(CREATE, { input: { teamId: limited.id, name: 'three', region: 'eu-west-1' } }, owner.token);
    expect(r.body).toEqual({
      data: {
        createBucket: {
          bucket: null,
          userErrors: [
            {
              field: ['input', 'teamId'],
              code: 'LIMIT_REACHED',
              message: 'Team limited already has 2 buckets, its limit; delete one or ask an admin to raise it.',
            },
          ],
        },
      },
    });
    // Raising the limit lets the next one in.
    await setMaxBuckets(limited, 3);
    await createBucket(limited, 'three');
  });

  it('holds the limit under 20 concurrent creates against maxBuckets 5: exactly 5 are made', async () => {
    const racing = await newTeam('racing', owner.token);
    await setMaxBuckets(racing, 5);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server.gql(CREATE, { input: { teamId: racing.id, name: `race-${i}`, region: 'eu-west-1' } }, owner.token),
      ),
    );
    for (const r of results) expect(r.body.errors).toBeUndefined();
    const payloads = results.map((r) => r.body.data.createBucket);
    const made = payloads.filter((p) => p.bucket);
    expect(made).toHaveLength(5);
    for (const p of made) expect(p.userErrors).toEqual([]);
    const refused = payloads.filter((p) => !p.bucket);
    expect(refused).toHaveLength(15);
    for (const p of refused) expect(p.userErrors.map((e: { code: string }) => e.code)).toEqual(['LIMIT_REACHED']);
    const listed = await ok(
      `{ team(slug: "racing") { buckets(first: 100) { totalCount nodes { name } } usage { buckets } } }`,
      {},
      owner.token,
    );
    expect(listed.team.buckets.totalCount).toBe(5);
    expect(listed.team.buckets.nodes.map((b: { name: string }) => b.name).sort()).toEqual(made.map((p) => p.bucket.name).sort());
    expect(listed.team.usage).toEqual({ buckets: 5 });
  });

  it('refuses a malformed team ID with BAD_USER_INPUT, and an unauthenticated caller', async () => {
    const wrongType = await server.gql(
      CREATE,
      { input: { teamId: globalId('Bucket', randomUUID()), name: 'x-y-z', region: 'eu-west-1' } },
      owner.token,
    );
    expect(errorsOf(wrongType)).toEqual([
      { message: 'teamId: expected the ID of a Team.', path: ['createBucket'], extensions: { code: 'BAD_USER_INPUT', field: 'teamId' } },
    ]);
    const anonymous = await server.gql(CREATE, { input: { teamId: acme.id, name: 'x-y-z', region: 'eu-west-1' } });
    expect(errorsOf(anonymous)?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.body.data).toBeNull();
  });
});

describe('permissions', () => {
  let memberBucket: string;

  it('refuses a VIEWER with FORBIDDEN on create and update', async () => {
    const r = await server.gql(CREATE, { input: { teamId: acme.id, name: 'by-viewer', region: 'eu-west-1' } }, viewer.token);
    expectRefused(r, 'createBucket', 'FORBIDDEN', 'You need the bucket:create permission to create buckets in this team.');
    const target = await createBucket(acme, 'viewer-target');
    const u = await server.gql(UPDATE, { input: { bucketId: target, versioning: true } }, viewer.token);
    expectRefused(u, 'updateBucket', 'FORBIDDEN', 'You need the bucket:update permission to update this bucket.');
  });

  it('lets a MEMBER create and update but not delete (FORBIDDEN)', async () => {
    memberBucket = await createBucket(acme, 'by-member', member.token);
    const u = await ok(UPDATE, { input: { bucketId: memberBucket, visibility: 'PUBLIC' } }, member.token);
    expect(u.updateBucket).toMatchObject({ bucket: { name: 'by-member', visibility: 'PUBLIC' }, userErrors: [] });
    const d = await server.gql(DELETE, { input: { bucketId: memberBucket } }, member.token);
    expectRefused(d, 'deleteBucket', 'FORBIDDEN', 'You need the bucket:delete permission to delete this bucket.');
    const forced = await server.gql(DELETE, { input: { bucketId: memberBucket, force: true } }, member.token);
    expectRefused(forced, 'deleteBucket', 'FORBIDDEN', 'You need the bucket:delete permission to delete this bucket.');
  });

  it('lets an ADMIN delete', async () => {
    const d = await ok(DELETE, { input: { bucketId: memberBucket } }, admin.token);
    expect(d.deleteBucket).toEqual({ deletedBucketId: memberBucket, userErrors: [] });
  });

  it('answers NOT_FOUND to a stranger for create, update, delete and node(id:)', async () => {
    const target = await createBucket(acme, 'secret-stash');
    const c = await server.gql(CREATE, { input: { teamId: acme.id, name: 'intruder', region: 'eu-west-1' } }, stranger.token);
    expectRefused(c, 'createBucket', 'NOT_FOUND', 'Team not found.');
    const u = await server.gql(UPDATE, { input: { bucketId: target, visibility: 'PUBLIC' } }, stranger.token);
    expectRefused(u, 'updateBucket', 'NOT_FOUND', 'Bucket not found.');
    const d = await server.gql(DELETE, { input: { bucketId: target, force: true } }, stranger.token);
    expectRefused(d, 'deleteBucket', 'NOT_FOUND', 'Bucket not found.');
    const n = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: target }, stranger.token);
    expectRefused(n, 'node', 'NOT_FOUND', `Node ${target} not found.`, { node: null });
    // An unknown bucket looks the same.
    const unknown = globalId('Bucket', randomUUID());
    expectRefused(
      await server.gql(UPDATE, { input: { bucketId: unknown, versioning: true } }, owner.token),
      'updateBucket',
      'NOT_FOUND',
      'Bucket not found.',
    );
    // Nothing changed.
    const still = await ok(`query($id: ID!) { node(id: $id) { ... on Bucket { name visibility } } }`, { id: target }, owner.token);
    expect(still.node).toEqual({ name: 'secret-stash', visibility: 'PRIVATE' });
  });
});

describe('updateBucket', () => {
  it('changes versioning and visibility; omitted fields stay', async () => {
    const id = await createBucket(acme, 'mutable');
    const first = await ok(UPDATE, { input: { bucketId: id, versioning: true } }, owner.token);
    expect(first.updateBucket).toEqual({
      bucket: { id, name: 'mutable', region: 'eu-west-1', versioning: true, visibility: 'PRIVATE', storedBytes: '0', objectCount: '0' },
      userErrors: [],
    });
    const second = await ok(UPDATE, { input: { bucketId: id, visibility: 'PUBLIC' } }, owner.token);
    expect(second.updateBucket.bucket).toMatchObject({ versioning: true, visibility: 'PUBLIC' });
    const third = await ok(UPDATE, { input: { bucketId: id, versioning: false, visibility: 'PRIVATE' } }, admin.token);
    expect(third.updateBucket.bucket).toMatchObject({ versioning: false, visibility: 'PRIVATE' });
    const events = await ok(
      `query($id: ID!) { team(slug: "acme") { events(first: 10, filter: { kinds: ["bucket.update"], targetId: $id }) { nodes { data } } } }`,
      { id },
      owner.token,
    );
    expect(events.team.events.nodes.map((e: { data: unknown }) => e.data)).toEqual([
      { changed: { versioning: false, visibility: 'PRIVATE' } },
      { changed: { visibility: 'PUBLIC' } },
      { changed: { versioning: true } },
    ]);
  });
});

describe('deleteBucket', () => {
  it('is refused with IN_USE naming input.force while the bucket holds objects, and allowed with force: true', async () => {
    const id = await createBucket(acme, 'full-bucket');
    await setContents(id, 123_456_789_012n, 3n);
    const r = await server.gql(DELETE, { input: { bucketId: id } }, admin.token);
    expect(r.body).toEqual({
      data: {
        deleteBucket: {
          deletedBucketId: null,
          userErrors: [
            {
              field: ['input', 'force'],
              code: 'IN_USE',
              message: 'Bucket full-bucket still holds 3 objects; empty it first, or pass force: true to delete them with it.',
            },
          ],
        },
      },
    });
    const explicit = await server.gql(DELETE, { input: { bucketId: id, force: false } }, admin.token);
    expect(explicit.body.data.deleteBucket.userErrors.map((e: { code: string }) => e.code)).toEqual(['IN_USE']);
    const kept = await ok(`query($id: ID!) { node(id: $id) { ... on Bucket { storedBytes objectCount } } }`, { id }, owner.token);
    expect(kept.node).toEqual({ storedBytes: '123456789012', objectCount: '3' });

    const forced = await ok(DELETE, { input: { bucketId: id, force: true } }, admin.token);
    expect(forced.deleteBucket).toEqual({ deletedBucketId: id, userErrors: [] });
    const gone = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, owner.token);
    expectRefused(gone, 'node', 'NOT_FOUND', `Node ${id} not found.`, { node: null });
    const events = await ok(
      `query($id: ID!) { team(slug: "acme") { events(first: 10, filter: { kinds: ["bucket.delete"], targetId: $id }) { nodes { data actor { email } } } } }`,
      { id },
      owner.token,
    );
    expect(events.team.events.nodes).toEqual([{ data: { name: 'full-bucket', force: true, objects: '3' }, actor: { email: admin.email } }]);
  });

  it('deletes an empty bucket without force', async () => {
    const id = await createBucket(acme, 'empty-bucket');
    expect((await ok(DELETE, { input: { bucketId: id } }, owner.token)).deleteBucket).toEqual({ deletedBucketId: id, userErrors: [] });
  });

  it('keeps the month usage of a deleted bucket: the team still cannot be deleted', async () => {
    const ephemeral = await newTeam('ephemeral', member.token);
    const id = await createBucket(ephemeral, 'short-lived', member.token);
    const [usage] = await server.database.db
      .insert(bucketUsage)
      .values({ teamId: dbId(ephemeral.id), bucketId: dbId(id), day: today(), storedBytes: 10n, egressBytes: 7n, objectCount: 1n })
      .returning();
    expect((await ok(DELETE, { input: { bucketId: id } }, member.token)).deleteBucket).toEqual({ deletedBucketId: id, userErrors: [] });
    const [row] = await server.database.db.select().from(bucketUsage).where(eq(bucketUsage.id, usage.id));
    expect(row.bucketId).toBeNull();
    const t = await ok(`{ team(slug: "ephemeral") { hasUsageThisMonth usage { buckets egressBytesThisMonth } } }`, {}, member.token);
    expect(t.team).toEqual({ hasUsageThisMonth: true, usage: { buckets: 0, egressBytesThisMonth: '7' } });
    const r = await server.gql(DELETE_TEAM, { input: { teamId: ephemeral.id } }, member.token);
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
  });
});

describe('Bucket.usage', () => {
  let id: string;
  const USAGE = `query($id: ID!, $from: String!, $to: String!) { node(id: $id) { ... on Bucket { usage(from: $from, to: $to) { day storedBytes egressBytes objectCount } } } }`;

  beforeAll(async () => {
    id = await createBucket(acme, 'metered-usage');
    const days = ['2024-01-05', '2024-01-01', '2024-01-03', '2024-01-04', '2024-01-02', '2023-12-31'];
    await server.database.db.insert(bucketUsage).values(
      days.map((day) => {
        const n = BigInt(Number(day.slice(8)));
        return { teamId: dbId(acme.id), bucketId: dbId(id), day, storedBytes: 5_000_000_000n * n, egressBytes: 100n * n, objectCount: n };
      }),
    );
  });

  it('returns the days between from and to inclusive, oldest first, byte counts as strings', async () => {
    const data = await ok(USAGE, { id, from: '2024-01-02', to: '2024-01-04' }, viewer.token);
    expect(data.node.usage).toEqual([
      { day: '2024-01-02', storedBytes: '10000000000', egressBytes: '200', objectCount: '2' },
      { day: '2024-01-03', storedBytes: '15000000000', egressBytes: '300', objectCount: '3' },
      { day: '2024-01-04', storedBytes: '20000000000', egressBytes: '400', objectCount: '4' },
    ]);
    const one = await ok(USAGE, { id, from: '2023-12-31', to: '2023-12-31' }, viewer.token);
    expect(one.node.usage).toEqual([{ day: '2023-12-31', storedBytes: '155000000000', egressBytes: '3100', objectCount: '31' }]);
    const none = await ok(USAGE, { id, from: '2024-02-01', to: '2024-02-29' }, viewer.token);
    expect(none.node.usage).toEqual([]);
  });

  it('accepts a range of 400 days (inclusive)', async () => {
    // 2023-01-01 .. 2024-02-04 is 400 days.
    const data = await ok(USAGE, { id, from: '2023-01-01', to: '2024-02-04' }, viewer.token);
    expect(data.node.usage.map((u: { day: string }) => u.day)).toEqual([
      '2023-12-31',
      '2024-01-01',
      '2024-01-02',
      '2024-01-03',
      '2024-01-04',
      '2024-01-05',
    ]);
  });

  const badRanges: [string, string, string, string, string][] = [
    ['a day without padding', '2024-1-02', '2024-01-04', 'from', 'from: must be a day written YYYY-MM-DD.'],
    ['a timestamp', '2024-01-02', '2024-01-04T00:00:00Z', 'to', 'to: must be a day written YYYY-MM-DD.'],
    ['month 13', '2024-13-01', '2024-12-01', 'from', 'from: must be a day written YYYY-MM-DD.'],
    ['February 30th', '2024-02-01', '2024-02-30', 'to', 'to: must be a day written YYYY-MM-DD.'],
    ['April 31st', '2024-04-31', '2024-05-02', 'from', 'from: must be a day written YYYY-MM-DD.'],
    ['to before from', '2024-01-04', '2024-01-03', 'to', 'to: must not be before from.'],
    ['401 days', '2023-01-01', '2024-02-05', 'to', 'to: must be less than 400 days after from.'],
    ['several years', '2020-01-01', '2024-01-01', 'to', 'to: must be less than 400 days after from.'],
  ];
  it.each(badRanges)('refuses %s with BAD_USER_INPUT naming the argument', async (_what, from, to, field, message) => {
    const r = await server.gql(USAGE, { id, from, to }, viewer.token);
    expect(errorsOf(r)).toEqual([{ message, path: ['node', 'usage'], extensions: { code: 'BAD_USER_INPUT', field } }]);
    expect(r.body.data).toEqual({ node: null });
  });
});

describe('Bucket.usage batching', () => {
  // The constant observed on both engines; what matters is that it does not grow with the page.
  const STATEMENTS = 4;
  const QUERY = `query($slug: String!) { team(slug: $slug) { buckets(first: 20) { nodes { name usage(from: "2024-03-01", to: "2024-03-03") { day storedBytes } } } } }`;

  async function seed(slug: string, count: number) {
    const team = await newTeam(slug, admin.token);
    const rows = await server.database.db
      .insert(buckets)
      .values(
        Array.from({ length: count }, (_, i) => ({ teamId: dbId(team.id), name: `b-${String(i).padStart(2, '0')}`, region: 'eu-west-1' })),
      )
      .returning();
    await server.database.db.insert(bucketUsage).values(
      rows.flatMap((b, i) =>
        ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04'].map((day, d) => ({
          teamId: b.teamId,
          bucketId: b.id,
          day,
          storedBytes: BigInt(i * 10 + d),
        })),
      ),
    );
  }

  it('issues the same number of statements for 2 and for 15 buckets', async () => {
    await seed('pair', 2);
    await seed('fifteen', 15);
    const two = await server.gql(QUERY, { slug: 'pair' }, admin.token);
    const fifteen = await server.gql(QUERY, { slug: 'fifteen' }, admin.token);
    expect(two.body.errors).toBeUndefined();
    expect(fifteen.body.errors).toBeUndefined();
    expect(two.body.data.team.buckets.nodes).toEqual(
      [0, 1].map((i) => ({
        name: `b-0${i}`,
        usage: [0, 1, 2].map((d) => ({ day: `2024-03-0${d + 1}`, storedBytes: String(i * 10 + d) })),
      })),
    );
    expect(fifteen.body.data.team.buckets.nodes).toHaveLength(15);
    expect(fifteen.body.data.team.buckets.nodes[14]).toEqual({
      name: 'b-14',
      usage: [
        { day: '2024-03-01', storedBytes: '140' },
        { day: '2024-03-02', storedBytes: '141' },
        { day: '2024-03-03', storedBytes: '142' },
      ],
    });
    expect(two.statements).toBe(STATEMENTS);
    expect(fifteen.statements).toBe(STATEMENTS);
  });
});

describe('Team.usage and hasUsageThisMonth', () => {
  const USAGE = `query($slug: String!) { team(slug: $slug) { hasUsageThisMonth usage { apps clusters buckets members storedBytes objectCount egressBytesThisMonth } } }`;

  it('gives exact totals: counts, bytes now, and egress since the first of the month', async () => {
    const metered = await newTeam('metered', owner.token);
    await addMember(metered, viewer, 'VIEWER', owner.token);
    const a = await createBucket(metered, 'big-one');
    const b = await createBucket(metered, 'small-one');
    await createBucket(metered, 'empty-one');
    await setContents(a, 5_000_000_000n, 1_000n);
    await setContents(b, 1n, 1n);
    const app = await ok(
      `mutation($input: CreateAppInput!) { createApp(input: $input) { app { name } ${USER_ERRORS} } }`,
      { input: { teamId: metered.id, name: 'metered-web', platform: 'node' } },
      owner.token,
    );
    expect(app.createApp.userErrors).toEqual([]);
    await server.database.db
      .insert(clusters)
      .values({ teamId: dbId(metered.id), name: 'prod', version: '1.30', cidr: '10.0.0.0/16', region: 'eu-west-1' });
    // Today and the first of the month count; the last day of the previous month does not.
    // (Different buckets, so that the rows stay distinct when today is the first.)
    await server.database.db.insert(bucketUsage).values([
      { teamId: dbId(metered.id), bucketId: dbId(a), day: today(), egressBytes: 4_000_000_000n, storedBytes: 1n },
      { teamId: dbId(metered.id), bucketId: dbId(b), day: thisMonthStart(), egressBytes: 300n },
      { teamId: dbId(metered.id), bucketId: dbId(b), day: lastMonthEnd(), egressBytes: 1_000_000n },
    ]);
    for (const token of [owner.token, viewer.token, rootToken]) {
      const data = await ok(USAGE, { slug: 'metered' }, token);
      expect(data.team).toEqual({
        hasUsageThisMonth: true,
        usage: {
          apps: 1,
          clusters: 1,
          buckets: 3,
          members: 2,
          storedBytes: '5000000001',
          objectCount: '1001',
          egressBytesThisMonth: '4000000300',
        },
      });
    }
  });

  it('has no usage this month with usage from last month only', async () => {
    const quiet = await newTeam('quiet', owner.token);
    const id = await createBucket(quiet, 'old-data');
    await server.database.db
      .insert(bucketUsage)
      .values({ teamId: dbId(quiet.id), bucketId: dbId(id), day: lastMonthEnd(), egressBytes: 999n, storedBytes: 5n, objectCount: 1n });
    const data = await ok(USAGE, { slug: 'quiet' }, owner.token);
    expect(data.team).toEqual({
      hasUsageThisMonth: false,
      usage: { apps: 0, clusters: 0, buckets: 1, members: 1, storedBytes: '0', objectCount: '0', egressBytesThisMonth: '0' },
    });
  });
});

describe('setTeamLimits', () => {
  let target: TeamRef;
  beforeAll(async () => {
    target = await newTeam('limits-target', member.token);
  });

  it('is for platform admins only: a team OWNER gets FORBIDDEN', async () => {
    const r = await server.gql(SET_LIMITS, { input: { teamId: target.id, maxBuckets: 1000 } }, member.token);
    expectRefused(r, 'setTeamLimits', 'FORBIDDEN', 'Only platform admins (team:update) may set team limits.');
    const anonymous = await server.gql(SET_LIMITS, { input: { teamId: target.id, maxBuckets: 1000 } });
    expect(errorsOf(anonymous)?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const limits = await ok(`{ team(slug: "limits-target") { limits { maxBuckets } } }`, {}, member.token);
    expect(limits.team.limits.maxBuckets).toBe(100);
  });

  it('sets several limits in one call; the others stay', async () => {
    const r = await ok(
      SET_LIMITS,
      { input: { teamId: target.id, maxBuckets: 7, maxApps: 3, storageBytes: '5497558138880', bandwidthBytes: 42, rateLimit: 0 } },
      rootToken,
    );
    const limits = {
      storageBytes: '5497558138880',
      bandwidthBytes: '42',
      rateLimit: 0,
      maxBuckets: 7,
      maxApps: 3,
      maxClusters: 5,
      maxMembers: 50,
    };
    expect(r.setTeamLimits).toEqual({ team: { slug: 'limits-target', limits }, userErrors: [] });
    const seen = await ok(
      `{ team(slug: "limits-target") { limits { storageBytes bandwidthBytes rateLimit maxBuckets maxApps maxClusters maxMembers } } }`,
      {},
      member.token,
    );
    expect(seen.team.limits).toEqual(limits);
    const again = await ok(SET_LIMITS, { input: { teamId: target.id, maxClusters: 9, maxMembers: 12 } }, rootToken);
    expect(again.setTeamLimits.team.limits).toEqual({ ...limits, maxClusters: 9, maxMembers: 12 });
    const events = await ok(
      `{ team(slug: "limits-target") { events(first: 5, filter: { kinds: ["team.limits"] }) { nodes { data } } } }`,
      {},
      member.token,
    );
    expect(events.team.events.nodes.map((e: { data: unknown }) => e.data)).toEqual([
      { maxClusters: 9, maxMembers: 12 },
      { maxBuckets: 7, maxApps: 3, storageBytes: '5497558138880', bandwidthBytes: '42', rateLimit: 0 },
    ]);
  });

  it('refuses negative values with userErrors naming each field', async () => {
    const r = await server.gql(SET_LIMITS, { input: { teamId: target.id, maxApps: -1, storageBytes: '-5', maxBuckets: 8 } }, rootToken);
    expect(r.body).toEqual({
      data: {
        setTeamLimits: {
          team: null,
          userErrors: [
            { field: ['input', 'maxApps'], code: 'INVALID', message: 'maxApps must be 0 or more' },
            { field: ['input', 'storageBytes'], code: 'INVALID', message: 'storageBytes must be 0 or more' },
          ],
        },
      },
    });
    const tooBig = await server.gql(SET_LIMITS, { input: { teamId: target.id, maxClusters: 10_001 } }, rootToken);
    expect(tooBig.body.data.setTeamLimits.userErrors).toEqual([
      { field: ['input', 'maxClusters'], code: 'INVALID', message: 'maxClusters must be at most 10000' },
    ]);
    const limits = await ok(`{ team(slug: "limits-target") { limits { maxBuckets maxApps maxClusters storageBytes } } }`, {}, member.token);
    expect(limits.team.limits).toEqual({ maxBuckets: 7, maxApps: 3, maxClusters: 9, storageBytes: '5497558138880' });
  });

  it('refuses a call with no limits with a userError', async () => {
    for (const input of [{ teamId: target.id }, { teamId: target.id, maxApps: null, storageBytes: null }]) {
      const r = await server.gql(SET_LIMITS, { input }, rootToken);
      expect(r.body).toEqual({
        data: {
          setTeamLimits: { team: null, userErrors: [{ field: null, code: 'INVALID', message: 'Give at least one limit to set.' }] },
        },
      });
    }
  });

  it('answers NOT_FOUND for an unknown team', async () => {
    const r = await server.gql(SET_LIMITS, { input: { teamId: globalId('Team', randomUUID()), maxApps: 1 } }, rootToken);
    expectRefused(r, 'setTeamLimits', 'NOT_FOUND', 'Team not found.');
  });
});

describe('buckets connection', () => {
  const LIST = `query($first: Int, $after: String, $filter: BucketFilter, $orderBy: BucketOrder) {
    buckets(first: $first, after: $after, filter: $filter, orderBy: $orderBy) { totalCount nodes { name team { slug } } pageInfo { hasNextPage endCursor } } }`;
  const names = (data: any) => data.buckets.nodes.map((b: { name: string }) => b.name);

  beforeAll(async () => {
    const north = await newTeam('north', lister.token);
    const south = await newTeam('south', lister.token);
    // Created one after another, so that creation order differs from name order.
    await createBucket(north, 'zeta-logs', lister.token, { region: 'us-east-1', visibility: 'PUBLIC' });
    await createBucket(north, 'alpha-media', lister.token, { region: 'eu-west-1' });
    await createBucket(south, 'mid-backups', lister.token, { region: 'us-east-1' });
    await createBucket(south, 'beta-media', lister.token, { region: 'eu-central-1', visibility: 'PUBLIC' });
    await createBucket(north, 'gamma-archive', lister.token, { region: 'eu-west-1' });
  });

  it('lists the readable buckets by name, and pages with first/after', async () => {
    const all = await ok(LIST, {}, lister.token);
    expect(all.buckets.totalCount).toBe(5);
    expect(names(all)).toEqual(['alpha-media', 'beta-media', 'gamma-archive', 'mid-backups', 'zeta-logs']);
    expect(all.buckets.nodes[1]).toEqual({ name: 'beta-media', team: { slug: 'south' } });
    const page1 = await ok(LIST, { first: 2 }, lister.token);
    expect(names(page1)).toEqual(['alpha-media', 'beta-media']);
    expect(page1.buckets.pageInfo.hasNextPage).toBe(true);
    const page2 = await ok(LIST, { first: 2, after: page1.buckets.pageInfo.endCursor }, lister.token);
    expect(names(page2)).toEqual(['gamma-archive', 'mid-backups']);
    const page3 = await ok(LIST, { first: 2, after: page2.buckets.pageInfo.endCursor }, lister.token);
    expect(names(page3)).toEqual(['zeta-logs']);
    expect(page3.buckets.pageInfo.hasNextPage).toBe(false);
    expect(page3.buckets.totalCount).toBe(5);
  });

  it('orders by NAME DESC and by CREATED_AT both ways', async () => {
    const desc = await ok(LIST, { orderBy: { field: 'NAME', direction: 'DESC' } }, lister.token);
    expect(names(desc)).toEqual(['zeta-logs', 'mid-backups', 'gamma-archive', 'beta-media', 'alpha-media']);
    const created = await ok(LIST, { orderBy: { field: 'CREATED_AT', direction: 'ASC' } }, lister.token);
    expect(names(created)).toEqual(['zeta-logs', 'alpha-media', 'mid-backups', 'beta-media', 'gamma-archive']);
    const newest = await ok(LIST, { first: 2, orderBy: { field: 'CREATED_AT', direction: 'DESC' } }, lister.token);
    expect(names(newest)).toEqual(['gamma-archive', 'beta-media']);
    const next = await ok(
      LIST,
      { first: 2, after: newest.buckets.pageInfo.endCursor, orderBy: { field: 'CREATED_AT', direction: 'DESC' } },
      lister.token,
    );
    expect(names(next)).toEqual(['mid-backups', 'alpha-media']);
  });

  it('filters by name (contains, case-insensitive, literal), team slug, region and visibility', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ name: 'MEDIA' }, ['alpha-media', 'beta-media']],
      [{ name: '_' }, []],
      [{ name: '%' }, []],
      [{ teamSlug: 'south' }, ['beta-media', 'mid-backups']],
      [{ teamSlug: 'acme' }, []],
      [{ teamSlug: 'nowhere' }, []],
      [{ region: 'us-east-1' }, ['mid-backups', 'zeta-logs']],
      [{ region: 'eu-west-1', teamSlug: 'north' }, ['alpha-media', 'gamma-archive']],
      [{ visibility: 'PUBLIC' }, ['beta-media', 'zeta-logs']],
      [{ visibility: 'PRIVATE', name: 'a' }, ['alpha-media', 'gamma-archive', 'mid-backups']],
    ];
    for (const [filter, expected] of cases) {
      const data = await ok(LIST, { filter }, lister.token);
      expect({ filter, names: names(data), totalCount: data.buckets.totalCount }).toEqual({
        filter,
        names: expected,
        totalCount: expected.length,
      });
    }
  });

  it('lists nothing for a stranger, everything for a platform admin, and requires authentication', async () => {
    expect((await ok(LIST, {}, stranger.token)).buckets).toEqual({
      totalCount: 0,
      nodes: [],
      pageInfo: { hasNextPage: false, endCursor: null },
    });
    const asRoot = await ok(LIST, { filter: { teamSlug: 'north' } }, rootToken);
    expect(names(asRoot)).toEqual(['alpha-media', 'gamma-archive', 'zeta-logs']);
    const anonymous = await server.gql(LIST, {});
    expect(errorsOf(anonymous)?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('Team.buckets lists the team’s buckets only', async () => {
    const data = await ok(
      `{ team(slug: "north") { buckets(first: 10, orderBy: { field: NAME, direction: DESC }) { totalCount nodes { name } } } }`,
      {},
      lister.token,
    );
    expect(data.team.buckets).toEqual({
      totalCount: 3,
      nodes: [{ name: 'zeta-logs' }, { name: 'gamma-archive' }, { name: 'alpha-media' }],
    });
  });
});

describe('Bucket.viewerPermissions', () => {
  it('gives each role its bucket permissions', async () => {
    const id = await createBucket(acme, 'permissions-probe');
    const Q = `query($id: ID!) { node(id: $id) { ... on Bucket { viewerPermissions } } }`;
    const expected: [User, string[]][] = [
      [viewer, ['bucket:read']],
      [member, ['bucket:read', 'bucket:update']],
      [admin, ['bucket:delete', 'bucket:read', 'bucket:update']],
      [owner, ['bucket:delete', 'bucket:read', 'bucket:update']],
    ];
    for (const [user, permissions] of expected) {
      const data = await ok(Q, { id }, user.token);
      expect({ email: user.email, permissions: data.node.viewerPermissions }).toEqual({
        email: user.email,
        permissions,
      });
    }
  });
});
