import type { ApolloServerPlugin } from '@apollo/server';
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { badInput } from '../graphql/errors.js';
import { estimateCost } from './query-cost.js';

export interface QueryLimits {
  maxQueryDepth: number;
  maxQueryNodes: number;
  maxQueryFields: number;
  introspection: boolean;
}

/**
 * Refuses operations nested deeper than `maxDepth` (top-level fields are at depth 0; introspection
 * fields are not measured), as graphql-depth-limit did with the same message. That library
 * follows fragment spreads afresh every time: a fragment cycle overflowed its stack, an unknown
 * fragment crashed it (both 500s), and fragments spreading each other twice over took
 * exponential time. Here each fragment's depth is measured once; cycles and unknown fragments
 * are left to graphql's own rules, which report them.
 */
function depthLimitRule(maxDepth: number): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions)
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    const fragmentDepths = new Map<string, number>();
    const entered = new Set<string>();
    const depthOf = (set: SelectionSetNode): number => {
      let deepest = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.selectionSet && !selection.name.value.startsWith('__'))
            deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || entered.has(name)) continue;
          let depth = fragmentDepths.get(name);
          if (depth === undefined) {
            entered.add(name);
            depth = depthOf(fragment.selectionSet);
            entered.delete(name);
            fragmentDepths.set(name, depth);
          }
          deepest = Math.max(deepest, depth);
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        if (depthOf(node.selectionSet) > maxDepth)
          context.reportError(
            new GraphQLError(`'${node.name?.value ?? ''}' exceeds maximum operation depth of ${maxDepth}`, { nodes: node }),
          );
      },
    };
  };
}

const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type')
      context.reportError(
        new GraphQLError(`Introspection is turned off on this server (INTROSPECTION=false): ${node.name.value} cannot be queried.`, {
          nodes: node,
        }),
      );
  },
});

/** The validation rules added to graphql's own, the same over HTTP and over WebSocket. */
export function validationRules(limits: QueryLimits): ValidationRule[] {
  return [depthLimitRule(limits.maxQueryDepth), ...(limits.introspection ? [] : [noIntrospection])];
}

const NUL_MESSAGE = 'must not contain NUL characters (\\u0000).';

/** How deep a variable's value may nest: JSON options and the like need a few levels, not thousands. */
const MAX_INPUT_NESTING = 64;

/**
 * The first problem in a variable's JSON value: the path of a string (or key) holding a NUL,
 * or of a value nested too deep to walk. Iterative, so that no nesting overflows the stack.
 */
function problemIn(value: unknown, path: string): { path: string; message: string } | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path, depth: 0 }];
  while (pending.length > 0) {
    const item = pending.pop()!;
    if (typeof item.value === 'string') {
      if (item.value.includes('\0')) return { path: item.path, message: NUL_MESSAGE };
      continue;
    }
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth >= MAX_INPUT_NESTING) return { path: item.path, message: `is nested deeper than ${MAX_INPUT_NESTING} levels.` };
    const entries = Array.isArray(item.value) ? item.value.map((v, i) => [String(i), v] as const) : Object.entries(item.value);
    // Pushed in reverse, so that the first problem in document order is the one reported.
    for (const [key, child] of entries.reverse()) {
      if (key.includes('\0')) return { path: `${item.path}.${key.replaceAll('\0', '\\u0000')}`, message: NUL_MESSAGE };
      pending.push({ value: child, path: `${item.path}.${key}`, depth: item.depth + 1 });
    }
  }
  return undefined;
}

