import { Column, SQL, is, sql, type AnyColumn, type BuildQueryConfig } from 'drizzle-orm';
import { CasingCache } from 'drizzle-orm/casing';
import { PgDialect, QueryBuilder } from 'drizzle-orm/pg-core';
import type { Database } from './client.js';

const dialect = new PgDialect();
/** How PgDialect renders (no casing), for conditions whose parameters follow a template's. */
const renderConfig: Omit<BuildQueryConfig, 'paramStartIndex'> = {
  casing: new CasingCache(),
  escapeName: (name) => dialect.escapeName(name),
  escapeParam: (num) => dialect.escapeParam(num),
  escapeString: (str) => dialect.escapeString(str),
  prepareTyping: (encoder) => dialect.prepareTyping(encoder),
};
const CONDITION_MARK = '/*condition*/';

/** Where a `SelectTemplate`'s condition goes: `.where(CONDITION)`. */
export const CONDITION = sql.raw(CONDITION_MARK);

/** A built query as drizzle renders it. */
type Renderable = { toSQL(): { sql: string; params: unknown[] } };

/**
 * A select rendered once but for its WHERE condition: drizzle renders a query by walking every
 * chunk of it (each column, join, window), which was most of the dashboards' query-building CPU,
 * while only the condition (keys, cursor, the viewer's visibility) changes from one request to the
 * next. Values of the rest (a join's constant) must come before the condition, whose parameters
 * are numbered after them.
 */
export class SelectTemplate {
  private readonly head: string;
  private readonly tail: string;
  private readonly headParams: unknown[];

  constructor(query: Renderable) {
    const { sql: text, params } = query.toSQL();
    const parts = text.split(CONDITION_MARK);
    if (parts.length !== 2) throw new Error(`a select template has its condition once: ${text}`);
    if (/\$\d/.test(parts[1])) throw new Error(`a select template takes no values after its condition: ${text}`);
    [this.head, this.tail] = parts;
    this.headParams = params;
  }

  /** The query for one condition (undefined: every row). */
  render(condition: SQL | undefined): { sql: string; params: unknown[] } {
    const rendered = (condition ?? sql`true`).toQuery({ ...renderConfig, paramStartIndex: { value: this.headParams.length } });
    return {
      sql: this.head + rendered.sql + this.tail,
      params: this.headParams.length ? [...this.headParams, ...rendered.params] : rendered.params,
    };
  }
}

/** Postgres' array literal of strings, each element quoted (a slug or a name may hold a comma). */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/**
 * SQL condition `column = any($1::type[])`: one parameter whatever the number of values, so that a
 * loader's statement has one text (one prepared statement, one plan) for every batch size.
 */
export function isAnyOf(column: AnyColumn, values: readonly string[]): SQL {
  return sql`${column} = any(${arrayLiteral(values)}::${sql.raw(column.getSQLType())}[])`;
}

/** A select's fields: drizzle columns, or SQL expressions (`sql<T>\`…\``) read as the driver returns them. */
export type ReadFields = Record<string, AnyColumn | SQL | SQL.Aliased>;

/** What a field reads as. */
type ValueOf<C> = C extends AnyColumn
  ? C['_']['data'] | (C['_']['notNull'] extends true ? never : null)
  : C extends SQL<infer T> | SQL.Aliased<infer T>
    ? T
    : never;

export type RowOf<F extends ReadFields> = { [K in keyof F]: ValueOf<F[K]> };

type Decode = (value: unknown) => unknown;

/**
 * Turns the driver's rows (arrays, in the order of `fields`) into objects, decoding only the
 * columns whose type needs it (timestamps, bigints): what drizzle's row mapping does, without
 * its per-field entity checks, which were a sixth of a dashboard's CPU.
 */
export class RowReader<F extends ReadFields> {
  private readonly keys: string[];
  private readonly decoders: (Decode | null)[];

  constructor(readonly fields: F) {
    this.keys = Object.keys(fields);
    this.decoders = this.keys.map((key) => {
      const field = fields[key];
      if (!is(field, Column)) return null;
      // Columns that map nothing inherit Column's identity mapping.
      if (field.mapFromDriverValue === Column.prototype.mapFromDriverValue) return null;
      return (value: unknown) => field.mapFromDriverValue(value);
    });
  }

  /**
   * A select of these fields that `complete` finishes (from, joins, `.where(CONDITION)`, order),
   * rendered once; `run` it with each batch's condition.
   */
  select(complete: (select: any) => Renderable): { run(database: Database, condition: SQL | undefined): Promise<RowOf<F>[]> } {
    const template = new SelectTemplate(complete(new QueryBuilder().select(this.fields as any)));
    return { run: async (database, condition) => this.read(await database.values(template.render(condition))) };
  }

  /** The rows as objects; values past the fields (a parent's id for grouping) are left to the caller. */
  read(rows: readonly unknown[][]): RowOf<F>[] {
    const { keys, decoders } = this;
    const out = new Array<RowOf<F>>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const values = rows[r];
      const row: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) {
        const value = values[i];
        const decode = decoders[i];
        row[keys[i]] = value === null || decode === null ? value : decode(value);
      }
      out[r] = row as RowOf<F>;
    }
    return out;
  }
}
