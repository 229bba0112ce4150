import { Field, ID, InterfaceType } from 'type-graphql';
import { badInput } from './errors.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque global IDs: base64url of "Type:uuid". Clients must not parse them. */
export function toGlobalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

export function parseGlobalId(globalId: string): { type: string; id: string } | null {
  if (globalId.length > 200) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  const id = decoded.slice(colon + 1);
  if (!UUID.test(id)) return null;
  return { type: decoded.slice(0, colon), id };
}

/** The database id behind a global ID of the expected type; names the argument when it is not one. */
export function idOf(type: string, globalId: string, field: string): string {
  const parsed = parseGlobalId(globalId);
  if (!parsed || parsed.type !== type) throw badInput(field, `expected the ID of ${/^[AEIO]/.test(type) ? 'an' : 'a'} ${type}.`);
  return parsed.id;
}

@InterfaceType({
  description: 'An object with a global ID, which can be fetched again with `node(id:)`.',
  resolveType: (value: { __typename?: string }) => value.__typename,
})
export abstract class Node {
  @Field(() => ID, { description: 'Opaque global ID of the object.' })
  id!: string;
}