/** The same for a literal in the document. */
function nulInLiteral(value: ValueNode, path: string): string | undefined {
  switch (value.kind) {
    case Kind.STRING:
      return value.value.includes('\0') ? path : undefined;
    case Kind.LIST:
      for (const [index, item] of value.values.entries()) {
        const found = nulInLiteral(item, `${path}.${index}`);
        if (found) return found;
      }
      return undefined;
    case Kind.OBJECT:
      for (const field of value.fields) {
        const found = nulInLiteral(field.value, `${path}.${field.name.value}`);
        if (found) return found;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * PostgreSQL cannot store or compare a NUL character in text: refused up front, naming the
 * argument (or `$variable`) that holds it, instead of failing in the database. Variables nested
 * past what any input needs are refused too, before anything recursive walks them.
 */
function refuseBadInput(document: DocumentNode, variables: Record<string, unknown>): void {
  let found: string | undefined;
  visit(document, {
    Argument(node) {
      found ??= nulInLiteral(node.value, node.name.value);
      return false;
    },
    VariableDefinition(node) {
      if (node.defaultValue) found ??= nulInLiteral(node.defaultValue, `$${node.variable.name.value}`);
      return false;
    },
  });
  if (found) throw withStatus(badInput(found, NUL_MESSAGE));
  for (const [name, value] of Object.entries(variables)) {
    const problem = problemIn(value, `$${name}`);
    if (problem) throw withStatus(badInput(problem.path, problem.message));
  }
}

function withStatus(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 400 } } });
}

/**
 * Checks what validation cannot, since it depends on the variables: NUL characters, and what
 * the operation could cost (variable defaults applied, each alias and introspection field
 * counted). Throws the refusal.
 */
export function checkOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown>,
  limits: QueryLimits,
): void {
  refuseBadInput(document, rawVariables);
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  if (!root) return;
  // Coerced as execution will: defaults from the variable definitions apply. Variables that do
  // not coerce fail the request before anything runs, so the raw ones do for the estimate.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables);
  const variables = coerced.coerced ?? rawVariables;
  const fragments = Object.fromEntries(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  // Counting goes on past the limit a little, so that the refusal says by how much it is passed.
  const { nodes, fields, complete } = estimateCost(schema, operation.selectionSet, root, fragments, variables, limits.maxQueryFields * 10);
  if (fields > limits.maxQueryFields)
    throw new GraphQLError(
      `This query selects ${complete ? '' : 'at least '}${fields} fields, more than the ${limits.maxQueryFields} allowed (each alias and each field reached through a fragment counts); split it into several requests.`,
      {
        extensions: {
          code: 'GRAPHQL_VALIDATION_FAILED',
          selectedFields: fields,
          maxFields: limits.maxQueryFields,
          http: { status: 400 },
        },
      },
    );
  if (nodes > limits.maxQueryNodes)
    throw new GraphQLError(
      `This query could return up to ${nodes} objects, more than the ${limits.maxQueryNodes} allowed; ask for smaller pages (first/last) or fewer nested lists.`,
      { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', estimatedNodes: nodes, maxNodes: limits.maxQueryNodes, http: { status: 400 } } },
    );
}

/** Refuses, before running it, an operation that `checkOperation` refuses (HTTP). */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (operation) checkOperation(schema, document, operation, request.variables ?? {}, limits);
        },
      };
    },
  };
}

const withCode = (error: GraphQLError, code: string) =>
  new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code } });

/**
 * graphql-ws's `onSubscribe`: parses, validates with the same rules as HTTP and checks the
 * operation the same way, for subscriptions and any other operation sent over the socket.
 */
export function websocketOperations(schema: GraphQLSchema, limits: QueryLimits) {
  const rules = [...specifiedRules, ...validationRules(limits)];
  return (payload: {
    query: string;
    operationName?: string | null;
    variables?: Record<string, unknown> | null;
  }): ExecutionArgs | readonly GraphQLError[] => {
    let document: DocumentNode;
    try {
      document = parse(payload.query);
    } catch (error) {
      // As Apollo does over HTTP: a document nested too deep overflows the parser's stack, which is the document's fault too.
      const parseError = error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error));
      return [withCode(parseError, 'GRAPHQL_PARSE_FAILED')];
    }
    const errors = validate(schema, document, rules);
    if (errors.length > 0) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) return [withCode(new GraphQLError('Unable to identify the operation to run.'), 'OPERATION_RESOLUTION_FAILURE')];
    const variables = payload.variables ?? {};
    try {
      checkOperation(schema, document, operation, variables, limits);
    } catch (error) {
      if (error instanceof GraphQLError) {
        const { http: _http, ...extensions } = error.extensions;
        return [new GraphQLError(error.message, { extensions })];
      }
      throw error;
    }
    return { schema, document, operationName: payload.operationName, variableValues: variables };
  };
}
