import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  parse,
  validate,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../src/db/migrate.js';
import { printSchemaFile } from '../src/graphql/print.js';
import { buildBareSchema, unruledEntryPoints } from '../src/graphql/schema.js';
import { PLAYGROUND_EXAMPLE } from '../src/http/playground.js';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildBareSchema();
});

describe('schema', () => {
  it('matches the committed schema.graphql (run `npm run schema` after changing the API)', async () => {
    const committed = readFileSync(path.join(projectRoot(), 'schema.graphql'), 'utf8');
    expect(await printSchemaFile()).toBe(committed);
  });

  it('resolves plain row properties by the default resolver (graphql-jit reads them inline), the rest by resolvers', () => {
    const fields = (type: string) => (schema.getType(type) as GraphQLObjectType).getFields();
    expect([fields('App').name.resolve, fields('Team').slug.resolve, fields('Membership').role.resolve]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    // A property named otherwise, a promise, a field resolver, a global ID.
    for (const field of [fields('Membership').since, fields('TeamConnection').totalCount, fields('Team').members, fields('App').id])
      expect(typeof field.resolve).toBe('function');
  });

  it('describes every type, field, argument and enum value', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : [])
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isEnumType(type)) for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
    expect(missing).toEqual([]);
  });

  it('opens the playground with operations that are valid against it', () => {
    expect(validate(schema, parse(PLAYGROUND_EXAMPLE)).map((e) => e.message)).toEqual([]);
  });

  it('has an authorization rule on every entry point', () => {
    expect(unruledEntryPoints(schema)).toEqual([]);
  });

  it('takes one input argument named after each mutation', () => {
    const mutation = schema.getMutationType()!;
    for (const field of Object.values(mutation.getFields())) {
      expect(field.args.map((a) => a.name)).toEqual(['input']);
      const typeName = String(field.args[0].type).replace(/!$/, '');
      expect(typeName).toBe(field.name[0].toUpperCase() + field.name.slice(1) + 'Input');
    }
  });
});
