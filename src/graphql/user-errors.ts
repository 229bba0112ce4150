import { Field, ObjectType, registerEnumType } from 'type-graphql';

export enum UserErrorCode {
  INVALID = 'INVALID',
  REQUIRED = 'REQUIRED',
  TOO_SHORT = 'TOO_SHORT',
  TOO_LONG = 'TOO_LONG',
  TAKEN = 'TAKEN',
  ALREADY_EXISTS = 'ALREADY_EXISTS',
  LIMIT_REACHED = 'LIMIT_REACHED',
  NOT_ALLOWED = 'NOT_ALLOWED',
  IN_USE = 'IN_USE',
  INVALID_STATE = 'INVALID_STATE',
  EXPIRED = 'EXPIRED',
  INVALID_CREDENTIALS = 'INVALID_CREDENTIALS',
}

registerEnumType(UserErrorCode, {
  name: 'UserErrorCode',
  description: 'Why a mutation refused its input.',
  valuesConfig: {
    INVALID: { description: 'The value has the wrong form or is out of range; the message says what is expected.' },
    REQUIRED: { description: 'The value is required and was missing or empty.' },
    TOO_SHORT: { description: 'The value is shorter than allowed.' },
    TOO_LONG: { description: 'The value is longer than allowed.' },
    TAKEN: { description: 'The value is already used by another object (or the object already exists).' },
    ALREADY_EXISTS: { description: 'What the mutation would create is already there (for example an access grant).' },
    LIMIT_REACHED: { description: 'A limit or quota would be exceeded.' },
    NOT_ALLOWED: { description: 'The change breaks a rule of the model (for example removing the owner).' },
    IN_USE: { description: 'The object still has dependents and cannot be removed.' },
    INVALID_STATE: {
      description: 'The object’s current state does not allow this (for example stopping a stopped app, or changing a locked one).',
    },
    EXPIRED: { description: 'The token or invitation has expired or was already used.' },
    INVALID_CREDENTIALS: { description: 'The email or password is wrong.' },
  },
});

@ObjectType({ description: 'A problem with the input of a mutation; nothing was changed.' })
export class UserError {
  @Field(() => [String], {
    nullable: true,
    description: 'Path to the input field at fault, for example ["input", "slug"]; null when no single field is at fault.',
  })
  field!: string[] | null;

  @Field(() => UserErrorCode, { description: 'Machine-readable reason.' })
  code!: UserErrorCode;

  @Field(() => String, { description: 'What is wrong and what to do about it, for people.' })
  message!: string;
}

/** Thrown by services to refuse a mutation with userErrors; the transaction rolls back. */
export class UserErrors extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

export function userError(field: string | string[] | null, code: UserErrorCode, message: string): UserErrors {
  const path = field === null ? null : Array.isArray(field) ? field : ['input', ...field.split('.')];
  return new UserErrors([{ field: path, code, message }]);
}

/** Base of every mutation payload. */
// Not part of the schema by itself: type-graphql emits only the types that are reached.
@ObjectType({ description: 'Base of mutation payloads.' })
export abstract class Payload {
  @Field(() => [UserError], { description: 'Problems with the input; empty when the mutation succeeded.' })
  userErrors!: UserError[];
}

/**
 * Runs a service call for a mutation resolver: its result becomes the payload with no
 * userErrors, and a UserErrors refusal becomes a payload with only userErrors.
 */
export async function payload<T extends object>(run: () => Promise<T>): Promise<T & { userErrors: UserError[] }> {
  try {
    return { ...(await run()), userErrors: [] };
  } catch (error) {
    if (error instanceof UserErrors) return { userErrors: error.errors } as unknown as T & { userErrors: UserError[] };
    throw error;
  }
}
