import { eq } from 'drizzle-orm';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { z } from 'zod';
import { teams } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { Requires, on, permission } from '../../iam/declarations.js';
import { INPUT_ARG, withoutNulls } from '../../graphql/inputs.js';
import { idOf } from '../../graphql/relay.js';
import { BigIntScalar } from '../../graphql/scalars.js';
import { Payload, payload } from '../../graphql/user-errors.js';
import { parseInput } from '../../graphql/validation.js';
import { audited } from '../events/audit.js';
import { Team, type TeamRow } from './types.js';
import { usageByTeam } from './usage.js';

@ObjectType({ description: 'What a team owns and has used this month, to set against its limits (Storj usage).' })
export class TeamUsage {
  @Field(() => Int, { description: 'Apps owned.' })
  apps!: number;
  @Field(() => Int, { description: 'Clusters owned.' })
  clusters!: number;
  @Field(() => Int, { description: 'Buckets owned.' })
  buckets!: number;
  @Field(() => Int, { description: 'Members.' })
  members!: number;
  @Field(() => BigIntScalar, { description: 'Bytes stored in the team’s buckets now.' })
  storedBytes!: bigint;
  @Field(() => BigIntScalar, { description: 'Objects stored in the team’s buckets now.' })
  objectCount!: bigint;
  @Field(() => BigIntScalar, { description: 'Bytes downloaded from the team’s buckets this month (UTC).' })
  egressBytesThisMonth!: bigint;
}

@InputType({ description: 'New limits for a team; omitted ones stay as they are.' })
export class SetTeamLimitsInput {
  @Field(() => ID, { description: 'The team.' })
  teamId!: string;
  @Field(() => Int, { nullable: true, description: 'How many apps it may own.' })
  maxApps?: number | null;
  @Field(() => Int, { nullable: true, description: 'How many clusters it may own.' })
  maxClusters?: number | null;
  @Field(() => Int, { nullable: true, description: 'How many buckets it may own.' })
  maxBuckets?: number | null;
  @Field(() => Int, { nullable: true, description: 'How many members (and pending invitations) it may have.' })
  maxMembers?: number | null;
  @Field(() => BigIntScalar, { nullable: true, description: 'Storage in bytes.' })
  storageBytes?: bigint | null;
  @Field(() => BigIntScalar, { nullable: true, description: 'Egress bandwidth per month in bytes.' })
  bandwidthBytes?: bigint | null;
  @Field(() => Int, { nullable: true, description: 'Requests per second.' })
  rateLimit?: number | null;
}

@ObjectType({ description: 'Result of setTeamLimits.' })
export class SetTeamLimitsPayload extends Payload {
  @Field(() => Team, { nullable: true, description: 'The team with its new limits.' })
  team?: Team | null;
}

const count = (max: number) =>
  z
    .number()
    .int()
    .min(0, { error: 'must be 0 or more' })
    .max(max, { error: `must be at most ${max}` });
const bytes = z
  .bigint()
  .min(0n, { error: 'must be 0 or more' })
  .max(2n ** 62n, { error: 'must be at most 2^62' });

const limitsSchema = z
  .object({
    maxApps: count(100_000).optional(),
    maxClusters: count(10_000).optional(),
    maxBuckets: count(100_000).optional(),
    maxMembers: count(100_000).optional(),
    storageBytes: bytes.optional(),
    bandwidthBytes: bytes.optional(),
    rateLimit: count(1_000_000).optional(),
  })
  .refine((l) => Object.keys(l).length > 0, { error: 'Give at least one limit to set.' });

/** Storj's limits API: platform admins set several limits of a team in one call. */
async function setTeamLimits(ctx: Context, teamId: string, rawInput: unknown): Promise<{ team: TeamRow }> {
  const limits = parseInput(limitsSchema, rawInput);
  return audited(ctx, 'team.limits', async (tx) => {
    const [team] = await tx
      .update(teams)
      .set({ ...limits, updatedAt: new Date() })
      .where(eq(teams.id, teamId))
      .returning();
    if (!team) throw notFound('Team');
    return {
      result: { team },
      target: { type: 'Team', id: teamId },
      teamId,
      data: Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v])),
    };
  });
}

@Resolver(() => Team)
export class TeamLimitsResolver {
  @FieldResolver(() => TeamUsage, { nullable: true, description: 'What the team owns and has used this month, against `limits`.' })
  usage(@Root() team: TeamRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(usageByTeam).load(team.id);
  }

  @FieldResolver(() => Boolean, {
    description: 'Whether the team’s buckets were used this month (it cannot be deleted until the month is over).',
  })
  async hasUsageThisMonth(@Root() team: TeamRow, @Ctx() ctx: Context): Promise<boolean> {
    return (await ctx.loaders.get(usageByTeam).load(team.id))?.hasUsageThisMonth ?? false;
  }

  @Requires(permission('team:read', on.team('input.teamId'), 'see this team'), permission('team:update', on.platform, 'set team limits'))
  @Mutation(() => SetTeamLimitsPayload, { description: 'Sets several limits of a team at once (platform admins; Storj limits API).' })
  setTeamLimits(@Arg('input', () => SetTeamLimitsInput, INPUT_ARG) input: SetTeamLimitsInput, @Ctx() ctx: Context) {
    const { teamId, ...limits } = input;
    return payload(() => setTeamLimits(ctx, idOf('Team', teamId, 'teamId'), withoutNulls(limits)));
  }
}
