import { and, count, eq, inArray, isNull } from 'drizzle-orm';
import { hashPassword } from '../auth/passwords.js';
import { hashSecret, newSecret } from '../auth/secrets.js';
import { permissionsGrantableAt } from '../iam/permissions.js';
import type { Db, Executor } from './client.js';
import {
  apiTokens,
  appCnames,
  appEnvVars,
  appGrants,
  appProcesses,
  appUnits,
  apps,
  bucketUsage,
  buckets,
  clusterVersions,
  clusters,
  deploys,
  invitations,
  memberships,
  nodePools,
  operations,
  plans,
  platforms,
  pools,
  sessions,
  teams,
  users,
} from './schema/index.js';

/** Read-only catalogs every installation has (apps and clusters pick from them). */
export async function seedCatalogs(db: Db): Promise<void> {
  await db
    .insert(platforms)
    .values([
      { name: 'node', description: 'Node.js' },
      { name: 'python', description: 'Python' },
      { name: 'go', description: 'Go' },
      { name: 'ruby', description: 'Ruby' },
      { name: 'java', description: 'Java' },
      { name: 'static', description: 'Static files served by nginx' },
    ])
    .onConflictDoNothing();
  await db
    .insert(plans)
    .values([
      { name: 'small', description: '256 MB, 0.25 CPU', memoryMb: 256, cpuMillis: 250, isDefault: true },
      { name: 'medium', description: '1 GB, 1 CPU', memoryMb: 1024, cpuMillis: 1000 },
      { name: 'large', description: '4 GB, 2 CPU', memoryMb: 4096, cpuMillis: 2000 },
    ])
    .onConflictDoNothing();
  await db
    .insert(pools)
    .values([
      { name: 'default', description: 'Shared pool', isDefault: true },
      { name: 'dedicated', description: 'Dedicated nodes' },
    ])
    .onConflictDoNothing();
  await db
    .insert(clusterVersions)
    .values([{ version: '1.29', deprecated: true }, { version: '1.30' }, { version: '1.31', isDefault: true }])
    .onConflictDoNothing();
}

/** Makes sure the configured platform admin exists and is an active admin (first start of a real deployment). */
export async function ensureAdmin(db: Db, admin: { email: string; password: string }): Promise<'created' | 'promoted' | 'unchanged'> {
  const email = admin.email.trim().toLowerCase();
  const [existing] = await db.select().from(users).where(eq(users.email, email));
  if (existing) {
    if (existing.platformRole === 'ADMIN' && existing.status === 'ACTIVE') return 'unchanged';
    // Promoting an account someone may have registered under this address before the operator
    // configured it: the configured password becomes the only way in, and what it had open is closed.
    const passwordHash = await hashPassword(admin.password);
    await db.transaction(async (tx) => {
      await tx
        .update(users)
        .set({ platformRole: 'ADMIN', status: 'ACTIVE', passwordHash, emailVerifiedAt: existing.emailVerifiedAt ?? new Date() })
        .where(eq(users.id, existing.id));
      await tx
        .update(sessions)
        .set({ endedAt: new Date() })
        .where(and(eq(sessions.userId, existing.id), isNull(sessions.endedAt)));
      await tx
        .update(apiTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiTokens.userId, existing.id), isNull(apiTokens.revokedAt)));
    });
    return 'promoted';
  }
  await db.insert(users).values({
    email,
    fullName: 'Platform admin',
    passwordHash: await hashPassword(admin.password),
    platformRole: 'ADMIN',
    emailVerifiedAt: new Date(),
  });
  return 'created';
}

export async function isEmpty(db: Db): Promise<boolean> {
  const [{ n }] = await db.select({ n: count() }).from(users);
  return n === 0;
}

export const DEMO_PASSWORD = 'demo-password';

export async function hasDemoData(db: Db): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).where(inArray(users.email, DEMO_EMAILS));
  return !!row;
}

const DEMO_EMAILS = ['admin@graphplane.dev', 'alice@graphplane.dev', 'bob@graphplane.dev', 'carol@graphplane.dev', 'dave@graphplane.dev'];

export interface DemoCredential {
  email: string;
  role: string;
}

const HOUR = 3600_000;
const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR);

