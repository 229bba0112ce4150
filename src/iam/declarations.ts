import { Extensions } from 'type-graphql';
import type { Permission } from './permissions.js';

/**
 * What an operation needs, declared beside it (Saleor's `Meta.permissions`): the guard
 * (guard.ts) evaluates declarations before any resolver runs, and the schema description of each
 * declared field ends with what it needs, generated from the same declaration.
 *
 *   @Requires(permission('app:deploy', on.app('input.appId'), 'deploy this app'))
 *   @Mutation(...)
 *   deployApp(...)
 */

/** The kinds of object a permission is checked on; each is registered with its loader (guard.ts). */
export type TargetKind =
  'PLATFORM' | 'TEAM' | 'MEMBERSHIP' | 'APP' | 'APP_TEAM' | 'BUCKET' | 'CLUSTER' | 'NODE_POOL' | 'OPERATION' | 'SERVICE_ACCOUNT' | 'ROLE';

/** Where the object comes from: a global ID in the arguments (a dotted path), or the parent object. */
export type TargetSource = { kind: TargetKind; arg: string } | { kind: TargetKind; parent: true } | { kind: 'PLATFORM' };

/** Who may call at all, before any permission. */
export type CallerRule =
  /** Anyone, signed in or not (a presented token must still be valid). */
  | 'ANYONE'
  /** Any valid credential: a user's session or token, or a service account's token. */
  | 'SIGNED_IN'
  /** A user (not a service account): membership and accounts are people's. */
  | 'USER'
  /** A user with full access (a session or an unscoped token): account and credential changes. */
  | 'FULL_ACCESS';

export interface PermissionClause {
  /** The permission, or one chosen from the object (e.g. retrying an operation needs what started it). */
  permission: Permission | { of: (target: unknown) => Permission; describe: string };
  on: TargetSource;
  /** Words that finish "You need the … permission to …". */
  action: string;
  /** The clause applies only when this argument path is given (e.g. moving an app with `input.teamId`). */
  when?: string;
}

export interface Declaration {
  caller: CallerRule;
  /** Words that finish "A service account cannot …" / "A scoped API token cannot …". */
  callerAction?: string;
  clauses: PermissionClause[];
  /** Rules the service checks against state (roles, ownership, limits), named in the description. */
  note?: string;
}

export const AUTHORIZATION = 'authorization';

/** Object sources for `permission(...)`. */
export const on = {
  platform: { kind: 'PLATFORM' } as TargetSource,
  team: (arg: string): TargetSource => ({ kind: 'TEAM', arg }),
  membership: (arg: string): TargetSource => ({ kind: 'MEMBERSHIP', arg }),
  app: (arg: string): TargetSource => ({ kind: 'APP', arg }),
  /** The app's owner team, for what only the owner team decides (sharing, moving): a grant on the app does not count. */
  appTeam: (arg: string): TargetSource => ({ kind: 'APP_TEAM', arg }),
  bucket: (arg: string): TargetSource => ({ kind: 'BUCKET', arg }),
  cluster: (arg: string): TargetSource => ({ kind: 'CLUSTER', arg }),
  nodePool: (arg: string): TargetSource => ({ kind: 'NODE_POOL', arg }),
  operation: (arg: string): TargetSource => ({ kind: 'OPERATION', arg }),
  serviceAccount: (arg: string): TargetSource => ({ kind: 'SERVICE_ACCOUNT', arg }),
  role: (arg: string): TargetSource => ({ kind: 'ROLE', arg }),
  parent: (kind: TargetKind): TargetSource => ({ kind, parent: true }),
};

export function permission(
  permission: PermissionClause['permission'],
  on: TargetSource,
  action: string,
  options: { when?: string } = {},
): PermissionClause {
  return { permission, on, action, ...options };
}

/**
 * Declares what a field needs. With permission clauses the caller must be signed in (and every
 * clause must hold); without, the caller rule alone decides.
 */
export function Requires(first: CallerRule | CallerClause | PermissionClause, ...rest: (PermissionClause | { note: string })[]) {
  const clauses = [first, ...rest].filter((c): c is PermissionClause => typeof c === 'object' && 'permission' in c);
  const note = rest.find((c): c is { note: string } => 'note' in c)?.note;
  const caller: CallerClause =
    typeof first === 'string' ? { caller: first } : 'caller' in first ? first : { caller: 'SIGNED_IN' as CallerRule };
  const declaration: Declaration = { caller: caller.caller, callerAction: caller.action, clauses, note };
  return Extensions({ [AUTHORIZATION]: declaration });
}

interface CallerClause {
  caller: CallerRule;
  action?: string;
}

/** Only a user (not a service account) may `action`. */
export const asUser = (action: string): CallerClause => ({ caller: 'USER', action });

/** Only a user with a session or an unscoped token may `action` (a leaked narrow token cannot). */
export const withFullAccess = (action: string): CallerClause => ({ caller: 'FULL_ACCESS', action });

/** `Requires(..., stateRule('…'))`: a rule the service checks against state, for the description. */
export const stateRule = (note: string) => ({ note });

const ARTICLE: Record<TargetKind, string> = {
  PLATFORM: 'platform-wide',
  TEAM: 'on the team',
  MEMBERSHIP: 'in the membership’s team',
  APP: 'on the app',
  APP_TEAM: 'in the app’s owner team',
  BUCKET: 'on the bucket',
  CLUSTER: 'on the cluster',
  NODE_POOL: 'on the node pool’s cluster',
  OPERATION: 'on the operation’s cluster or app',
  SERVICE_ACCOUNT: 'in the service account’s team',
  ROLE: 'where the role lives (its team, or platform-wide)',
};

const CALLER: Record<CallerRule, string> = {
  ANYONE: 'anyone (a token, when sent, must be valid)',
  SIGNED_IN: 'a signed-in user or service account',
  USER: 'a signed-in user (not a service account)',
  FULL_ACCESS: 'a signed-in user with a session or an unscoped API token',
};

/** The sentence the schema description ends with. */
export function describeDeclaration(d: Declaration): string {
  if (!d.clauses.length) return `Authorization: ${CALLER[d.caller]}.${d.note ? ` ${d.note}` : ''}`;
  const parts = d.clauses.map((c) => {
    const what = typeof c.permission === 'string' ? `\`${c.permission}\`` : c.permission.describe;
    const where = 'arg' in c.on ? `${ARTICLE[c.on.kind]} (\`${c.on.arg}\`)` : ARTICLE[c.on.kind];
    return `${what} ${where}${c.when ? ` when \`${c.when}\` is given` : ''}`;
  });
  const caller = d.caller === 'SIGNED_IN' ? '' : ` Caller: ${CALLER[d.caller]}.`;
  return `Requires ${parts.join(', and ')}.${caller}${d.note ? ` ${d.note}` : ''}`;
}
