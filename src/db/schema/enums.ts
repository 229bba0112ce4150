import { pgEnum } from 'drizzle-orm/pg-core';

export const platformRole = pgEnum('platform_role', ['USER', 'ADMIN']);
export const userStatus = pgEnum('user_status', ['ACTIVE', 'SUSPENDED']);
export const teamRole = pgEnum('team_role', ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER']);
export const notificationState = pgEnum('notification_state', ['EMAIL', 'NONE']);
export const invitationStatus = pgEnum('invitation_status', ['PENDING', 'ACCEPTED', 'REVOKED']);
export const bucketVisibility = pgEnum('bucket_visibility', ['PRIVATE', 'PUBLIC']);
export const appState = pgEnum('app_state', ['STOPPED', 'STARTING', 'RUNNING', 'SLEEPING', 'ERROR']);
export const unitStatus = pgEnum('unit_status', ['CREATED', 'STARTING', 'STARTED', 'STOPPED', 'ERROR']);
export const deployOrigin = pgEnum('deploy_origin', ['GIT', 'IMAGE', 'UPLOAD', 'ROLLBACK']);
export const deployStatus = pgEnum('deploy_status', ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED']);
export const clusterStatus = pgEnum('cluster_status', ['PROVISIONING', 'READY', 'UPDATING', 'DELETING', 'ERROR']);
export const operationType = pgEnum('operation_type', [
  'CLUSTER_CREATE',
  'CLUSTER_UPDATE',
  'CLUSTER_DELETE',
  'NODE_POOL_SCALE',
  'APP_DEPLOY',
  'APP_ROLLBACK',
  'NODE_POOL_CREATE',
  'NODE_POOL_DELETE',
]);
export const operationStatus = pgEnum('operation_status', ['PENDING', 'RUNNING', 'DONE', 'FAILED']);
export const roleScope = pgEnum('role_scope', ['PLATFORM', 'TEAM']);
export const bindingScope = pgEnum('binding_scope', ['PLATFORM', 'TEAM', 'BUCKET', 'APP', 'CLUSTER']);
export const resourceType = pgEnum('resource_type', ['BUCKET', 'APP', 'CLUSTER']);
export const eventStatus = pgEnum('event_status', ['SUCCEEDED', 'FAILED']);
export const actorType = pgEnum('actor_type', ['USER', 'SERVICE_ACCOUNT', 'SYSTEM']);
