import type { Context } from './context.js';

/**
 * How `node(id:)` finds objects: each Node type registers a loader that returns the object only
 * when the viewer may read it (the same loader its other lookups use).
 */
export type NodeFetcher = (ctx: Context, id: string) => Promise<object | null>;

const fetchers = new Map<string, NodeFetcher>();

export function registerNodeType(typeName: string, fetch: NodeFetcher): void {
  fetchers.set(typeName, fetch);
}

/** An object by type name and database id, typed for a `Node` field; null when gone or unreadable. */
export async function loadNode(ctx: Context, typeName: string, id: string): Promise<object | null> {
  const node = await fetchers.get(typeName)?.(ctx, id);
  return node ? { ...node, __typename: typeName } : null;
}
