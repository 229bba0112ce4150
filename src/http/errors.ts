import { unwrapResolverError } from '@apollo/server/errors';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ClientError } from '../graphql/errors.js';
import type { Context } from '../graphql/context.js';
import type { Logger } from '../logger.js';

/** Codes of errors about the request itself, which are safe to show as they are. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

function isExpected(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof ClientError) return true;
  // Parse, validation and variable errors: Apollo wraps graphql-js's errors, which describe the
  // request, never the server. Anything else without our ClientError type is unexpected.
  if (original instanceof GraphQLError) {
    const code = (error as GraphQLError).extensions?.code ?? original.extensions?.code;
    return typeof code === 'string' && REQUEST_ERROR_CODES.has(code);
  }
  return false;
}

export const INTERNAL_MESSAGE = 'Internal server error; the request id identifies it in the server logs.';

/** graphql's suggestions of field, type and enum value names, which tell an outsider the schema. */
const SUGGESTION = / ?Did you mean (.+?)\?$/;

/**
 * Unexpected errors never reach clients as they are: no SQL, stack or internal message. With
 * `hideSuggestions` (production), request errors lose their "Did you mean …?".
 */
export function errorFormatter(options: { hideSuggestions: boolean }) {
  return function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    if (isExpected(error)) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      const message = options.hideSuggestions ? formatted.message.replace(SUGGESTION, '') : formatted.message;
      return { ...formatted, message, extensions };
    }
    // A request id set where the error was raised (context creation) is kept; otherwise the
    // plugin below adds it once the request's context is known.
    const requestId = formatted.extensions?.requestId;
    return {
      message: INTERNAL_MESSAGE,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
    };
  };
}

/** Logs unexpected errors with the request id, and gives the client that id. */
export function errorLoggingPlugin(logger: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors)
            if (!isExpected(error))
              logger.error(
                { err: unwrapResolverError(error), requestId: contextValue.requestId, operationName, path: error.path },
                'unexpected error',
              );
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? [])
            if (error.extensions?.code === 'INTERNAL_SERVER_ERROR')
              (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
        },
      };
    },
  };
}
