import { GraphQLScalarType, Kind } from 'graphql';
export { DateTimeResolver as DateTime, EmailAddressResolver as EmailAddress, JSONResolver as JSONScalar } from 'graphql-scalars';

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
