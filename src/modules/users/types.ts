import { ArgsType, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionArgs, connectionType, orderInput } from '../../graphql/connection.js';
import { PlatformRole, UserStatus } from '../../graphql/enums.js';
import { Node } from '../../graphql/relay.js';
import { DateTime, EmailAddress } from '../../graphql/scalars.js';

@ObjectType({ implements: Node, description: 'A person with an account. `viewer` is the user making the request.' })
export class User extends Node {
  @Field(() => EmailAddress, { description: 'Email address, used to log in; unique, case-insensitive.' })
  email!: string;
  @Field(() => String, { description: 'Full name (may be empty).' })
  fullName!: string;
  @Field(() => String, { description: 'Short name or nickname (may be empty).' })
  shortName!: string;
  @Field(() => PlatformRole, { description: 'Role on the whole platform.' })
  platformRole!: PlatformRole;
  @Field(() => UserStatus, { description: 'Whether the user may sign in.' })
  status!: UserStatus;
  @Field(() => Int, { description: 'How many teams the user may own (Storj projectLimit).' })
  teamLimit!: number;
  @Field(() => DateTime, { description: 'When the account was created.' })
  createdAt!: Date;
  @Field(() => DateTime, { description: 'When the account was last changed.' })
  updatedAt!: Date;
}

export const UserConnection = connectionType(User, 'User', 'users');

export enum UserOrderField {
  EMAIL = 'EMAIL',
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(UserOrderField, {
  name: 'UserOrderField',
  description: 'Fields users can be ordered by.',
  valuesConfig: { EMAIL: { description: 'By email address.' }, CREATED_AT: { description: 'By sign-up time.' } },
});
export const UserOrder = orderInput(UserOrderField, 'User', 'users');

@InputType({ description: 'Narrows the list of users (platform admins).' })
export class UserFilter {
  @Field(() => String, { nullable: true, description: 'Users whose email or name contains this text (case-insensitive).' })
  search?: string | null;
  @Field(() => UserStatus, { nullable: true, description: 'Only users with this status.' })
  status?: UserStatus | null;
  @Field(() => PlatformRole, { nullable: true, description: 'Only users with this platform role.' })
  platformRole?: PlatformRole | null;
}

@ArgsType()
export class UserConnectionArgs extends ConnectionArgs {
  @Field(() => UserOrder, { nullable: true, description: 'Order of the users; newest first by default.' })
  orderBy?: InstanceType<typeof UserOrder> | null;
  @Field(() => UserFilter, { nullable: true, description: 'Only users matching this filter.' })
  filter?: UserFilter | null;
}
