import { GraphQLError } from 'graphql';

/** The codes clients see in `extensions.code` for top-level errors. */
export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'RATE_LIMITED' | 'INTERNAL_SERVER_ERROR';

/** An error meant for the client: its message and extensions are shown as they are. */
export class ClientError extends GraphQLError {
  constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export const unauthenticated = (message = 'Authentication required: send Authorization: Bearer <token>.') =>
  new ClientError(message, 'UNAUTHENTICATED');

export const forbidden = (message: string) => new ClientError(message, 'FORBIDDEN');

export const notFound = (what: string) => new ClientError(`${what} not found.`, 'NOT_FOUND');

/** Bad input that the schema cannot express (malformed IDs, cursors, bounds); names the argument. */
export const badInput = (field: string, message: string) => new ClientError(`${field}: ${message}`, 'BAD_USER_INPUT', { field });

export const rateLimited = (message: string, retryAfterSeconds: number) => new ClientError(message, 'RATE_LIMITED', { retryAfterSeconds });
