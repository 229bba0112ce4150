import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildBareSchema } from './schema.js';

/** The committed schema.graphql: sorted, so it changes only when the API does. */
export async function printSchemaFile(): Promise<string> {
  return printSchema(lexicographicSortSchema(await buildBareSchema())) + '\n';
}
