import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { declarations, buildBareSchema } from '../src/graphql/schema.js';
import { describeDeclaration } from '../src/iam/declarations.js';
import { rules } from '../src/iam/rules.js';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildBareSchema();
});

describe('authorization declarations', () => {
  it('cover every mutation: none is left to a hand-written rule or to the service alone', () => {
    const declared = declarations(schema);
    const undeclared = Object.keys(schema.getMutationType()!.getFields()).filter((name) => !declared.has(`Mutation.${name}`));
    expect(undeclared).toEqual([]);
    expect(Object.keys((rules as Record<string, unknown>).Mutation ?? {})).toEqual([]);
  });

  it('end each declared field’s description with what it needs, generated from the declaration', () => {
    for (const [path, declaration] of declarations(schema)) {
      const [typeName, fieldName] = path.split('.');
      const field = (schema.getType(typeName) as { getFields(): Record<string, { description?: string | null }> }).getFields()[fieldName];
      expect(field.description?.endsWith(describeDeclaration(declaration)), path).toBe(true);
    }
    const fields = schema.getMutationType()!.getFields();
    expect(fields.deployApp.description).toBe(
      'Deploys an image or a commit as the app’s next version.\n\nRequires `app:deploy` on the app (`input.appId`).',
    );
    expect(fields.updateApp.description?.split('\n\n')[1]).toBe(
      'Requires `app:update` on the app (`input.appId`), and `app:delete` in the app’s owner team (`input.appId`) when `input.teamId` is given, and `app:create` on the team (`input.teamId`) when `input.teamId` is given.',
    );
    expect(fields.setAppQuota.description?.split('\n\n')[1]).toBe('Requires `app:update` platform-wide.');
    expect(fields.createTeam.description?.split('\n\n')[1]).toBe(
      'Authorization: a signed-in user with a session or an unscoped API token. You own it; it counts against your teamLimit.',
    );
    expect(fields.logIn.description?.split('\n\n')[1]).toBe('Authorization: anyone (a token, when sent, must be valid).');
  });
});
