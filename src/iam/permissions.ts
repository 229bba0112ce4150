/**
 * The permission catalog: every action the API authorizes, as `resource:action` strings.
 * Built-in roles are fixed sets of them; custom roles and single-permission bindings draw from
 * the same catalog.
 */
/** Where a permission can be granted: platform-wide, in a team, or on one resource. */
export type GrantScope = 'PLATFORM' | 'TEAM' | 'BUCKET' | 'APP' | 'CLUSTER';

const TEAMWIDE: GrantScope[] = ['PLATFORM', 'TEAM'];
const onResource = (kind: 'BUCKET' | 'APP' | 'CLUSTER'): GrantScope[] => ['PLATFORM', 'TEAM', kind];

/**
 * Every permission with what it allows and where it can be granted. Creating a resource is a
 * team permission (the resource does not exist yet), and so is granting an app to other teams (on
 * one app it would let its holder grant the app to a team of their own, and so give themselves
 * every app permission there); the other actions on a resource can also be granted on that one
 * resource (a binding or an ACL entry); user management is platform-wide.
 */
export const PERMISSION_CATALOG = [
  { name: 'team:read', description: 'See the team, its members and its resources’ existence.', scopes: TEAMWIDE },
  { name: 'team:update', description: 'Change the team’s name, description and tags.', scopes: TEAMWIDE },
  { name: 'team:delete', description: 'Delete the team.', scopes: TEAMWIDE },
  { name: 'team:transfer', description: 'Transfer the team’s ownership.', scopes: TEAMWIDE },
  { name: 'team:members:manage', description: 'Invite, remove and change the roles of members.', scopes: TEAMWIDE },
  { name: 'bucket:read', description: 'See buckets and their usage.', scopes: onResource('BUCKET') },
  { name: 'bucket:create', description: 'Create buckets in the team.', scopes: TEAMWIDE },
  { name: 'bucket:update', description: 'Change a bucket’s versioning and visibility.', scopes: onResource('BUCKET') },
  { name: 'bucket:delete', description: 'Delete buckets.', scopes: onResource('BUCKET') },
  { name: 'app:read', description: 'See apps, their units, env var names, deploys and events.', scopes: onResource('APP') },
  { name: 'app:create', description: 'Create apps in the team (or move apps into it).', scopes: TEAMWIDE },
  { name: 'app:update', description: 'Change an app’s settings, placement and lock.', scopes: onResource('APP') },
  { name: 'app:delete', description: 'Delete apps.', scopes: onResource('APP') },
  { name: 'app:deploy', description: 'Deploy and roll back apps.', scopes: onResource('APP') },
  { name: 'app:lifecycle', description: 'Start, stop, restart and sleep apps; add and remove units.', scopes: onResource('APP') },
  { name: 'app:env:write', description: 'Set and unset env vars and cnames.', scopes: onResource('APP') },
  { name: 'app:env:read-secrets', description: 'Read the values of secret env vars.', scopes: onResource('APP') },
  { name: 'app:grant', description: 'Grant and revoke other teams’ access to the team’s apps.', scopes: TEAMWIDE },
  { name: 'cluster:read', description: 'See clusters, their node pools and operations.', scopes: onResource('CLUSTER') },
  { name: 'cluster:create', description: 'Create clusters in the team.', scopes: TEAMWIDE },
  { name: 'cluster:update', description: 'Rename and upgrade clusters.', scopes: onResource('CLUSTER') },
  { name: 'cluster:delete', description: 'Delete clusters.', scopes: onResource('CLUSTER') },
  { name: 'cluster:scale', description: 'Add, scale and remove node pools.', scopes: onResource('CLUSTER') },
  { name: 'iam:manage', description: 'Manage custom roles, IAM policies, ACL entries and service accounts.', scopes: TEAMWIDE },
  { name: 'audit:read', description: 'Read the team’s audit events.', scopes: TEAMWIDE },
  { name: 'user:manage', description: 'Manage every user account (platform administration).', scopes: ['PLATFORM'] as GrantScope[] },
] as const;

export const PERMISSIONS = PERMISSION_CATALOG.map((p) => p.name);

export type Permission = (typeof PERMISSION_CATALOG)[number]['name'];

/** Whether the permission can be granted at the scope (roles, bindings and ACL entries are checked against this). */
export const grantableAt = (permission: Permission, scope: GrantScope): boolean =>
  (PERMISSION_CATALOG.find((p) => p.name === permission)!.scopes as readonly GrantScope[]).includes(scope);

