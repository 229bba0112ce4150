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

export function nodeFetcher(typeName: string): NodeFetcher | undefined {
  return fetchers.get(typeName);
}
