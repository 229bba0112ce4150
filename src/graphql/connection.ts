import DataLoader from 'dataloader';
import { and, asc, count, desc, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { ArgsType, Field, InputType, Int, ObjectType, registerEnumType, type ClassType } from 'type-graphql';
import type { Context } from './context.js';
import { badInput } from './errors.js';
import type { LoaderFactory } from './loaders.js';
import { UUID } from './relay.js';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import { CONDITION, RowReader, SelectTemplate, isAnyOf } from '../db/read.js';

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(OrderDirection, {
  name: 'OrderDirection',
  description: 'Sort direction.',
  valuesConfig: { ASC: { description: 'Ascending: A to Z, oldest first.' }, DESC: { description: 'Descending: Z to A, newest first.' } },
});

@ObjectType({ description: 'Where a page sits in the whole list (Relay cursor connections).' })
export class PageInfo {
  @Field(() => Boolean, { description: 'More items follow this page (when paging forward with `first`).' })
  hasNextPage!: boolean;
  @Field(() => Boolean, { description: 'More items precede this page (when paging backward with `last`).' })
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Cursor of the first item of the page; pass as `before` to page backward.' })
  startCursor!: string | null;
  @Field(() => String, { nullable: true, description: 'Cursor of the last item of the page; pass as `after` to page forward.' })
  endCursor!: string | null;
}

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, {
    nullable: true,
    description: 'Return the first n items (1 to 100). Defaults to 20 when neither first nor last is given.',
  })
  first?: number | null;
  @Field(() => String, { nullable: true, description: 'Return items after this cursor (use with first).' })
  after?: string | null;
  @Field(() => Int, { nullable: true, description: 'Return the last n items (1 to 100).' })
  last?: number | null;
  @Field(() => String, { nullable: true, description: 'Return items before this cursor (use with last).' })
  before?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}
export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  readonly totalCount: Promise<number>;
}

