import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { connectionType } from '../../graphql/connection.js';
import { Node } from '../../graphql/relay.js';
import { DateTime } from '../../graphql/scalars.js';
import { Payload } from '../../graphql/user-errors.js';

@ObjectType({
  implements: Node,
  description:
    'A non-human identity of a team, for automation (Numspot service account): it holds roles only through IAM policies and ACL entries, and acts with its own API tokens.',
})
export class ServiceAccount extends Node {
  @Field(() => String, { description: 'Name, unique in the team.' })
  name!: string;
  @Field(() => String, { description: 'What it is for.' })
  description!: string;
  @Field(() => DateTime, { description: 'When it was created.' })
  createdAt!: Date;
}

export const ServiceAccountConnection = connectionType(ServiceAccount, 'ServiceAccount', 'service accounts');

@InputType({ description: 'A new service account.' })
export class CreateServiceAccountInput {
  @Field(() => ID, { description: 'The team it belongs to (you need iam:manage there).' })
  teamId!: string;
  @Field(() => String, { description: '3–40 lowercase letters, digits or hyphens, starting with a letter; unique in the team.' })
  name!: string;
  @Field(() => String, { nullable: true, description: 'What it is for; empty when omitted.' })
  description?: string | null;
}

@InputType({ description: 'Changes to a service account; omitted fields stay as they are.' })
export class UpdateServiceAccountInput {
  @Field(() => ID, { description: 'The service account.' })
  serviceAccountId!: string;
  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;
  @Field(() => String, { nullable: true, description: 'New description.' })
  description?: string | null;
}

@InputType({ description: 'The service account to delete, with its tokens, bindings and ACL entries.' })
export class DeleteServiceAccountInput {
  @Field(() => ID, { description: 'The service account.' })
  serviceAccountId!: string;
}

@ObjectType({ description: 'Result of createServiceAccount or updateServiceAccount.' })
export class ServiceAccountPayload extends Payload {
  @Field(() => ServiceAccount, { nullable: true, description: 'The service account.' })
  serviceAccount?: ServiceAccount | null;
}

@ObjectType({ description: 'Result of deleteServiceAccount.' })
export class DeleteServiceAccountPayload extends Payload {
  @Field(() => ID, { nullable: true, description: 'The ID of the deleted service account.' })
  deletedServiceAccountId?: string | null;
}
