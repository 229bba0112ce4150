import { z } from 'zod';
import { UserErrorCode, UserErrors } from './user-errors.js';

function codeOf(issue: z.core.$ZodIssue): UserErrorCode {
  switch (issue.code) {
    case 'too_small':
    case 'too_big': {
      // A number out of range is not "too short" or "too long": it is invalid.
      if (issue.origin === 'number' || issue.origin === 'bigint') return UserErrorCode.INVALID;
      if (issue.code === 'too_big') return UserErrorCode.TOO_LONG;
      return (issue as { minimum?: unknown }).minimum === 1 && issue.origin === 'string' ? UserErrorCode.REQUIRED : UserErrorCode.TOO_SHORT;
    }
    default:
      return UserErrorCode.INVALID;
  }
}

/**
 * Validates a mutation input; every problem becomes a userErrors entry whose field path starts
 * at "input", and whose message names the field.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new UserErrors(
    parsed.error.issues.map((issue) => {
      const path = issue.path.map(String);
      return {
        // A rule on the whole input (no path) is no single field's fault.
        field: path.length ? ['input', ...path] : null,
        code: codeOf(issue),
        message: path.length ? `${path.join('.')} ${issue.message}` : issue.message,
      };
    }),
  );
}

/** Shared field rules, with messages that say what to do. */
export const fields = {
  email: z
    .string()
    .trim()
    .toLowerCase()
    .max(254, { error: 'must be at most 254 characters' })
    .pipe(z.email({ error: 'must be a valid email address, like name@example.com' })),
  password: z.string().min(10, { error: 'must be at least 10 characters' }).max(200, { error: 'must be at most 200 characters' }),
  personName: (max = 100) =>
    z
      .string()
      .trim()
      .max(max, { error: `must be at most ${max} characters` }),
  requiredText: (max: number) =>
    z
      .string()
      .trim()
      .min(1, { error: 'must not be empty' })
      .max(max, { error: `must be at most ${max} characters` }),
  tags: z
    .array(
      z.string().trim().min(1, { error: 'must not contain empty tags' }).max(50, { error: 'must contain tags of at most 50 characters' }),
    )
    .max(20, { error: 'must have at most 20 tags' }),
};
