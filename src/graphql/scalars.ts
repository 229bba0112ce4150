import { GraphQLScalarType, Kind } from 'graphql';
import { JSONResolver } from 'graphql-scalars';
export { DateTimeResolver as DateTime, EmailAddressResolver as EmailAddress } from 'graphql-scalars';

/**
 * graphql-scalars builds the objects of an inline JSON literal with a null prototype (against
 * prototype pollution), which drizzle cannot take as a column value (it reads `.constructor`).
 * Ordinary objects built with `Object.fromEntries` keep the protection: a `__proto__` key stays
 * an own property.
 */
function ordinaryJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordinaryJson);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, ordinaryJson(item)]));
  return value;
}

/** graphql-scalars' JSON, with inline object literals parsed into ordinary objects. */
export const JSONScalar = new GraphQLScalarType({
  ...JSONResolver.toConfig(),
  parseLiteral: (ast, variables) => ordinaryJson(JSONResolver.parseLiteral(ast, variables)),
});

/**
 * Integers beyond 2^53 (byte counts). Sent as strings so every JSON client reads them exactly;
 * accepted as strings or integers.
 */
export const BigIntScalar = new GraphQLScalarType({
  name: 'BigInt',
  description: 'An integer that may exceed 2^53, such as a byte count; serialized as a decimal string.',
  serialize(value) {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number' && Number.isInteger(value)) return String(value);
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
    throw new TypeError('BigInt cannot represent ' + String(value));
  },
  parseValue(value) {
    if ((typeof value === 'string' && /^-?\d{1,30}$/.test(value)) || (typeof value === 'number' && Number.isInteger(value)))
      return BigInt(value);
    throw new TypeError('BigInt must be an integer or a string of digits');
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.INT || (ast.kind === Kind.STRING && /^-?\d{1,30}$/.test(ast.value))) return BigInt(ast.value);
    throw new TypeError('BigInt must be an integer or a string of digits');
  },
});
