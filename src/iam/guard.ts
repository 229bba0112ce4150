import { rule } from 'graphql-shield';
import type { GraphQLError, GraphQLResolveInfo } from 'graphql';
import type { Context } from '../graphql/context.js';
import { forbidden, notFound, unauthenticated } from '../graphql/errors.js';
import { idOf } from '../graphql/relay.js';
import type { CallerRule, Declaration, PermissionClause, TargetKind, TargetSource } from './declarations.js';
import type { Permission } from './permissions.js';
import type { Policy, ResourceKind, ResourceRef } from './policy.js';

/** How the guard finds an object of a kind and what the viewer may do to it. */
export interface TargetType<T = unknown> {
  /** The global ID type of the argument. */
  typeName: string;
  /** How NOT_FOUND names it ("App", "Service account"). */
  noun: string;
  /** The object if the viewer can read it; null answers NOT_FOUND (what you cannot read does not exist). */
  load(ctx: Context, id: string): Promise<T | null>;
  permissions(policy: Policy, object: T): Promise<ReadonlySet<Permission>>;
  /** The team the object belongs to (for the audit trail of refusals); null platform-wide. */
  teamOf(object: T): string | null;
}

const TARGETS = new Map<TargetKind, TargetType>();

/** Registers how declarations on `kind` are checked (each domain registers its own kinds). */
export function registerTarget<T>(kind: TargetKind, type: TargetType<T>): void {
  TARGETS.set(kind, type as TargetType);
}

const PLATFORM_TARGET: TargetType<null> = {
  typeName: '',
  noun: 'Platform',
  load: async () => null,
  permissions: (policy) => policy.platformPermissions(),
  teamOf: () => null,
};

/** A dotted path into the field's arguments (`input.appId`). */
export function argAt(args: Record<string, unknown>, path: string): unknown {
  let value: unknown = args;
  for (const key of path.split('.')) value = value == null ? undefined : (value as Record<string, unknown>)[key];
  return value;
}

/** Why the caller may not call at all, or null. */
function callerRefusal(ctx: Context, caller: CallerRule, action = 'do this'): GraphQLError | null {
  if (ctx.authFailure) return unauthenticated(ctx.authFailure);
  if (caller === 'ANYONE') return null;
  if (!ctx.viewer) return unauthenticated();
  if (caller === 'SIGNED_IN') return null;
  if (!ctx.viewer.user) return forbidden(`A service account cannot ${action}; only users can.`);
  if (caller === 'FULL_ACCESS' && ctx.viewer.scopes)
    return forbidden(`A scoped API token cannot ${action}; use a session or an unscoped token.`);
  return null;
}

export interface ResolvedTarget {
  kind: TargetKind;
  type: TargetType;
  object: unknown;
}

/** Loads the clause's object: BAD_USER_INPUT for a malformed ID, NOT_FOUND for one the viewer cannot read. */
export async function resolveTarget(
  ctx: Context,
  source: TargetSource,
  parent: unknown,
  args: Record<string, unknown>,
): Promise<ResolvedTarget> {
  if (source.kind === 'PLATFORM') return { kind: 'PLATFORM', type: PLATFORM_TARGET as TargetType, object: null };
  const type = TARGETS.get(source.kind);
  if (!type) throw new Error(`No target type registered for ${source.kind}`);
  if ('parent' in source) return { kind: source.kind, type, object: parent };
  const globalId = argAt(args, source.arg);
  const field = source.arg.split('.').pop()!;
  const object = await type.load(ctx, idOf(type.typeName, String(globalId), field));
  if (!object) throw notFound(type.noun);
  return { kind: source.kind, type, object };
}

const permissionOf = (clause: PermissionClause, object: unknown): Permission =>
  typeof clause.permission === 'string' ? clause.permission : clause.permission.of(object);

/** A mutation refused for a missing permission, for the audit trail. */
export interface Refusal {
  mutation: string;
  permission: Permission;
  target: { type: string; id: string | null };
  teamId: string | null;
  message: string;
}