/** Every permission that can be granted at the scope, in catalog order. */
export const permissionsGrantableAt = (scope: GrantScope): Permission[] => PERMISSIONS.filter((p) => grantableAt(p, scope));

/**
 * Any permission on an object implies reading it, as cloud IAM roles include `get`: acting on a
 * bucket, app or cluster implies reading that kind of resource where the permission holds; acting
 * on the team itself (or creating resources, managing IAM, reading its audit trail) implies
 * reading the team. User management implies nothing else.
 */
function impliedBy(permission: Permission): Permission[] {
  if (permission === 'user:manage') return [];
  const kind = permission.split(':')[0];
  if (permission === 'app:grant') return ['app:read', 'team:read'];
  if (permission.endsWith(':create') || kind === 'team' || kind === 'iam' || kind === 'audit') return ['team:read'];
  return [`${kind}:read` as Permission];
}

const IMPLIED: ReadonlyMap<Permission, readonly Permission[]> = new Map(
  PERMISSIONS.map((p) => [p, [...new Set([p, ...impliedBy(p)])]] as const),
);

/** The permissions with what they imply (reading the objects they act on). */
export function withImplied(permissions: Iterable<Permission>): Set<Permission> {
  const all = new Set<Permission>();
  for (const p of permissions) for (const q of IMPLIED.get(p)!) all.add(q);
  return all;
}

/** Every permission whose holder holds `permission` (itself, and those that imply it). */
export const implying = (permission: Permission): Permission[] => PERMISSIONS.filter((p) => IMPLIED.get(p)!.includes(permission));

export const isPermission = (value: string): value is Permission => (PERMISSIONS as readonly string[]).includes(value);

export type TeamRoleName = 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER';

const VIEWER: Permission[] = ['team:read', 'bucket:read', 'app:read', 'cluster:read', 'audit:read'];
const MEMBER: Permission[] = [
  ...VIEWER,
  'bucket:create',
  'bucket:update',
  'app:create',
  'app:update',
  'app:deploy',
  'app:lifecycle',
  'app:env:write',
  'app:env:read-secrets',
  'cluster:create',
  'cluster:update',
  'cluster:scale',
];
const ADMIN: Permission[] = [
  ...MEMBER,
  'team:update',
  'team:members:manage',
  'bucket:delete',
  'app:delete',
  'app:grant',
  'cluster:delete',
  'iam:manage',
];
const OWNER: Permission[] = [...ADMIN, 'team:delete', 'team:transfer'];

export const TEAM_ROLE_PERMISSIONS: Record<TeamRoleName, ReadonlySet<Permission>> = {
  VIEWER: new Set(VIEWER),
  MEMBER: new Set(MEMBER),
  ADMIN: new Set(ADMIN),
  OWNER: new Set(OWNER),
};

/** Platform ADMIN holds every permission everywhere. */
export const ALL_PERMISSIONS: ReadonlySet<Permission> = new Set(PERMISSIONS);

/** A built-in role, shown next to custom roles; immutable, with a fixed ID. */
export interface BuiltInRole {
  id: string;
  name: string;
  scope: 'PLATFORM' | 'TEAM';
  description: string;
  permissions: readonly Permission[];
}

const sorted = (set: ReadonlySet<Permission>) => [...set].sort();

/**
 * The built-in roles. Team roles come with membership (inviteMember, setMemberRole); the platform
 * ADMIN role is a user's platform role (adminUpdateUser). Neither is bound through IAM policies.
 */
export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  {
    id: '00000000-0000-4000-8000-000000000001',
    name: 'ADMIN',
    scope: 'PLATFORM',
    description: 'Platform administrator: every permission everywhere.',
    permissions: sorted(ALL_PERMISSIONS),
  },
  ...(['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const).map((name, i) => ({
    id: `00000000-0000-4000-8000-00000000001${i}`,
    name,
    scope: 'TEAM' as const,
    description: {
      OWNER: 'Team owner: everything ADMIN may do, plus deleting the team and transferring ownership.',
      ADMIN: 'Everything MEMBER may do, plus deleting resources, managing members and IAM.',
      MEMBER: 'Everything VIEWER may do, plus creating, updating and deploying resources and reading secret values.',
      VIEWER: 'Reads everything in the team except secret values.',
    }[name],
    permissions: sorted(TEAM_ROLE_PERMISSIONS[name]),
  })),
];

export const builtInRoleById = (id: string) => BUILT_IN_ROLES.find((r) => r.id === id) ?? null;