/** A few apps with processes, units, env vars, deploys and a grant, so dashboards have something to show. */
async function seedDemoApps(tx: Executor, team: (slug: string) => string, user: (short: string) => string): Promise<void> {
  const made = await tx
    .insert(apps)
    .values([
      {
        teamId: team('acme'),
        name: 'acme-web',
        description: 'Storefront',
        platform: 'node',
        plan: 'medium',
        pool: 'default',
        tags: ['web'],
        state: 'RUNNING',
      },
      {
        teamId: team('acme'),
        name: 'acme-api',
        description: 'Public API',
        platform: 'go',
        plan: 'small',
        pool: 'default',
        tags: ['api'],
        state: 'RUNNING',
        unitLimit: 10,
      },
      {
        teamId: team('globex'),
        name: 'globex-etl',
        description: 'Nightly ETL',
        platform: 'python',
        plan: 'large',
        pool: 'dedicated',
        tags: ['data'],
        state: 'STOPPED',
      },
    ])
    .returning();
  const app = (name: string) => made.find((a) => a.name === name)!;
  for (const a of made) {
    const running = a.state === 'RUNNING';
    const [web] = await tx.insert(appProcesses).values({ teamId: a.teamId, appId: a.id, name: 'web', units: 2 }).returning();
    await tx.insert(appUnits).values(
      [1, 2].map((n) => ({
        teamId: a.teamId,
        appId: a.id,
        processId: web.id,
        name: `${a.name}-web-${n}`,
        status: running ? ('STARTED' as const) : ('STOPPED' as const),
      })),
    );
    await tx.insert(appEnvVars).values([
      { teamId: a.teamId, appId: a.id, name: 'LOG_LEVEL', value: 'info' },
      { teamId: a.teamId, appId: a.id, name: 'DATABASE_URL', value: `postgres://${a.name}:s3cret@db.internal/${a.name}`, secret: true },
    ]);
    await tx.insert(deploys).values({
      teamId: a.teamId,
      appId: a.id,
      version: 1,
      image: `registry.graphplane.dev/${a.name}:1.0.0`,
      origin: 'IMAGE',
      message: 'First release',
      status: 'SUCCEEDED',
      userId: user('alice'),
      startedAt: hoursAgo(48),
      finishedAt: new Date(hoursAgo(48).getTime() + 60_000),
    });
    await tx.insert(deploys).values({
      teamId: a.teamId,
      appId: a.id,
      version: 2,
      commit: 'a1b2c3d4e5f6',
      origin: 'GIT',
      message: 'Faster checkout',
      status: 'SUCCEEDED',
      userId: user('bob'),
      startedAt: hoursAgo(1),
      finishedAt: new Date(hoursAgo(1).getTime() + 90_000),
    });
  }
  await tx.insert(appCnames).values({ teamId: team('acme'), appId: app('acme-web').id, hostname: 'shop.acme.example' });
  await tx.insert(appGrants).values({
    teamId: team('acme'),
    appId: app('acme-api').id,
    granteeTeamId: team('globex'),
    permissions: permissionsGrantableAt('APP'),
  });
}

/** Buckets with three months of daily usage, so usage charts have something to draw. */
async function seedDemoBuckets(tx: Executor, team: (slug: string) => string): Promise<void> {
  const GB = 1024n ** 3n;
  const made = await tx
    .insert(buckets)
    .values([
      { teamId: team('acme'), name: 'acme-assets', region: 'eu-west-1', visibility: 'PUBLIC', storedBytes: 42n * GB, objectCount: 18_204n },
      { teamId: team('acme'), name: 'acme-backups', region: 'eu-central-1', versioning: true, storedBytes: 310n * GB, objectCount: 2_113n },
      { teamId: team('globex'), name: 'globex-lake', region: 'us-east-1', storedBytes: 1_200n * GB, objectCount: 904_311n },
    ])
    .returning();
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const rows = made.flatMap((bucket) =>
    Array.from({ length: 90 }, (_, back) => {
      const share = BigInt(90 - back); // grows towards today
      return {
        teamId: bucket.teamId,
        bucketId: bucket.id,
        day: new Date(today - back * 86_400_000).toISOString().slice(0, 10),
        storedBytes: (bucket.storedBytes * share) / 90n,
        egressBytes: (bucket.storedBytes / 40n) * BigInt(1 + (back % 7)),
        objectCount: (bucket.objectCount * share) / 90n,
      };
    }),
  );
  await tx.insert(bucketUsage).values(rows);
}

/**
 * Clusters in several states with their operations: a READY one running two apps, one left in
 * ERROR by a failed upgrade (retryOperation works on it), and one still PROVISIONING whose
 * queued operation the server's worker runs on start, so progress can be watched live.
 */
