import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { badInput } from '../../graphql/errors.js';
import { INPUT_ARG, withoutNulls } from '../../graphql/inputs.js';
import { Requires, on, permission } from '../../iam/declarations.js';
import { registerTarget, resourceTarget } from '../../iam/guard.js';
import { registerNodeType } from '../../graphql/node-registry.js';
import { idOf, toGlobalId } from '../../graphql/relay.js';
import { Payload, payload } from '../../graphql/user-errors.js';
import { teamById } from '../teams/loaders.js';
import { Team, type TeamRow } from '../teams/types.js';
import { allBuckets, bucketById, bucketsOfTeam, usageByBucket } from './loaders.js';
import { REGIONS } from './regions.js';
import * as service from './service.js';
import { Bucket, BucketConnection, BucketConnectionArgs, BucketUsageDay, BucketVisibility, Region, type BucketRow } from './types.js';

registerNodeType('Bucket', (ctx, id) => ctx.loaders.get(bucketById).load(id));
registerTarget(
  'BUCKET',
  resourceTarget('BUCKET', 'Bucket', (ctx, id) => ctx.loaders.get(bucketById).load(id)),
);

@InputType({ description: 'A new bucket.' })
export class CreateBucketInput {
  @Field(() => ID, { description: 'The team that owns it (you need bucket:create there).' })
  teamId!: string;
  @Field(() => String, { description: '3–63 lowercase letters, digits, dots and hyphens; unique in the team.' })
  name!: string;
  @Field(() => String, { description: 'A region from `regions`.' })
  region!: string;
  @Field(() => Boolean, { nullable: true, description: 'Keep object versions; false when omitted.' })
  versioning?: boolean | null;
  @Field(() => BucketVisibility, { nullable: true, description: 'PRIVATE when omitted.' })
  visibility?: BucketVisibility | null;
}

@InputType({ description: 'Changes to a bucket; omitted fields stay as they are.' })
export class UpdateBucketInput {
  @Field(() => ID, { description: 'The bucket.' })
  bucketId!: string;
  @Field(() => Boolean, { nullable: true, description: 'Keep object versions.' })
  versioning?: boolean | null;
  @Field(() => BucketVisibility, { nullable: true, description: 'Who may read the objects.' })
  visibility?: BucketVisibility | null;
}

@InputType({ description: 'The bucket to delete.' })
export class DeleteBucketInput {
  @Field(() => ID, { description: 'The bucket.' })
  bucketId!: string;
  @Field(() => Boolean, { nullable: true, description: 'Delete it even though it still holds objects (they are deleted with it).' })
  force?: boolean | null;
}

@ObjectType({ description: 'Result of createBucket or updateBucket.' })
export class BucketPayload extends Payload {
  @Field(() => Bucket, { nullable: true, description: 'The bucket.' })
  bucket?: Bucket | null;
}

@ObjectType({ description: 'Result of deleteBucket.' })
export class DeleteBucketPayload extends Payload {
  @Field(() => ID, { nullable: true, description: 'The ID of the deleted bucket.' })
  deletedBucketId?: string | null;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A real day: Date.parse alone rolls 2024-02-30 over into March. */
const isCalendarDay = (value: string) =>
  DAY.test(value) && !Number.isNaN(Date.parse(value)) && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
const MAX_USAGE_DAYS = 400;

@Resolver(() => Bucket)
export class BucketResolver {
  @Query(() => BucketConnection, { description: 'The buckets you can read; by name.' })
  buckets(@Args(() => BucketConnectionArgs) args: BucketConnectionArgs, @Ctx() ctx: Context) {
    return allBuckets.root(ctx, args);
  }

  @Query(() => [Region], { description: 'Regions buckets and clusters can be created in.' })
  regions(): Region[] {
    return REGIONS.map((r) => ({ ...r }));
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The owner team, when you can read it.' })
  team(@Root() bucket: BucketRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(teamById).load(bucket.teamId);
  }

  @FieldResolver(() => [BucketUsageDay], { description: 'Daily usage between two days (inclusive, UTC, at most 400 days), oldest first.' })
  usage(
    @Root() bucket: BucketRow,
    @Arg('from', () => String, { description: 'First day, YYYY-MM-DD.' }) from: string,
    @Arg('to', () => String, { description: 'Last day, YYYY-MM-DD.' }) to: string,
    @Ctx() ctx: Context,
  ) {
    for (const [name, value] of [
      ['from', from],
      ['to', to],
    ] as const)
      if (!isCalendarDay(value)) throw badInput(name, 'must be a day written YYYY-MM-DD.');
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (days < 0) throw badInput('to', 'must not be before from.');
    if (days >= MAX_USAGE_DAYS) throw badInput('to', `must be less than ${MAX_USAGE_DAYS} days after from.`);
    return ctx.loaders.get(usageByBucket, `${from}/${to}`, { from, to }).load(bucket.id);
  }

  @FieldResolver(() => [String], { description: 'The permissions you hold on this bucket (`bucket:…`), to show or hide actions.' })
  async viewerPermissions(@Root() bucket: BucketRow, @Ctx() ctx: Context): Promise<string[]> {
    return ctx.policy.resourceActions('BUCKET', bucket);
  }

  @Requires(permission('bucket:create', on.team('input.teamId'), 'create buckets in this team'))
  @Mutation(() => BucketPayload, { description: 'Creates a bucket in a team, within the team’s bucket limit.' })
  createBucket(@Arg('input', () => CreateBucketInput, INPUT_ARG) input: CreateBucketInput, @Ctx() ctx: Context) {
    const { teamId, ...rest } = input;
    return payload(() => service.createBucket(ctx, idOf('Team', teamId, 'teamId'), withoutNulls(rest)));
  }

  @Requires(permission('bucket:update', on.bucket('input.bucketId'), 'update this bucket'))
  @Mutation(() => BucketPayload, { description: 'Changes a bucket’s versioning or visibility.' })
  updateBucket(@Arg('input', () => UpdateBucketInput, INPUT_ARG) input: UpdateBucketInput, @Ctx() ctx: Context) {
    const { bucketId, ...rest } = input;
    return payload(() => service.updateBucket(ctx, idOf('Bucket', bucketId, 'bucketId'), withoutNulls(rest)));
  }

  @Requires(permission('bucket:delete', on.bucket('input.bucketId'), 'delete this bucket'))
  @Mutation(() => DeleteBucketPayload, { description: 'Deletes a bucket; one that still holds objects only with force.' })
  deleteBucket(@Arg('input', () => DeleteBucketInput, INPUT_ARG) input: DeleteBucketInput, @Ctx() ctx: Context) {
    return payload(async () => {
      const { bucket } = await service.deleteBucket(ctx, idOf('Bucket', input.bucketId, 'bucketId'), input.force ?? false);
      return { deletedBucketId: toGlobalId('Bucket', bucket.id) };
    });
  }
}

@Resolver(() => Team)
export class TeamBucketsResolver {
  @FieldResolver(() => BucketConnection, { description: 'Buckets the team owns (those you can read), by name.' })
  buckets(@Root() team: TeamRow, @Args(() => BucketConnectionArgs) args: BucketConnectionArgs, @Ctx() ctx: Context) {
    return bucketsOfTeam.forParent(ctx, team.id, args);
  }
}