/** The GraphQL types of a connection of `nodeType`: `<Name>Connection` and `<Name>Edge`. */
export function connectionType<T extends object>(nodeType: ClassType<T>, name: string, description: string) {
  @ObjectType(`${name}Edge`, { description: `An edge in a connection of ${description}.` })
  class EdgeType {
    @Field(() => String, { description: 'Opaque cursor of this item, for `after` and `before`.' })
    cursor!: string;
    @Field(() => nodeType, { description: 'The item.' })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${description}.` })
  class ConnectionType {
    @Field(() => [EdgeType], { description: 'The items of this page, each with its cursor.' })
    edges!: EdgeType[];
    @Field(() => [nodeType], { description: 'The items of this page.' })
    nodes!: T[];
    @Field(() => PageInfo, { description: 'Paging information.' })
    pageInfo!: PageInfo;
    // A promise (counted only when asked): a resolver awaits it, an inlined property read would not.
    @Field(() => Int, { simple: false, description: 'How many items the whole list has (computed only when asked).' })
    totalCount!: number;
  }
  return ConnectionType;
}

/** The `orderBy` input of a connection: `{ field, direction }`. */
export function orderInput<F extends Record<string, string>>(fieldEnum: F, name: string, description: string) {
  @InputType(`${name}Order`, { description: `How to order ${description}.` })
  class OrderInput {
    @Field(() => fieldEnum, { description: 'The field to order by.' })
    field!: F[keyof F];
    @Field(() => OrderDirection, { description: 'The direction.' })
    direction!: OrderDirection;
  }
  return OrderInput;
}

// ---------------------------------------------------------------------------------------------
// Keyset pagination

type Fields = Record<string, AnyColumn>;
type Row<F extends Fields> = { [K in keyof F]: F[K]['_']['data'] | (F[K]['_']['notNull'] extends true ? never : null) };

export interface ConnectionSpec<F extends Fields, TArgs> {
  /** Names the loaders of this connection (must be unique). */
  name: string;
  /** The selected fields; must contain `id`, the tiebreak of every order. */
  fields: F & { id: AnyColumn };
  /** Adds FROM and JOINs to a select. */
  from: (select: any) => any;
  /** For nested connections: the column holding the parent's id. */
  parent?: AnyColumn;
  /** The sortable columns, by the values of the connection's order-field enum. */
  orderColumns: Record<string, AnyColumn>;
  defaultOrder: { field: string; direction: OrderDirection };
  /** Visibility and filters; runs in SQL so that what the viewer may not read never leaves the database. */
  where?: (ctx: Context, args: TArgs) => SQL | undefined;
}

export interface Page<R> {
  rows: R[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** The whole list's size, when the page's statement counted it. */
  total?: number;
}

interface Cursor {
  value: string | number;
  id: string;
}

/**
 * A cursor names the list and order it came from, so that one from another list or order is
 * refused instead of paging wrongly.
 */
function encodeCursor(list: string, value: unknown, id: string): string {
  const v = value instanceof Date ? value.toISOString() : typeof value === 'bigint' ? value.toString() : value;
  return Buffer.from(JSON.stringify([list, v, id])).toString('base64url');
}

function decodeCursor(cursor: string, argument: 'after' | 'before', list: string, column: AnyColumn): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (Array.isArray(parsed) && parsed.length === 3 && parsed[0] === list && typeof parsed[2] === 'string' && UUID.test(parsed[2])) {
    const value: unknown = parsed[1];
    if (isSortValueOf(column, value)) return { value, id: parsed[2] };
  }
  throw badInput(argument, 'is not a cursor of this list in this order; use a cursor the same query returned.');
}

/** What encodeCursor writes for a timestamp: `Date.toISOString()`. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const INT4_MAX = 2 ** 31 - 1;

/**
 * Whether a decoded cursor value is one that a row of this sort column could have: anything else
 * (a timestamp of "1", a bigint of 1e300, a NUL in text) would only fail in the database.
 */
function isSortValueOf(column: AnyColumn, value: unknown): value is string | number {
  if (column.dataType === 'number') {
    const sqlType = (column as unknown as { getSQLType(): string }).getSQLType();
    const max = sqlType === 'integer' ? INT4_MAX : Number.MAX_SAFE_INTEGER;
    return Number.isInteger(value) && Math.abs(value as number) <= max;
  }
  if (typeof value !== 'string' || value.includes('\0')) return false;
  return column.dataType !== 'date' || (ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value)));
}

interface PageRequest {
  limit: number;
  backward: boolean;
  cursor?: Cursor;
}

function pageRequest(args: ConnectionArgs, list: string, column: AnyColumn): PageRequest {
  const { first, last, after, before } = args;
  if (first != null && last != null) throw badInput('first', 'pass either first or last, not both.');
  for (const [name, value] of [
    ['first', first],
    ['last', last],
  ] as const)
    if (value != null && (value < 1 || value > 100)) throw badInput(name, 'must be between 1 and 100.');
  if (last != null) {
    if (after != null) throw badInput('after', 'use after with first, and before with last.');
    return { limit: last, backward: true, cursor: before != null ? decodeCursor(before, 'before', list, column) : undefined };
  }
  if (before != null) throw badInput('before', 'use before with last, and after with first.');
  return { limit: first ?? 20, backward: false, cursor: after != null ? decodeCursor(after, 'after', list, column) : undefined };
}

/** What a page statement's text depends on (besides its condition). */
interface PageShape {
  column: AnyColumn;
  ascending: boolean;
  /** Rows to read: the page and one more, to know whether another page follows. */
  limit: number;
  /** Pages of many parents in one statement, ranked per parent. */
  nested: boolean;
  /** The statement counts each parent's list too (no cursor: the partition is the whole list). */
  counted: boolean;
}

interface OrderArgs {
  orderBy?: { field: string; direction: OrderDirection } | null;
}

/** A connection over one table (or join): loads pages at the root or, batched, for many parents. */
export class ConnectionDef<F extends Fields, TArgs extends ConnectionArgs & OrderArgs> {
  private readonly pages: LoaderFactory<string, Page<Row<F>>, TArgs>;
  private readonly counts: LoaderFactory<string, number, TArgs>;
  private readonly sortKeys = new Map<AnyColumn, string>();
  private readonly reader: RowReader<F>;
  private readonly pageTemplates = new Map<string, SelectTemplate>();

  constructor(private readonly spec: ConnectionSpec<F, TArgs>) {
    this.reader = new RowReader(spec.fields);
    for (const column of Object.values(spec.orderColumns)) {
      const key = Object.entries(spec.fields).find(([, c]) => c === column)?.[0];
      if (!key) throw new Error(`${spec.name}: order column must be one of the selected fields`);
      this.sortKeys.set(column, key);
    }
    // Loaders are keyed by the arguments, so equal arguments under many parents share one batch.
    this.pages = (ctx, _key, args) => new DataLoader((parentIds: readonly string[]) => this.fetchPages(ctx, args, parentIds));
    this.counts = (ctx, _key, args) => new DataLoader((parentIds: readonly string[]) => this.fetchCounts(ctx, args, parentIds));
  }

  /** A page for the root of the graph (no parent). */
  async root(ctx: Context, args: TArgs): Promise<Connection<Row<F>>> {
    const [page] = await this.fetchPages(ctx, args, null);
    return this.connection(page, args, () => this.fetchCounts(ctx, args, null).then(([n]) => n));
  }

  /** A page under one parent, batched with the same request's other parents. */
  async forParent(ctx: Context, parentId: string, args: TArgs): Promise<Connection<Row<F>>> {
    const page = await ctx.loaders.get(this.pages, JSON.stringify(args), args).load(parentId);
    return this.connection(page, args, () =>
      page.total !== undefined
        ? Promise.resolve(page.total)
        : ctx.loaders.get(this.counts, JSON.stringify(filterArgs(args)), args).load(parentId),
    );
  }

  private order(args: TArgs) {
    const field = args.orderBy?.field ?? this.spec.defaultOrder.field;
    const direction = args.orderBy?.direction ?? this.spec.defaultOrder.direction;
    const column = this.spec.orderColumns[field];
    return { column, direction, key: this.sortKeys.get(column)!, list: `${this.spec.name}:${field}` };
  }

  private async fetchPages(ctx: Context, args: TArgs, parentIds: readonly string[] | null): Promise<Page<Row<F>>[]> {
    const order = this.order(args);
    const request = pageRequest(args, order.list, order.column);
    const ascending = (order.direction === OrderDirection.ASC) !== request.backward;
    const { column } = order;
    const id = this.spec.fields.id;
    const conditions: (SQL | undefined)[] = [this.spec.where?.(ctx, args)];
    if (request.cursor) {
      const type = sql.raw((column as unknown as { getSQLType(): string }).getSQLType());
      const bound = sql`(${request.cursor.value}::${type}, ${request.cursor.id}::uuid)`;
      conditions.push(ascending ? sql`(${column}, ${id}) > ${bound}` : sql`(${column}, ${id}) < ${bound}`);
    }
    if (parentIds) conditions.push(isAnyOf(this.spec.parent!, parentIds));
    const shape: PageShape = { column, ascending, limit: request.limit + 1, nested: parentIds !== null, counted: !request.cursor };
    const values = await ctx.app.database.values(this.pageTemplate(shape).render(and(...conditions)));
    const parentAt = shape.nested ? Object.keys(this.spec.fields).length : null;
    const rows = this.reader.read(values);
    const groups = new Map<string | null, Row<F>[]>();
    const totals = new Map<string, number>();
    for (let i = 0; i < rows.length; i++) {
      const parentId = parentAt === null ? null : (values[i][parentAt] as string);
      const list = groups.get(parentId);
      if (list) list.push(rows[i]);
      else {
        groups.set(parentId, [rows[i]]);
        if (parentId !== null && !request.cursor) totals.set(parentId, Number(values[i][parentAt! + 1]));
      }
    }
    const keys = parentIds ?? [null];
    return keys.map((key) => {
      const list = groups.get(key) ?? [];
      const more = list.length > request.limit;
      const pageRows = more ? list.slice(0, request.limit) : list;
      if (request.backward) pageRows.reverse();
      return {
        rows: pageRows,
        hasNextPage: request.backward ? request.cursor !== undefined : more,
        hasPreviousPage: request.backward ? more : request.cursor !== undefined,
        total: key !== null && !request.cursor ? (totals.get(key) ?? 0) : undefined,
      };
    });
  }

  /** The page statement of a shape, rendered once (`SelectTemplate`); only its condition is rendered per request. */
  private pageTemplate(shape: PageShape): SelectTemplate {
    const key = `${this.sortKeys.get(shape.column)}:${shape.ascending}:${shape.limit}:${shape.nested}:${shape.counted}`;
    let template = this.pageTemplates.get(key);
    if (!template) this.pageTemplates.set(key, (template = new SelectTemplate(this.pageQuery(shape))));
    return template;
  }

  private pageQuery({ column, ascending, limit, nested, counted }: PageShape) {
    const id = this.spec.fields.id;
    const select = new QueryBuilder();
    // The limit is part of the text (1 to 101), so that the template takes no values.
    const limitSql = sql.raw(String(limit));
    if (!nested) {
      return this.spec
        .from(select.select(this.spec.fields as any))
        .where(CONDITION)
        .orderBy(...(ascending ? [asc(column), asc(id)] : [desc(column), desc(id)]))
        .limit(limitSql as never);
    }
    const parent = this.spec.parent!;
    const direction = sql.raw(ascending ? 'asc' : 'desc');
    const ranked = this.spec
      .from(
        select.select({
          ...(this.spec.fields as any),
          __parent: sql<string>`${parent}`.as('__parent'),
          __rank: sql<number>`row_number() over (partition by ${parent} order by ${column} ${direction}, ${id} ${direction})`.as('__rank'),
          // Without a cursor the partition is the parent's whole list: its size is `totalCount`,
          // counted in the same pass as the ranking instead of by a statement of its own.
          ...(counted ? { __total: sql<number>`count(*) over (partition by ${parent})`.as('__total') } : {}),
        }),
      )
      .where(CONDITION)
      .as('ranked');
    // The spec's fields, then the parent's id and the list's size: the reader reads the first,
    // the grouping the others.
    const selected: Record<string, unknown> = {};
    for (const key of Object.keys(this.spec.fields)) selected[key] = ranked[key];
    selected.__parent = ranked.__parent;
    if (counted) selected.__total = ranked.__total;
    return select
      .select(selected as any)
      .from(ranked)
      .where(sql`${ranked.__rank} <= ${limitSql}`)
      .orderBy(ranked.__parent, ranked.__rank);
  }

  private async fetchCounts(ctx: Context, args: TArgs, parentIds: readonly string[] | null): Promise<number[]> {
    const where = this.spec.where?.(ctx, args);
    if (!parentIds) {
      const [[n]] = await ctx.app.database.values(
        this.spec
          .from(ctx.db.select({ n: count() }))
          .where(where)
          .toSQL(),
      );
      return [Number(n)];
    }
    const parent = this.spec.parent!;
    const rows = await ctx.app.database.values(
      this.spec
        .from(ctx.db.select({ parentId: sql<string>`${parent}`, n: count() }))
        .where(and(where, isAnyOf(parent, parentIds)))
        .groupBy(parent)
        .toSQL(),
    );
    const counts = new Map(rows.map(([parentId, n]) => [parentId as string, Number(n)]));
    return parentIds.map((id) => counts.get(id) ?? 0);
  }

  private connection(page: Page<Row<F>>, args: TArgs, totalCount: () => Promise<number>): Connection<Row<F>> {
    const { key, list } = this.order(args);
    const cursorOf = (node: Row<F> | undefined) => (node ? encodeCursor(list, node[key], node.id as string) : null);
    let edges: Edge<Row<F>>[] | undefined;
    let counted: Promise<number> | undefined;
    // Getters, so that work the client did not ask for is not done: cursors for every edge
    // (dashboards mostly read `nodes`), and the count query.
    return {
      get edges() {
        return (edges ??= page.rows.map((node) => ({ cursor: cursorOf(node)!, node })));
      },
      nodes: page.rows,
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: page.hasPreviousPage,
        get startCursor() {
          return cursorOf(page.rows[0]);
        },
        get endCursor() {
          return cursorOf(page.rows.at(-1));
        },
      },
      get totalCount() {
        return (counted ??= totalCount());
      },
    };
  }
}

/** Arguments that change which items are in the list (not the page or its order). */
function filterArgs<T extends ConnectionArgs & OrderArgs>(args: T): Partial<T> {
  const { first: _f, after: _a, last: _l, before: _b, orderBy: _o, ...rest } = args;
  return rest as Partial<T>;
}

export function defineConnection<F extends Fields, TArgs extends ConnectionArgs & OrderArgs>(
  spec: ConnectionSpec<F, TArgs>,
): ConnectionDef<F, TArgs> {
  return new ConnectionDef(spec);
}
