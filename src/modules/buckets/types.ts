import { ArgsType, Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import type { bucketUsage, buckets } from '../../db/schema/index.js';
import { ConnectionArgs, connectionType, orderInput } from '../../graphql/connection.js';
import { Node } from '../../graphql/relay.js';
import { BigIntScalar, DateTime } from '../../graphql/scalars.js';

export type BucketRow = typeof buckets.$inferSelect;
export type BucketUsageRow = typeof bucketUsage.$inferSelect;

export enum BucketVisibility {
  PRIVATE = 'PRIVATE',
  PUBLIC = 'PUBLIC',
}
registerEnumType(BucketVisibility, {
  name: 'BucketVisibility',
  description: 'Who may read a bucket’s objects.',
  valuesConfig: { PRIVATE: { description: 'Only holders of the team’s credentials.' }, PUBLIC: { description: 'Anyone, anonymously.' } },
});

@ObjectType({ implements: Node, description: 'An object-storage bucket owned by a team (Storj bucket, PM2 bucket).' })
export class Bucket extends Node {
  @Field(() => String, { description: 'Name, unique in the team (S3 naming rules).' })
  name!: string;
  @Field(() => String, { description: 'Region the objects are stored in, from `regions`.' })
  region!: string;
  @Field(() => Boolean, { description: 'Whether object versions are kept.' })
  versioning!: boolean;
  @Field(() => BucketVisibility, { description: 'Who may read the objects.' })
  visibility!: BucketVisibility;
  @Field(() => BigIntScalar, { description: 'Bytes stored now.' })
  storedBytes!: bigint;
  @Field(() => BigIntScalar, { description: 'Objects stored now.' })
  objectCount!: bigint;
  @Field(() => DateTime, { description: 'When the bucket was created.' })
  createdAt!: Date;
  @Field(() => DateTime, { description: 'When the bucket was last changed.' })
  updatedAt!: Date;
}

@ObjectType({ description: 'One day of a bucket’s usage.' })
export class BucketUsageDay {
  @Field(() => String, { description: 'The day, as YYYY-MM-DD (UTC).' })
  day!: string;
  @Field(() => BigIntScalar, { description: 'Bytes stored at the end of the day.' })
  storedBytes!: bigint;
  @Field(() => BigIntScalar, { description: 'Bytes downloaded during the day.' })
  egressBytes!: bigint;
  @Field(() => BigIntScalar, { description: 'Objects stored at the end of the day.' })
  objectCount!: bigint;
}

@ObjectType({ description: 'A region buckets (and clusters) can live in.' })
export class Region {
  @Field(() => String, { description: 'Region name, used in createBucket.' })
  name!: string;
  @Field(() => String, { description: 'Where it is.' })
  description!: string;
}

export const BucketConnection = connectionType(Bucket, 'Bucket', 'buckets');

export enum BucketOrderField {
  NAME = 'NAME',
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(BucketOrderField, {
  name: 'BucketOrderField',
  description: 'Fields buckets can be ordered by.',
  valuesConfig: { NAME: { description: 'By name.' }, CREATED_AT: { description: 'By creation time.' } },
});
export const BucketOrder = orderInput(BucketOrderField, 'Bucket', 'buckets');

@InputType({ description: 'Narrows a list of buckets.' })
export class BucketFilter {
  @Field(() => String, { nullable: true, description: 'Buckets whose name contains this text.' })
  name?: string | null;
  @Field(() => String, { nullable: true, description: 'Buckets of the team with this slug.' })
  teamSlug?: string | null;
  @Field(() => String, { nullable: true, description: 'Buckets in this region.' })
  region?: string | null;
  @Field(() => BucketVisibility, { nullable: true, description: 'Buckets with this visibility.' })
  visibility?: BucketVisibility | null;
}

@ArgsType()
export class BucketConnectionArgs extends ConnectionArgs {
  @Field(() => BucketOrder, { nullable: true, description: 'Order of the buckets; by name by default.' })
  orderBy?: InstanceType<typeof BucketOrder> | null;
  @Field(() => BucketFilter, { nullable: true, description: 'Only buckets matching this filter.' })
  filter?: BucketFilter | null;
}
