import 'reflect-metadata';
import { GraphQLObjectType, GraphQLSchema, defaultFieldResolver, isObjectType } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { deny, shield } from 'graphql-shield';
import type { IMiddleware } from 'graphql-middleware';
import { buildSchema, getMetadataStorage } from 'type-graphql';
import { AUTHORIZATION, describeDeclaration, type Declaration } from '../iam/declarations.js';
import { guardRule } from '../iam/guard.js';
import { rules } from '../iam/rules.js';
import { AccountResolver } from '../modules/accounts/resolver.js';
import { BucketResolver, TeamBucketsResolver } from '../modules/buckets/resolver.js';
import { ClusterCatalogResolver } from '../modules/clusters/catalog.js';
import { AppClusterResolver, ClusterResolver, NodePoolResolver, TeamClustersResolver } from '../modules/clusters/resolver.js';
import { AclEntryResolver, IamPolicyResolver, RoleResolver } from '../modules/iam/resolver.js';
import {
  AppCollaboratorsResolver,
  BucketCollaboratorsResolver,
  ClusterCollaboratorsResolver,
} from '../modules/iam/collaborator-resolver.js';
import { ServiceAccountResolver, TeamServiceAccountsResolver } from '../modules/iam/service-account-resolver.js';
import { DeployOperationResolver, OperationProgressResolver, OperationResolver } from '../modules/operations/resolver.js';
import { TeamLimitsResolver } from '../modules/teams/limits.js';
import { AppResolver, DeployResolver, EnvVarResolver, TeamAppsResolver } from '../modules/apps/resolver.js';
import { AuditEventResolver, TeamEventSubscriptionResolver, TeamEventsResolver, UserEventsResolver } from '../modules/events/resolver.js';
import { InvitationResolver, MembershipResolver, TeamResolver } from '../modules/teams/resolver.js';
import { ApiTokenResolver, SessionResolver } from '../modules/tokens/resolver.js';
import { UserResolver } from '../modules/users/resolver.js';
import type { Context } from './context.js';
import { ClientError } from './errors.js';
import { NodeResolver } from './node-resolver.js';
import { Node, toGlobalId } from './relay.js';
import { DateTime } from './scalars.js';

const ENTRY_POINTS = ['Query', 'Mutation', 'Subscription'];

/**
 * Plain fields (properties of the row, no `@FieldResolver`) resolve by graphql's default resolver:
 * type-graphql otherwise wraps each in a function running its middlewares, and the API has none,
 * so the wrapper only cost a call and an object per field of every node (and kept graphql-jit
 * from reading the property inline). graphql-jit reads such a property without awaiting it: a
 * field whose property is a promise declares `simple: false`. A middleware or `@Authorized` on a
 * field would be skipped by a default resolver, so they are refused here rather than ignored.
 */
function resolvePlainFieldsByDefault(): void {
  const metadata = getMetadataStorage();
  const guarded = metadata.fields.find((field) => field.middlewares?.length || field.roles);
  if (guarded) throw new Error(`${guarded.target.name}.${guarded.name}: field middlewares are not used by this API`);
  for (const type of [...metadata.objectTypes, ...metadata.interfaceTypes]) type.simpleResolvers ??= true;
  // A field named otherwise in the schema (`Membership.since`) reads its property by type-graphql's resolver.
  for (const field of metadata.fields) if (field.schemaName !== field.name) field.simple ??= false;
}

/** The schema as the resolvers define it, before authorization rules are applied. */
export async function buildBareSchema(): Promise<GraphQLSchema> {
  resolvePlainFieldsByDefault();
  const schema = await buildSchema({
    resolvers: [
      NodeResolver,
      AccountResolver,
      UserResolver,
      UserEventsResolver,
      ApiTokenResolver,
      SessionResolver,
      TeamResolver,
      TeamEventsResolver,
      MembershipResolver,
      InvitationResolver,
      AuditEventResolver,
      TeamEventSubscriptionResolver,
      AppResolver,
      EnvVarResolver,
      DeployResolver,
      TeamAppsResolver,
      BucketResolver,
      ClusterCatalogResolver,
      TeamBucketsResolver,
      TeamLimitsResolver,
      ClusterResolver,
      NodePoolResolver,
      TeamClustersResolver,
      AppClusterResolver,
      OperationResolver,
      OperationProgressResolver,
      DeployOperationResolver,
      ServiceAccountResolver,
      TeamServiceAccountsResolver,
      RoleResolver,
      IamPolicyResolver,
      AclEntryResolver,
      BucketCollaboratorsResolver,
      AppCollaboratorsResolver,
      ClusterCollaboratorsResolver,
    ],
    orphanedTypes: [Node],
    scalarsMap: [{ type: Date, scalar: DateTime }],
    // Every subscription brings its own `subscribe` (fed by the database's NOTIFY); type-graphql
    // still insists on a PubSub, which is never used.
    pubSub: {
      publish: () => {
        throw new Error('subscriptions publish through the EventBus');
      },
      subscribe: () => {
        throw new Error('subscriptions subscribe through their own subscribe function');
      },
    },
    validate: false,
  });
  encodeNodeIds(schema);
  describeDeclarations(schema);
  schema.getQueryType()!.description = 'Entry points for reading: the viewer, teams, users and any object by global ID.';
  schema.getSubscriptionType()!.description =
    'Live updates over graphql-ws on the same path, authenticated by `connectionParams: { Authorization: "Bearer <token>" }`.';
  schema.getMutationType()!.description =
    'Entry points for changing things; each takes one `input` and returns a payload with `userErrors`.';
  return schema;
}