async function seedDemoClusters(tx: Executor, team: (slug: string) => string, user: (short: string) => string): Promise<void> {
  const endpoints = (name: string, region: string) => ({
    apiUrl: `https://api.${name}.${region}.clusters.graphplane.dev:6443`,
    consoleUrl: `https://console.${name}.${region}.clusters.graphplane.dev`,
  });
  const made = await tx
    .insert(clusters)
    .values([
      {
        teamId: team('acme'),
        name: 'prod-eu',
        description: 'Production, Ireland',
        version: '1.31',
        cidr: '10.10.0.0/16',
        region: 'eu-west-1',
        status: 'READY',
        ...endpoints('prod-eu', 'eu-west-1'),
      },
      {
        teamId: team('acme'),
        name: 'staging',
        description: 'Staging; its upgrade to 1.31 failed',
        version: '1.30',
        cidr: '10.20.0.0/20',
        region: 'eu-central-1',
        status: 'ERROR',
        ...endpoints('staging', 'eu-central-1'),
      },
      {
        teamId: team('globex'),
        name: 'analytics',
        description: 'Spark and notebooks',
        version: '1.30',
        cidr: '172.16.0.0/16',
        region: 'us-east-1',
        status: 'READY',
        ...endpoints('analytics', 'us-east-1'),
      },
      {
        teamId: team('globex'),
        name: 'ml-training',
        description: 'GPU-less for now',
        version: '1.31',
        cidr: '172.17.0.0/16',
        region: 'us-west-2',
      },
    ])
    .returning();
  const cluster = (name: string) => made.find((c) => c.name === name)!;
  const pools = await tx
    .insert(nodePools)
    .values(
      [
        { cluster: cluster('prod-eu'), name: 'web', nodeType: 'standard-4', nodeCount: 3, zone: 'eu-west-1a' },
        { cluster: cluster('prod-eu'), name: 'batch', nodeType: 'compute-8', nodeCount: 2, zone: 'eu-west-1b' },
        { cluster: cluster('staging'), name: 'default', nodeType: 'standard-2', nodeCount: 2, zone: 'eu-central-1a' },
        { cluster: cluster('analytics'), name: 'workers', nodeType: 'memory-4', nodeCount: 5, zone: 'us-east-1a' },
        { cluster: cluster('ml-training'), name: 'default', nodeType: 'standard-8', nodeCount: 4, zone: 'us-west-2a' },
      ].map(({ cluster: c, ...pool }) => ({ ...pool, teamId: c.teamId, clusterId: c.id })),
    )
    .returning();
  const on = (c: (typeof made)[number], target: { type: string; id: string } = { type: 'Cluster', id: c.id }) => ({
    teamId: c.teamId,
    resourceType: 'CLUSTER' as const,
    resourceId: c.id,
    targetType: target.type,
    targetId: target.id,
    input: { region: c.region },
  });
  const finished = (startedHoursAgo: number, minutes: number) => ({
    startedAt: hoursAgo(startedHoursAgo),
    finishedAt: new Date(hoursAgo(startedHoursAgo).getTime() + minutes * 60_000),
    createdAt: hoursAgo(startedHoursAgo),
    attempts: 1,
  });
  const batch = pools.find((p) => p.name === 'batch')!;
  await tx.insert(operations).values([
    {
      ...on(cluster('prod-eu')),
      type: 'CLUSTER_CREATE',
      status: 'DONE',
      progress: 100,
      step: 4,
      createdById: user('alice'),
      result: endpoints('prod-eu', 'eu-west-1'),
      ...finished(120, 6),
    },
    {
      ...on(cluster('prod-eu'), { type: 'NodePool', id: batch.id }),
      input: { region: 'eu-west-1', nodePoolId: batch.id, fromCount: 1, nodeCount: 2 },
      type: 'NODE_POOL_SCALE',
      status: 'DONE',
      progress: 100,
      step: 1,
      createdById: user('bob'),
      result: { nodeCount: 2 },
      ...finished(20, 2),
    },
    {
      ...on(cluster('staging')),
      type: 'CLUSTER_CREATE',
      status: 'DONE',
      progress: 100,
      step: 4,
      createdById: user('bob'),
      result: endpoints('staging', 'eu-central-1'),
      ...finished(96, 5),
    },
    {
      ...on(cluster('staging')),
      input: { region: 'eu-central-1', fromVersion: '1.30', version: '1.31' },
      type: 'CLUSTER_UPDATE',
      status: 'FAILED',
      progress: 50,
      step: 1,
      createdById: user('alice'),
      error: 'Node pool default did not drain within 15 minutes; retry the operation.',
      ...finished(3, 15),
    },
    {
      ...on(cluster('analytics')),
      type: 'CLUSTER_CREATE',
      status: 'DONE',
      progress: 100,
      step: 4,
      createdById: user('bob'),
      result: endpoints('analytics', 'us-east-1'),
      ...finished(200, 7),
    },
    { ...on(cluster('ml-training')), type: 'CLUSTER_CREATE', createdById: user('bob') },
  ]);
  await tx
    .update(apps)
    .set({ clusterId: cluster('prod-eu').id })
    .where(inArray(apps.name, ['acme-web', 'acme-api']));
}

