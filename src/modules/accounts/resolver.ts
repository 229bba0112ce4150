import { Arg, Ctx, Field, InputType, Int, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Requires, stateRule, withFullAccess } from '../../iam/declarations.js';
import { INPUT_ARG } from '../../graphql/inputs.js';
import { DateTime } from '../../graphql/scalars.js';
import { Payload, UserErrorCode, payload, userError } from '../../graphql/user-errors.js';
import { User } from '../users/types.js';
import * as accounts from './service.js';

@InputType({ description: 'A new account.' })
export class SignUpInput {
  @Field(() => String, { description: 'Email address, used to log in.' })
  email!: string;
  @Field(() => String, { description: 'Password, at least 10 characters.' })
  password!: string;
  @Field(() => String, { nullable: true, description: 'Full name, up to 100 characters.' })
  fullName?: string | null;
}

@InputType({ description: 'Credentials.' })
export class LogInInput {
  @Field(() => String, { description: 'Email address.' })
  email!: string;
  @Field(() => String, { description: 'Password.' })
  password!: string;
}

@InputType({ description: 'Which sessions to end.' })
export class LogOutInput {
  @Field(() => Boolean, { nullable: true, description: 'End every other session of yours instead of the current one.' })
  allOtherSessions?: boolean | null;
}

@InputType({ description: 'A password change.' })
export class ChangePasswordInput {
  @Field(() => String, { description: 'Your current password.' })
  currentPassword!: string;
  @Field(() => String, { description: 'The new password, at least 10 characters.' })
  newPassword!: string;
}

@InputType({ description: 'Whose password to reset.' })
export class RequestPasswordResetInput {
  @Field(() => String, { description: 'The account’s email address; a reset token is mailed to it if it is registered.' })
  email!: string;
}

@InputType({ description: 'A password reset.' })
export class ResetPasswordInput {
  @Field(() => String, { description: 'The token from the reset mail (single use).' })
  token!: string;
  @Field(() => String, { description: 'The new password, at least 10 characters.' })
  newPassword!: string;
}

@InputType({ description: 'The token from the verification mail.' })
export class VerifyEmailInput {
  @Field(() => String, { description: 'The token sent to the address (single use).' })
  token!: string;
}

@InputType({ description: 'Asks for a new verification mail.' })
export class RequestEmailVerificationInput {
  @Field(() => String, { nullable: true, description: 'Your current email address, as a check; refused if it differs.' })
  email?: string | null;
}

@ObjectType({ description: 'Result of verifyEmail or requestEmailVerification.' })
export class EmailVerificationPayload extends Payload {
  @Field(() => User, { nullable: true, description: 'The user whose address is (to be) verified.' })
  user?: User | null;
}

@ObjectType({ description: 'A new session: send the token as `Authorization: Bearer <token>`.' })
export class SessionTokenPayload extends Payload {
  @Field(() => String, { nullable: true, description: 'The session token, shown only now.' })
  token?: string | null;
  @Field(() => DateTime, { nullable: true, description: 'When the session expires.' })
  expiresAt?: Date | null;
  @Field(() => User, { nullable: true, description: 'The logged-in user.' })
  user?: User | null;
}

@ObjectType({ description: 'Result of logOut.' })
export class LogOutPayload extends Payload {
  @Field(() => Int, { nullable: true, description: 'How many sessions were ended.' })
  endedSessions?: number | null;
  @Field(() => User, { nullable: true, description: 'You.' })
  user?: User | null;
}

@ObjectType({ description: 'Result of a password change or reset.' })
export class PasswordPayload extends Payload {
  @Field(() => User, { nullable: true, description: 'The user whose password changed.' })
  user?: User | null;
  @Field(() => Int, {
    nullable: true,
    description:
      'How many of the user’s API tokens were revoked: a password change or reset revokes them all, since the account may have been in other hands. Null when userErrors refused the change.',
  })
  revokedApiTokens?: number | null;
}

@ObjectType({ description: 'Result of requestPasswordReset: the same whether or not the email is registered.' })
export class RequestPasswordResetPayload extends Payload {}

@Resolver()
export class AccountResolver {
  @Requires('ANYONE')
  @Mutation(() => SessionTokenPayload, { description: 'Creates an account and logs it in.' })
  signUp(@Arg('input', () => SignUpInput, INPUT_ARG) input: SignUpInput, @Ctx() ctx: Context) {
    return payload(() => accounts.signUp(ctx, { ...input, fullName: input.fullName ?? undefined }));
  }

  @Requires('ANYONE')
  @Mutation(() => SessionTokenPayload, { description: 'Logs in with email and password; repeated failures are throttled.' })
  logIn(@Arg('input', () => LogInInput, INPUT_ARG) input: LogInInput, @Ctx() ctx: Context) {
    return payload(() => accounts.logIn(ctx, input));
  }

  @Requires('SIGNED_IN', stateRule('Ending other sessions needs a session or an unscoped token.'))
  @Mutation(() => LogOutPayload, { description: 'Ends the current session, or all your other sessions.' })
  logOut(
    @Arg('input', () => LogOutInput, { nullable: true, description: 'What to do; omit to end the current session.' })
    input: LogOutInput | null,
    @Ctx() ctx: Context,
  ) {
    return payload(() => accounts.logOut(ctx, input?.allOtherSessions ?? false));
  }

  @Requires(withFullAccess('change the password'))
  @Mutation(() => PasswordPayload, { description: 'Changes your password, ends your other sessions and revokes your API tokens.' })
  changePassword(@Arg('input', () => ChangePasswordInput, INPUT_ARG) input: ChangePasswordInput, @Ctx() ctx: Context) {
    return payload(() => accounts.changePassword(ctx, input));
  }

  @Requires('ANYONE')
  @Mutation(() => RequestPasswordResetPayload, {
    description: 'Mails a password-reset token if the email is registered; answers the same either way.',
  })
  requestPasswordReset(
    @Arg('input', () => RequestPasswordResetInput, INPUT_ARG)
    input: RequestPasswordResetInput,
    @Ctx() ctx: Context,
  ) {
    return payload(() => accounts.requestPasswordReset(ctx, input));
  }

  @Requires('ANYONE')
  @Mutation(() => EmailVerificationPayload, { description: 'Confirms that you receive mail at your address, with the token mailed to it.' })
  verifyEmail(@Arg('input', () => VerifyEmailInput, INPUT_ARG) input: VerifyEmailInput, @Ctx() ctx: Context) {
    return payload(() => accounts.verifyEmail(ctx, input));
  }

  @Requires(withFullAccess('request email verification'))
  @Mutation(() => EmailVerificationPayload, { description: 'Mails a new verification token to your address.' })
  requestEmailVerification(
    @Arg('input', () => RequestEmailVerificationInput, { nullable: true, description: 'What to do; may be omitted.' })
    input: RequestEmailVerificationInput | null,
    @Ctx() ctx: Context,
  ) {
    return payload(async () => {
      const email = input?.email?.trim().toLowerCase();
      if (email && email !== ctx.viewer?.user?.email) throw userError('email', UserErrorCode.INVALID, 'email is not your current address.');
      return accounts.requestEmailVerification(ctx);
    });
  }

  @Requires('ANYONE')
  @Mutation(() => PasswordPayload, {
    description:
      'Sets a new password with a reset token (valid only while the account keeps the address it was mailed to), ends every session of the account and revokes its API tokens.',
  })
  resetPassword(@Arg('input', () => ResetPasswordInput, INPUT_ARG) input: ResetPasswordInput, @Ctx() ctx: Context) {
    return payload(() => accounts.resetPassword(ctx, input));
  }
}