let recordRefusal: (ctx: Context, refusal: Refusal) => Promise<void> = async () => {};

/** Refused mutations reach the audit trail through this (the events module owns the trail). */
export function onMutationRefused(record: typeof recordRefusal): void {
  recordRefusal = record;
}

/**
 * Evaluates a declaration: the caller rule, then each clause in order (its object must be
 * readable, then the permission held on it). Token scopes apply through the policy, the same way
 * for every clause. Returns true, or the error to answer with.
 */
export async function evaluate(
  declaration: Declaration,
  ctx: Context,
  parent: unknown,
  args: Record<string, unknown>,
  info: Pick<GraphQLResolveInfo, 'fieldName' | 'parentType'>,
): Promise<true | GraphQLError> {
  const refused = callerRefusal(ctx, declaration.caller, declaration.callerAction);
  if (refused) return refused;
  for (const clause of declaration.clauses) {
    if (clause.when && argAt(args, clause.when) == null) continue;
    const target = await resolveTarget(ctx, clause.on, parent, args);
    const permission = permissionOf(clause, target.object);
    const holds = async (policy: Policy) => (await target.type.permissions(policy, target.object)).has(permission);
    const refusal =
      target.kind === 'PLATFORM'
        ? `Only platform admins (${permission}) may ${clause.action}.`
        : `You need the ${permission} permission to ${clause.action}.`;
    if (await holds(ctx.policy)) {
      ctx.policy.relyOn(target.type.teamOf(target.object), holds, refusal);
      continue;
    }
    const error = forbidden(refusal);
    if (info.parentType.name === 'Mutation') {
      const id = (target.object as { id?: string } | null)?.id ?? null;
      await recordRefusal(ctx, {
        mutation: info.fieldName,
        permission,
        target: { type: target.type.typeName || 'Platform', id },
        teamId: target.type.teamOf(target.object),
        message: error.message,
      });
    }
    return error;
  }
  return true;
}

/** The graphql-shield rule of a declaration. */
export function guardRule(declaration: Declaration) {
  // A kind nobody registered would fail every request: fail when the schema is built instead.
  for (const { on } of declaration.clauses)
    if (on.kind !== 'PLATFORM' && !TARGETS.has(on.kind)) throw new Error(`No target type registered for ${on.kind}`);
  const callerOnly = declaration.clauses.length === 0;
  // A rule that throws is read by shield as a plain "no": hand back the error itself instead.
  // Rules on fields run once per parent anyway; shield's `strict` cache would hash every parent row.
  return rule({ cache: callerOnly ? 'contextual' : 'no_cache' })((parent, args, ctx: Context, info) =>
    evaluate(declaration, ctx, parent, args, info).catch((error: unknown) => error as GraphQLError),
  );
}

/** The target type of a bucket, app or cluster: readable through its loader, permissions from the policy. */
export function resourceTarget<T extends ResourceRef>(
  kind: ResourceKind,
  typeName: string,
  load: (ctx: Context, id: string) => Promise<T | null>,
): TargetType<T> {
  return {
    typeName,
    noun: typeName,
    load,
    permissions: (policy, resource) => policy.resourcePermissions(kind, resource),
    teamOf: (resource) => resource.teamId,
  };
}

/** An object the guard already loaded (readable) for this request: the loader's cache answers. */
export async function guarded<T>(load: Promise<T | null>, noun: string): Promise<T> {
  const object = await load;
  if (!object) throw notFound(noun);
  return object;
}

/** The target type of an object that lives in a team (a team, a membership, a service account): the team's permissions apply. */
export function teamScopedTarget<T>(
  typeName: string,
  noun: string,
  load: (ctx: Context, id: string) => Promise<T | null>,
  teamIdOf: (object: T) => string,
): TargetType<T> {
  return { typeName, noun, load, permissions: (policy, object) => policy.teamPermissions(teamIdOf(object)), teamOf: teamIdOf };
}