/** Demo users, teams, members, pending invitations, apps, buckets and clusters, for trying the API in the playground. */
export async function seedDemoData(db: Db): Promise<DemoCredential[]> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const people = [
    { email: 'admin@graphplane.dev', fullName: 'Ada Admin', shortName: 'ada', platformRole: 'ADMIN' as const },
    { email: 'alice@graphplane.dev', fullName: 'Alice Anders', shortName: 'alice' },
    { email: 'bob@graphplane.dev', fullName: 'Bob Brown', shortName: 'bob' },
    { email: 'carol@graphplane.dev', fullName: 'Carol Chen', shortName: 'carol' },
    { email: 'dave@graphplane.dev', fullName: 'Dave Diaz', shortName: 'dave' },
  ];
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(users)
      .values(people.map((p) => ({ ...p, passwordHash, emailVerifiedAt: new Date() })))
      .returning();
    const id = (short: string) => inserted.find((u) => u.shortName === short)!.id;
    const made = await tx
      .insert(teams)
      .values([
        { slug: 'acme', name: 'Acme Corp', description: 'Production workloads of Acme', tags: ['production', 'web'] },
        { slug: 'globex', name: 'Globex', description: 'Globex data platform', tags: ['data'] },
        { slug: 'initech', name: 'Initech', description: 'Internal tools', tags: ['internal'] },
      ])
      .returning();
    const team = (slug: string) => made.find((t) => t.slug === slug)!.id;
    await tx.insert(memberships).values([
      { teamId: team('acme'), userId: id('alice'), role: 'OWNER' },
      { teamId: team('acme'), userId: id('bob'), role: 'ADMIN' },
      { teamId: team('acme'), userId: id('carol'), role: 'VIEWER' },
      { teamId: team('globex'), userId: id('bob'), role: 'OWNER' },
      { teamId: team('globex'), userId: id('alice'), role: 'MEMBER', notification: 'NONE' },
      { teamId: team('initech'), userId: id('carol'), role: 'OWNER' },
    ]);
    const inAWeek = new Date(Date.now() + 7 * 24 * 3600 * 1000);
    await tx.insert(invitations).values([
      {
        teamId: team('acme'),
        email: 'dave@graphplane.dev',
        role: 'MEMBER',
        inviterId: id('alice'),
        tokenHash: hashSecret(newSecret('invitation')),
        expiresAt: inAWeek,
      },
      {
        teamId: team('globex'),
        email: 'erin@example.com',
        role: 'VIEWER',
        inviterId: id('bob'),
        tokenHash: hashSecret(newSecret('invitation')),
        expiresAt: inAWeek,
      },
      {
        teamId: team('initech'),
        email: 'alice@graphplane.dev',
        role: 'ADMIN',
        inviterId: id('carol'),
        tokenHash: hashSecret(newSecret('invitation')),
        expiresAt: inAWeek,
      },
    ]);
    await seedDemoApps(tx, team, id);
    await seedDemoBuckets(tx, team);
    await seedDemoClusters(tx, team, id);
    return [
      { email: 'admin@graphplane.dev', role: 'platform admin' },
      { email: 'alice@graphplane.dev', role: 'owner of acme, member of globex, invited to initech' },
      { email: 'bob@graphplane.dev', role: 'owner of globex, admin of acme' },
      { email: 'carol@graphplane.dev', role: 'owner of initech, viewer of acme' },
      { email: 'dave@graphplane.dev', role: 'no team yet, invited to acme' },
    ];
  });
}
