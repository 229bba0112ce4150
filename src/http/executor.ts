import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import {
  GraphQLError,
  execute,
  getVariableValues,
  isAbstractType,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Logger } from '../logger.js';

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];

/** A GraphQL error as graphql-jit reports it: shaped like graphql-js's, without being one. */
interface JitError {
  message: string;
  locations?: GraphQLError['locations'];
  path?: GraphQLError['path'];
  originalError?: Error | null;
  extensions?: GraphQLError['extensions'];
}

type Run = (context: unknown, variables: Record<string, unknown> | undefined) => Promise<ExecutionResult> | ExecutionResult;

/**
 * Queries and mutations run through graphql-jit: each document is compiled once into a plain
 * function, which measured 1.4–1.8× graphql-js's throughput on the dashboards (most of a large
 * response's time is spent walking fields). A document jit cannot compile runs on graphql-js.
 * Apollo still parses, validates and formats; it plugs in as a "gateway" because Apollo Server 5
 * has no executor option. Subscriptions go through graphql-ws, on graphql-js.
 */
export function jitGateway(schema: GraphQLSchema, logger: Logger): GatewayInterface {
  // Node objects name their type in `__typename` (node-registry.ts). type-graphql's resolveType
  // wraps ours in an async function, and graphql-jit does not await a type resolver's promise.
  for (const type of Object.values(schema.getTypeMap()))
    if (isAbstractType(type) && type.resolveType) {
      const resolveType = type.resolveType;
      type.resolveType = (value, ...rest) => {
        const name = (value as { __typename?: unknown } | null)?.__typename;
        return typeof name === 'string' ? name : resolveType(value, ...rest);
      };
    }
  // Apollo keeps parsed documents in its own bounded cache and hands the same object back for
  // the same query text, so compiled queries live as long as their document does.
  const compiled = new WeakMap<DocumentNode, Map<string, Run>>();

  const runFor = (document: DocumentNode, operationName: string | null): Run => {
    let byOperation = compiled.get(document);
    if (!byOperation) compiled.set(document, (byOperation = new Map()));
    const key = operationName ?? '';
    let run = byOperation.get(key);
    if (!run) {
      run = compile(schema, document, operationName, logger);
      byOperation.set(key, run);
    }
    return run;
  };

  return {
    async load() {
      return {
        executor: async (requestContext) => {
          // graphql-js's own coercion, so that bad variables fail with its messages, which Apollo
          // recognises and answers as BAD_USER_INPUT (HTTP 400), as without jit.
          const definitions = requestContext.operation.variableDefinitions;
          if (definitions?.length) {
            const coerced = getVariableValues(schema, definitions, requestContext.request.variables ?? {}, { maxErrors: 50 });
            if (coerced.errors) return { errors: coerced.errors };
          }
          const run = runFor(requestContext.document, requestContext.operationName);
          const result = await run(requestContext.context, requestContext.request.variables);
          return result.errors ? { ...result, errors: result.errors.map((e) => asGraphQLError(e)) } : result;
        },
      };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    async stop() {},
  };
}

function compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | null, logger: Logger): Run {
  let query: CompiledQuery | ExecutionResult;
  try {
    query = compileQuery(schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
  } catch (error) {
    query = { errors: [error as GraphQLError] };
  }
  if (isCompiledQuery(query)) {
    const compiledQuery = query;
    return (context, variables) => compiledQuery.query(undefined, context, variables);
  }
  logger.debug({ errors: query.errors?.map((e) => e.message) }, 'graphql-jit could not compile a document; running it on graphql-js');
  return (context, variables) =>
    execute({ schema, document, operationName, contextValue: context, variableValues: variables }) as Promise<ExecutionResult>;
}

/**
 * graphql-jit's errors are not graphql-js GraphQLErrors (no `extensions` object when the
 * resolver's error had none, no `toJSON`); Apollo's formatting and our masking need real ones,
 * with the resolver's own error as `originalError`.
 */
function asGraphQLError(error: JitError | GraphQLError): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const original = error.originalError;
  const converted = new GraphQLError(error.message, {
    path: error.path,
    originalError: original ?? undefined,
    extensions: original instanceof GraphQLError ? original.extensions : (error.extensions ?? undefined),
  });
  // graphql-js computes locations from AST nodes, which jit does not keep; its own are right.
  (converted as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return converted;
}
