import { rule } from 'graphql-shield';
import type { IRules } from 'graphql-shield';
import type { Context } from '../graphql/context.js';
import { forbidden, unauthenticated } from '../graphql/errors.js';
import type { Permission } from './permissions.js';

/** The caller presented a valid token. */
export const isAuthenticated = rule({ cache: 'contextual' })((_parent, _args, ctx: Context) =>
  ctx.viewer ? true : unauthenticated(ctx.authFailure ?? undefined),
);

/**
 * Open to anonymous callers, but a token that was presented and refused (revoked, expired,
 * suspended user) is an error, not a silent fall-back to anonymous.
 */
export const anyoneWithoutBadToken = rule({ cache: 'contextual' })((_parent, _args, ctx: Context) =>
  ctx.authFailure ? unauthenticated(ctx.authFailure) : true,
);

/** The caller holds `permission` platform-wide (platform ADMIN or a platform binding), within its token's scopes. */
const platformPermission = (permission: Permission) =>
  rule({ cache: 'contextual' })(async (_parent, _args, ctx: Context) => {
    if (!ctx.viewer) return unauthenticated(ctx.authFailure ?? undefined);
    return (await ctx.policy.canOnPlatform(permission)) ? true : forbidden(`Only platform admins (${permission}) may do this.`);
  });

/** The caller may manage users platform-wide. */
export const canManageUsers = platformPermission('user:manage');

/** For fields of Team: the viewer holds `permission` in that team. Reads the batched policy loader. */
const teamPermission = (permission: Permission, what: string) =>
  rule({ cache: 'strict' })(async (team: { id: string }, _args, ctx: Context) =>
    (await ctx.policy.can(team.id, permission)) ? true : forbidden(`You need the ${permission} permission to see ${what}.`),
  );

/** For fields of User that only the user themself and user managers may see. */
const selfOrUserManager = rule({ cache: 'strict' })(async (user: { id: string }, _args, ctx: Context) => {
  if (!ctx.viewer) return unauthenticated(ctx.authFailure ?? undefined);
  if (user.id === ctx.viewer.user?.id || (await ctx.policy.canOnPlatform('user:manage'))) return true;
  return forbidden('Only the user themself and platform admins may see this.');
});

/**
 * Every entry point carries a rule (an entry point without one is denied when the schema is
 * built), plus the sensitive object fields. Objects are otherwise protected by the data layer:
 * a loader only ever returns what the viewer may read.
 */
export const rules = {
  Query: {
    viewer: anyoneWithoutBadToken,
    viewerServiceAccount: anyoneWithoutBadToken,
    node: anyoneWithoutBadToken,
    nodes: anyoneWithoutBadToken,
    team: isAuthenticated,
    teams: isAuthenticated,
    user: canManageUsers,
    users: canManageUsers,
    app: isAuthenticated,
    apps: isAuthenticated,
    platforms: anyoneWithoutBadToken,
    plans: anyoneWithoutBadToken,
    pools: anyoneWithoutBadToken,
    buckets: isAuthenticated,
    regions: anyoneWithoutBadToken,
    clusterVersions: anyoneWithoutBadToken,
    nodeTypes: anyoneWithoutBadToken,
    cluster: isAuthenticated,
    clusters: isAuthenticated,
    operation: isAuthenticated,
    operations: isAuthenticated,
    permissions: anyoneWithoutBadToken,
    roles: isAuthenticated,
    role: isAuthenticated,
    iamPolicy: isAuthenticated,
    aclEntries: isAuthenticated,
  },
  Subscription: {
    teamEvents: isAuthenticated,
    operationProgress: isAuthenticated,
  },
  Team: {
    invitations: teamPermission('team:members:manage', 'the team’s invitations'),
    events: teamPermission('audit:read', 'the team’s events'),
  },
  User: {
    invitations: selfOrUserManager,
    apiTokens: selfOrUserManager,
    sessions: selfOrUserManager,
    events: selfOrUserManager,
  },
} satisfies IRules;
