import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { Context } from './context.js';
import { badInput, notFound } from './errors.js';
import { loadNode } from './node-registry.js';
import { Node, parseGlobalId } from './relay.js';

async function fetchNode(ctx: Context, globalId: string, field: string): Promise<object> {
  const parsed = parseGlobalId(globalId);
  if (!parsed) throw badInput(field, 'is not a global ID returned by this API.');
  const node = await loadNode(ctx, parsed.type, parsed.id);
  if (!node) throw notFound(`Node ${globalId}`);
  return node;
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description: 'Fetches any object by its global ID; NOT_FOUND when it does not exist or you cannot read it.',
  })
  node(@Arg('id', () => ID, { description: 'A global ID.' }) id: string, @Ctx() ctx: Context) {
    return fetchNode(ctx, id, 'id');
  }

  @Query(() => [Node], {
    nullable: 'items',
    description: 'Fetches up to 100 objects by global ID; unreadable ones are null, with a NOT_FOUND error each.',
  })
  nodes(@Arg('ids', () => [ID], { description: 'Global IDs (at most 100).' }) ids: string[], @Ctx() ctx: Context) {
    if (ids.length > 100) throw badInput('ids', 'give at most 100 IDs.');
    // Errors become per-item nulls with their own error entries: an Error as a list item is one
    // (graphql-js and graphql-jit agree on that; jit misplaces the items of rejected promises).
    return Promise.all(ids.map((id, i) => fetchNode(ctx, id, `ids[${i}]`).catch((error: Error) => error)));
  }
}