/** Objects carry database uuids; every Node type's `id` field turns them into opaque global IDs. */
function encodeNodeIds(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || !type.getInterfaces().some((i) => i.name === 'Node')) continue;
    const typeName = type.name;
    type.getFields().id.resolve = (row: { id: string }) => toGlobalId(typeName, row.id);
  }
}

/** The declarations of the schema's fields (`@Requires`), by type and field. */
export function declarations(schema: GraphQLSchema): Map<string, Declaration> {
  const found = new Map<string, Declaration>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const declaration = field.extensions?.[AUTHORIZATION] as Declaration | undefined;
      if (declaration) found.set(`${type.name}.${field.name}`, declaration);
    }
  }
  return found;
}

/** Each declared field's description ends with what it needs, generated from its declaration. */
function describeDeclarations(schema: GraphQLSchema): void {
  for (const [path, declaration] of declarations(schema)) {
    const [typeName, fieldName] = path.split('.');
    const field = (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName];
    field.description = `${field.description ?? ''}\n\n${describeDeclaration(declaration)}`.trim();
  }
}

/** Entry points with neither a declaration nor a rule; they are denied. */
export function unruledEntryPoints(schema: GraphQLSchema): string[] {
  const declared = declarations(schema);
  const missing: string[] = [];
  for (const typeName of ENTRY_POINTS) {
    const type = schema.getType(typeName) as GraphQLObjectType | undefined;
    if (!type) continue;
    const ruled = (rules as Record<string, Record<string, unknown>>)[typeName] ?? {};
    for (const field of Object.keys(type.getFields()))
      if (!ruled[field] && !declared.has(`${typeName}.${field}`)) missing.push(`${typeName}.${field}`);
  }
  return missing;
}

/**
 * Applies graphql-shield only to the fields that carry a rule: shield's generator wraps every
 * field, which was measured to cost ~64% of throughput, so its middleware is generated once and
 * then kept for the ruled fields alone.
 */
function applyRules(schema: GraphQLSchema): GraphQLSchema {
  const ruleMap: Record<string, Record<string, unknown>> = {};
  for (const [typeName, fields] of Object.entries(rules)) ruleMap[typeName] = { ...fields };
  for (const [path, declaration] of declarations(schema)) {
    const [typeName, field] = path.split('.');
    if (ruleMap[typeName]?.[field]) throw new Error(`${path} has both a declaration and a hand-written rule`);
    (ruleMap[typeName] ??= {})[field] = guardRule(declaration);
  }
  for (const path of unruledEntryPoints(schema)) {
    const [typeName, field] = path.split('.');
    (ruleMap[typeName] ??= {})[field] = deny;
  }
  for (const [typeName, fields] of Object.entries(ruleMap)) {
    const type = schema.getType(typeName);
    if (!type || !isObjectType(type)) throw new Error(`Rule for unknown type ${typeName}`);
    for (const field of Object.keys(fields)) if (!type.getFields()[field]) throw new Error(`Rule for unknown field ${typeName}.${field}`);
  }
  const generated = shield(ruleMap as never, {
    allowExternalErrors: true,
    fallbackError: (thrown) => (thrown instanceof ClientError ? thrown : new ClientError('You are not allowed to do this.', 'FORBIDDEN')),
  }).generate(schema) as Record<string, Record<string, unknown>>;
  const subset: IMiddleware = {};
  for (const [typeName, fields] of Object.entries(ruleMap))
    (subset as Record<string, Record<string, unknown>>)[typeName] = Object.fromEntries(
      Object.keys(fields).map((field) => [field, generated[typeName][field]]),
    );
  return applyMiddleware(schema, subset);
}

/**
 * After each mutation, the viewer's grants are loaded again before its payload is read: the
 * request began with the grants of its credential, and the mutation may have changed them (a
 * team created, an invitation accepted, a role removed).
 */
function reloadGrantsAfterMutations(schema: GraphQLSchema): GraphQLSchema {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = async (source, args, ctx: Context, info) => {
      const result = await resolve(source, args, ctx, info);
      await ctx.policy.reload();
      return result;
    };
  }
  return schema;
}

export async function buildGraphqlSchema(): Promise<GraphQLSchema> {
  return reloadGrantsAfterMutations(applyRules(await buildBareSchema()));
}
