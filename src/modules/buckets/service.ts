import { count, eq } from 'drizzle-orm';
import { isIP } from 'node:net';
import { z } from 'zod';
import { isUniqueViolation } from '../../db/errors.js';
import { buckets } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { parseInput } from '../../graphql/validation.js';
import { audited } from '../events/audit.js';
import { lockTeam } from '../teams/team-service.js';
import { guarded } from '../../iam/guard.js';
import { bucketById } from './loaders.js';
import { REGION_NAMES } from './regions.js';
import type { BucketRow } from './types.js';

/** S3 bucket naming rules, each with its own message. */
const bucketName = z
  .string()
  .trim()
  .min(3, { error: 'must be at least 3 characters' })
  .max(63, { error: 'must be at most 63 characters' })
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, {
    error: 'must be lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit',
  })
  .refine((n) => !n.includes('..'), { error: 'must not contain two dots in a row' })
  .refine((n) => isIP(n) === 0, { error: 'must not look like an IP address' })
  .refine((n) => !n.startsWith('xn--') && !n.endsWith('-s3alias'), { error: 'must not start with xn-- or end with -s3alias (reserved)' });

const region = z.string().refine((r) => REGION_NAMES.includes(r), { error: `must be one of the regions: ${REGION_NAMES.join(', ')}` });
const visibility = z.enum(['PRIVATE', 'PUBLIC']);

const createSchema = z.object({
  name: bucketName,
  region,
  versioning: z.boolean().default(false),
  visibility: visibility.default('PRIVATE'),
});

const updateSchema = z.object({ versioning: z.boolean().optional(), visibility: visibility.optional() });

/** The bucket the guard checked the declaration on. */
const declaredBucket = (ctx: Context, bucketId: string): Promise<BucketRow> =>
  guarded(ctx.loaders.get(bucketById).load(bucketId), 'Bucket');

export async function createBucket(ctx: Context, teamId: string, rawInput: unknown): Promise<{ bucket: BucketRow }> {
  const input = parseInput(createSchema, rawInput);
  const taken = () => userError('name', UserErrorCode.TAKEN, `The team already has a bucket named ${input.name}.`);
  try {
    return await audited(ctx, 'bucket.create', async (tx) => {
      // The team lock makes the bucket limit hold under concurrent creates.
      const team = await lockTeam(tx, teamId);
      const [{ owned }] = await tx.select({ owned: count() }).from(buckets).where(eq(buckets.teamId, teamId));
      if (owned >= team.maxBuckets)
        throw userError(
          ['input', 'teamId'],
          UserErrorCode.LIMIT_REACHED,
          `Team ${team.slug} already has ${owned} buckets, its limit; delete one or ask an admin to raise it.`,
        );
      const [bucket] = await tx
        .insert(buckets)
        .values({ ...input, teamId })
        .onConflictDoNothing()
        .returning();
      if (!bucket) throw taken();
      return { result: { bucket }, target: { type: 'Bucket', id: bucket.id }, teamId, data: { name: bucket.name, region: bucket.region } };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'buckets_team_name_key')) throw taken();
    throw error;
  }
}

export async function updateBucket(ctx: Context, bucketId: string, rawInput: unknown): Promise<{ bucket: BucketRow }> {
  const input = parseInput(updateSchema, rawInput);
  const bucket = await declaredBucket(ctx, bucketId);
  return audited(ctx, 'bucket.update', async (tx) => {
    const [updated] = await tx
      .update(buckets)
      .set({ ...input, updatedAt: new Date() })
      .where(eq(buckets.id, bucketId))
      .returning();
    return { result: { bucket: updated }, target: { type: 'Bucket', id: bucketId }, teamId: bucket.teamId, data: { changed: input } };
  });
}

/** Deletes a bucket; one still holding objects only with `force` (PM2 and Storj refuse otherwise). */
export async function deleteBucket(ctx: Context, bucketId: string, force: boolean): Promise<{ bucket: BucketRow }> {
  const bucket = await declaredBucket(ctx, bucketId);
  return audited(ctx, 'bucket.delete', async (tx) => {
    const [current] = await tx.select().from(buckets).where(eq(buckets.id, bucketId)).for('update');
    if (!current) throw notFound('Bucket');
    if (current.objectCount > 0n && !force)
      throw userError(
        ['input', 'force'],
        UserErrorCode.IN_USE,
        `Bucket ${current.name} still holds ${current.objectCount} objects; empty it first, or pass force: true to delete them with it.`,
      );
    // Usage rows stay (bucket_id set null): the month's usage still counts for the team.
    await tx.delete(buckets).where(eq(buckets.id, bucketId));
    return {
      result: { bucket: current },
      target: { type: 'Bucket', id: bucketId },
      teamId: bucket.teamId,
      data: { name: current.name, force, objects: current.objectCount.toString() },
    };
  });
}
