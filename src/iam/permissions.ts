/**
 * The permission catalog: every action the API authorizes, as `resource:action` strings.
 * Built-in roles are fixed sets of them; custom roles and single-permission bindings draw from
 * the same catalog.
 */
export const PERMISSIONS = [
  'team:read',
  'team:update',
  'team:delete',
  'team:transfer',
  'team:members:manage',
  'bucket:read',
  'bucket:create',
  'bucket:update',
  'bucket:delete',
  'app:read',
  'app:create',
  'app:update',
  'app:delete',
  'app:deploy',
  'app:lifecycle',
  'app:env:write',
  'app:env:read-secrets',
  'app:grant',
  'cluster:read',
  'cluster:create',
  'cluster:update',
  'cluster:delete',
  'cluster:scale',
  'iam:manage',
  'audit:read',
  'user:manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const isPermission = (value: string): value is Permission => (PERMISSIONS as readonly string[]).includes(value);

export type TeamRoleName = 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER';

/** Ranks for "nobody grants a role above their own". */
export const TEAM_ROLE_RANK: Record<TeamRoleName, number> = { VIEWER: 1, MEMBER: 2, ADMIN: 3, OWNER: 4 };

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
