import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  getNamedType,
  isObjectType,
  isInterfaceType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

const DEFAULT_PAGE = 20;

function intArgument(value: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === 'number' ? v : undefined;
  }
  return undefined;
}

/**
 * How many objects a query may return at most: each connection multiplies what is below it by
 * its page size (first/last, 20 by default), as GitHub counts "nodes".
 */
export function estimateNodes(
  schema: GraphQLSchema,
  selectionSet: SelectionSetNode,
  parentType: GraphQLCompositeType,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  multiplier = 1,
  seen = new Set<string>(),
): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = fragments[selection.name.value];
      if (!fragment || seen.has(fragment.name.value)) continue;
      const type = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType;
      total += estimateNodes(schema, fragment.selectionSet, type, fragments, variables, multiplier, new Set(seen).add(fragment.name.value));
      continue;
    }
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : parentType;
      total += estimateNodes(schema, selection.selectionSet, type, fragments, variables, multiplier, seen);
      continue;
    }
    if (!selection.selectionSet || !(isObjectType(parentType) || isInterfaceType(parentType))) continue;
    const field = parentType.getFields()[selection.name.value];
    if (!field) continue;
    const returnType = getNamedType(field.type) as GraphQLCompositeType;
    let factor = 1;
    if (returnType.name.endsWith('Connection')) {
      const args = Object.fromEntries((selection.arguments ?? []).map((a) => [a.name.value, a.value]));
      factor = intArgument(args.first, variables) ?? intArgument(args.last, variables) ?? DEFAULT_PAGE;
    }
    // The field is one object per parent; a connection's page multiplies what lies below it.
    total +=
      multiplier + estimateNodes(schema, selection.selectionSet, returnType, fragments, variables, multiplier * Math.max(factor, 1), seen);
  }
  return total;
}

/** Refuses, before running it, a query that could return more than `maxNodes` objects. */
export function queryCostPlugin(maxNodes: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          const fragments = Object.fromEntries(
            document.definitions
              .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
              .map((d) => [d.name.value, d]),
          );
          if (!operation) return;
          const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
          if (!root) return;
          const nodes = estimateNodes(schema, operation.selectionSet, root, fragments, request.variables ?? {});
          if (nodes > maxNodes)
            throw new GraphQLError(
              `This query could return up to ${nodes} objects, more than the ${maxNodes} allowed; ask for smaller pages (first/last) or fewer nested lists.`,
              { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', estimatedNodes: nodes, maxNodes, http: { status: 400 } } },
            );
        },
      };
    },
  };
}
