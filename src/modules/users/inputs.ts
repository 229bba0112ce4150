import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PlatformRole, UserStatus } from '../../graphql/enums.js';
import { Payload } from '../../graphql/user-errors.js';
import { User } from './types.js';

@InputType({ description: 'Changes to your profile; omitted fields stay as they are.' })
export class UpdateViewerInput {
  @Field(() => String, { nullable: true, description: 'New full name, up to 100 characters.' })
  fullName?: string | null;
  @Field(() => String, { nullable: true, description: 'New short name, up to 50 characters.' })
  shortName?: string | null;
  @Field(() => String, { nullable: true, description: 'New email address (used to log in); the old address is told of the change.' })
  email?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'Your current password: needed to change the email, unless you call with a session opened in the last 10 minutes.',
  })
  currentPassword?: string | null;
}

@InputType({ description: 'Confirms the deletion of your account.' })
export class DeleteViewerInput {
  @Field(() => String, { description: 'Your current password.' })
  password!: string;
}

@InputType({ description: 'A new user (platform admins).' })
export class AdminCreateUserInput {
  @Field(() => String, { description: 'Email address.' })
  email!: string;
  @Field(() => String, { description: 'Initial password, at least 10 characters.' })
  password!: string;
  @Field(() => String, { nullable: true, description: 'Full name.' })
  fullName?: string | null;
  @Field(() => String, { nullable: true, description: 'Short name.' })
  shortName?: string | null;
  @Field(() => PlatformRole, { nullable: true, description: 'Platform role; USER by default.' })
  platformRole?: PlatformRole | null;
  @Field(() => Int, { nullable: true, description: 'How many teams the user may own; 10 by default.' })
  teamLimit?: number | null;
}

@InputType({ description: 'Changes to a user (platform admins); omitted fields stay as they are.' })
export class AdminUpdateUserInput {
  @Field(() => ID, { description: 'The user to change.' })
  userId!: string;
  @Field(() => String, { nullable: true, description: 'New email address.' })
  email?: string | null;
  @Field(() => String, { nullable: true, description: 'New full name.' })
  fullName?: string | null;
  @Field(() => String, { nullable: true, description: 'New short name.' })
  shortName?: string | null;
  @Field(() => Int, { nullable: true, description: 'New team limit.' })
  teamLimit?: number | null;
  @Field(() => UserStatus, { nullable: true, description: 'SUSPENDED refuses every session and token of the user at once.' })
  status?: UserStatus | null;
  @Field(() => PlatformRole, { nullable: true, description: 'New platform role.' })
  platformRole?: PlatformRole | null;
}

@InputType({ description: 'The user to delete (platform admins).' })
export class AdminDeleteUserInput {
  @Field(() => ID, { description: 'The user; they must own no teams.' })
  userId!: string;
}

@ObjectType({ description: 'Result of a mutation that changes a user.' })
export class UserPayload extends Payload {
  @Field(() => User, { nullable: true, description: 'The user.' })
  user?: User | null;
}

@ObjectType({ description: 'Result of deleting a user.' })
export class DeleteUserPayload extends Payload {
  @Field(() => ID, { nullable: true, description: 'The ID of the deleted user.' })
  deletedUserId?: string | null;
}
