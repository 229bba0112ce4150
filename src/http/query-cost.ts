import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

const DEFAULT_PAGE = 20;

export interface QueryCost {
  /** How many objects the query could return: each connection or list multiplies what is below it. */
  nodes: number;
  /** How many fields it selects, each alias and each field reached through a fragment once. */
  fields: number;
  /** False when counting stopped early, past `stopAfterFields`: then `fields` is a lower bound. */
  complete: boolean;
}

/** The field a selection names, including the introspection fields no type lists. */
function fieldOf(parentType: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
  if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  return isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[name] : undefined;
}

/** The value of an argument, from a literal or from the (coerced, defaults applied) variables. */
function argumentValue(value: ValueNode | undefined, variables: Record<string, unknown>): unknown {
  if (!value) return undefined;
  switch (value.kind) {
    case Kind.INT:
      return Number(value.value);
    case Kind.VARIABLE:
      return variables[value.name.value];
    case Kind.LIST:
      return value.values;
    default:
      return undefined;
  }
}

/**
 * How many items a field returns per parent: a connection its page size (first/last, 20 by
 * default), a list fetched by a list argument (`nodes(ids:)`) that list's length, anything else one.
 */
function fanOut(field: GraphQLField<unknown, unknown>, args: Record<string, ValueNode>, variables: Record<string, unknown>): number {
  if (getNamedType(field.type).name.endsWith('Connection')) {
    const size = argumentValue(args.first, variables) ?? argumentValue(args.last, variables);
    return typeof size === 'number' ? Math.max(size, 1) : DEFAULT_PAGE;
  }
  if (!isListType(getNullableType(field.type))) return 1;
  for (const arg of field.args) {
    if (!isListType(getNullableType(arg.type))) continue;
    const list = argumentValue(args[arg.name], variables);
    if (Array.isArray(list)) return Math.max(list.length, 1);
  }
  return 1;
}

/**
 * Estimates a selection set's cost, as GitHub counts "nodes", and counts its fields. Stops
 * counting once `stopAfterFields` is passed, so that a document whose fragments spread each
 * other many times over costs the server little to refuse. Fragment cycles are tolerated (each
 * fragment is entered once per path); validation reports them.
 */
export function estimateCost(
  schema: GraphQLSchema,
  selectionSet: SelectionSetNode,
  rootType: GraphQLCompositeType,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  stopAfterFields: number,
): QueryCost {
  const cost: QueryCost = { nodes: 0, fields: 0, complete: true };
  const visit = (set: SelectionSetNode, parentType: GraphQLCompositeType, multiplier: number, seen: ReadonlySet<string>) => {
    for (const selection of set.selections) {
      if (cost.fields > stopAfterFields) {
        cost.complete = false;
        return;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[selection.name.value];
        if (!fragment || seen.has(fragment.name.value)) continue;
        const type = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType;
        visit(fragment.selectionSet, type ?? parentType, multiplier, new Set(seen).add(fragment.name.value));
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : parentType;
        visit(selection.selectionSet, type ?? parentType, multiplier, seen);
        continue;
      }
      cost.fields += 1;
      if (!selection.selectionSet) continue;
      const field = fieldOf(parentType, selection.name.value);
      if (!field) continue;
      const args = Object.fromEntries((selection.arguments ?? []).map((a) => [a.name.value, a.value]));
      const factor = fanOut(field, args, variables);
      const isConnection = getNamedType(field.type).name.endsWith('Connection');
      // A connection is one object per parent and multiplies what lies below it; a list is its items.
      cost.nodes += isConnection ? multiplier : multiplier * factor;
      visit(selection.selectionSet, getNamedType(field.type) as GraphQLCompositeType, multiplier * factor, seen);
    }
  };
  visit(selectionSet, rootType, 1, new Set());
  return cost;
}
