import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { connectionType } from '../../graphql/connection.js';
import { Node } from '../../graphql/relay.js';
import { DateTime } from '../../graphql/scalars.js';
import { Payload } from '../../graphql/user-errors.js';
import { User } from '../users/types.js';

@ObjectType({
  implements: Node,
  description:
    'A non-human identity of a team, for automation (Numspot service account): it holds roles only through IAM policies and ACL entries, and acts with its own API tokens.',
})
export class ServiceAccount extends Node {
  @Field(() => String, { description: 'Name, unique in the team.' })
  name!: string;
  @Field(() => String, { description: 'What it is for.' })
  description!: string;
  @Field(() => DateTime, { description: 'When it was created.' })
  createdAt!: Date;
}

export const ServiceAccountConnection = connectionType(ServiceAccount, 'ServiceAccount', 'service accounts');

@InputType({ description: 'A new service account.' })
export class CreateServiceAccountInput {
  @Field(() => ID, { description: 'The team it belongs to (you need iam:manage there).' })
  teamId!: string;
  @Field(() => String, { description: '3–40 lowercase letters, digits or hyphens, starting with a letter; unique in the team.' })
  name!: string;
  @Field(() => String, { nullable: true, description: 'What it is for; empty when omitted.' })
  description?: string | null;
}

@InputType({ description: 'Changes to a service account; omitted fields stay as they are.' })
export class UpdateServiceAccountInput {
  @Field(() => ID, { description: 'The service account.' })
  serviceAccountId!: string;
  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;
  @Field(() => String, { nullable: true, description: 'New description.' })
  description?: string | null;
}

@InputType({ description: 'The service account to delete, with its tokens, bindings and ACL entries.' })
export class DeleteServiceAccountInput {
  @Field(() => ID, { description: 'The service account.' })
  serviceAccountId!: string;
}

@ObjectType({ description: 'Result of createServiceAccount or updateServiceAccount.' })
export class ServiceAccountPayload extends Payload {
  @Field(() => ServiceAccount, { nullable: true, description: 'The service account.' })
  serviceAccount?: ServiceAccount | null;
}

@ObjectType({ description: 'Result of deleteServiceAccount.' })
export class DeleteServiceAccountPayload extends Payload {
  @Field(() => ID, { nullable: true, description: 'The ID of the deleted service account.' })
  deletedServiceAccountId?: string | null;
}

export enum GrantScopeType {
  PLATFORM = 'PLATFORM',
  TEAM = 'TEAM',
  BUCKET = 'BUCKET',
  APP = 'APP',
  CLUSTER = 'CLUSTER',
}
registerEnumType(GrantScopeType, {
  name: 'GrantScopeType',
  description: 'Where roles and permissions are granted: the whole platform, one team, or one resource.',
  valuesConfig: {
    PLATFORM: { description: 'Everywhere.' },
    TEAM: { description: 'One team and everything it owns.' },
    BUCKET: { description: 'One bucket.' },
    APP: { description: 'One app.' },
    CLUSTER: { description: 'One cluster.' },
  },
});

export enum RoleScope {
  PLATFORM = 'PLATFORM',
  TEAM = 'TEAM',
}
registerEnumType(RoleScope, {
  name: 'RoleScope',
  description: 'Where a role lives.',
  valuesConfig: {
    PLATFORM: { description: 'A platform role, bound at the PLATFORM scope (managed by platform admins).' },
    TEAM: { description: 'A role of one team, bound in that team or on its resources (managed with iam:manage there).' },
  },
});

export enum SubjectType {
  USER = 'USER',
  SERVICE_ACCOUNT = 'SERVICE_ACCOUNT',
}
registerEnumType(SubjectType, {
  name: 'SubjectType',
  description: 'Who holds grants.',
  valuesConfig: { USER: { description: 'A person’s account.' }, SERVICE_ACCOUNT: { description: 'A team’s service account.' } },
});

@ObjectType('Permission', { description: 'A permission of the catalog: an action the API authorizes.' })
export class PermissionInfo {
  @Field(() => String, { description: 'The permission, as `resource:action`.' })
  name!: string;
  @Field(() => String, { description: 'What it allows.' })
  description!: string;
  @Field(() => [GrantScopeType], { description: 'Where it can be granted (roles, IAM policies, ACL entries).' })
  scopes!: GrantScopeType[];
}

@ObjectType({ implements: Node, description: 'A named set of permissions: built-in (immutable) or custom.' })
export class Role extends Node {
  @Field(() => String, { description: 'Name, unique where the role lives.' })
  name!: string;
  @Field(() => String, { description: 'What it is for.' })
  description!: string;
  @Field(() => RoleScope, { description: 'Where it lives.' })
  scope!: RoleScope;
  @Field(() => [String], { description: 'Its permissions, sorted.' })
  permissions!: string[];
  @Field(() => Boolean, {
    description:
      'A built-in role (platform ADMIN; team OWNER, ADMIN, MEMBER, VIEWER): immutable, and held through membership or platform role.',
  })
  builtIn!: boolean;
  @Field(() => DateTime, { nullable: true, description: 'When a custom role was created; null for built-in ones.' })
  createdAt!: Date | null;
}

@InputType({ description: 'Narrows the list of roles.' })
export class RoleFilter {
  @Field(() => RoleScope, { nullable: true, description: 'Only roles of this scope.' })
  scope?: RoleScope | null;
  @Field(() => ID, { nullable: true, description: 'Only this team’s custom roles (with the built-in and platform ones).' })
  teamId?: string | null;
}

@InputType({ description: 'A new custom role.' })
export class CreateRoleInput {
  @Field(() => RoleScope, { description: 'PLATFORM (platform admins only) or TEAM (iam:manage in the team).' })
  scope!: RoleScope;
  @Field(() => ID, { nullable: true, description: 'The team, for a TEAM role; left out for a PLATFORM role.' })
  teamId?: string | null;
  @Field(() => String, { description: '2–50 letters, digits, spaces, hyphens or underscores; unique where the role lives.' })
  name!: string;
  @Field(() => String, { nullable: true, description: 'What it is for.' })
  description?: string | null;
  @Field(() => [String], { description: 'Permissions from `permissions`, valid at the scope; you must hold each of them there.' })
  permissions!: string[];
}

@InputType({ description: 'Changes to a custom role; omitted fields stay as they are.' })
export class UpdateRoleInput {
  @Field(() => ID, { description: 'The role (not a built-in one).' })
  roleId!: string;
  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;
  @Field(() => String, { nullable: true, description: 'New description.' })
  description?: string | null;
  @Field(() => [String], { nullable: true, description: 'The new permission set (replaces the old one; you must hold any you add).' })
  permissions?: string[] | null;
}

function rolePermissionsInput(name: string, description: string) {
  @InputType(name, { description })
  class RolePermissionsInput {
    @Field(() => ID, { description: 'The role (not a built-in one).' })
    roleId!: string;
    @Field(() => [String], { description: 'Permissions from `permissions`.' })
    permissions!: string[];
  }
  return RolePermissionsInput;
}
export const AddRolePermissionsInput = rolePermissionsInput('AddRolePermissionsInput', 'Permissions to add to a custom role.');
export const RemoveRolePermissionsInput = rolePermissionsInput('RemoveRolePermissionsInput', 'Permissions to remove from a custom role.');
export type RolePermissionsInput = InstanceType<typeof AddRolePermissionsInput>;

@InputType({ description: 'The custom role to delete; its bindings are removed with it.' })
export class DeleteRoleInput {
  @Field(() => ID, { description: 'The role (not a built-in one).' })
  roleId!: string;
}

@ObjectType({ description: 'Result of a role mutation.' })
export class RolePayload extends Payload {
  @Field(() => Role, { nullable: true, description: 'The role, as the mutation left it (deleteRole: as it was).' })
  role?: Role | null;
}

@InputType({ description: 'A user or service account, by global ID.' })
export class SubjectInput {
  @Field(() => SubjectType, { description: 'What kind of subject.' })
  type!: SubjectType;
  @Field(() => ID, { description: 'The global ID of the User or ServiceAccount.' })
  id!: string;
}

@InputType({ description: 'Where grants apply.' })
export class GrantScopeInput {
  @Field(() => GrantScopeType, { description: 'The kind of scope.' })
  type!: GrantScopeType;
  @Field(() => ID, { nullable: true, description: 'The global ID of the Team, Bucket, App or Cluster; left out for PLATFORM.' })
  id?: string | null;
}

@ObjectType({ description: 'What one subject holds at one scope (Numspot IAM policy).' })
export class IamPolicy {
  @Field(() => SubjectType, { description: 'The kind of subject.' })
  subjectType!: SubjectType;
  @Field(() => ID, { description: 'The subject’s global ID.' })
  subjectId!: string;
  @Field(() => GrantScopeType, { description: 'The kind of scope.' })
  scopeType!: GrantScopeType;
  @Field(() => ID, { nullable: true, description: 'The scope’s global ID; null for PLATFORM.' })
  scopeId!: string | null;
  @Field(() => [Role], {
    description: 'Roles held there: built-in ones that come with membership or platform role first, then custom ones by name.',
  })
  roles!: Role[];
  @Field(() => [String], { description: 'Single permissions held there, sorted.' })
  permissions!: string[];
}

@InputType({ description: 'Roles and single permissions to add or delete.' })
export class IamPolicyChange {
  @Field(() => [ID], { nullable: true, description: 'Custom role IDs (see `roles`).' })
  roles?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Permissions valid at the scope.' })
  permissions?: string[] | null;
}

@InputType({ description: 'Changes to a subject’s IAM policy at a scope, applied together.' })
export class SetIamPolicyInput {
  @Field(() => SubjectInput, { description: 'Whose policy.' })
  subject!: SubjectInput;
  @Field(() => GrantScopeInput, { description: 'Where.' })
  scope!: GrantScopeInput;
  @Field(() => IamPolicyChange, {
    nullable: true,
    description: 'What to grant (you must hold it at the scope); granting what is held already is a no-op.',
  })
  add?: IamPolicyChange | null;
  @Field(() => IamPolicyChange, { nullable: true, description: 'What to take away; taking what is not held is a no-op.' })
  delete?: IamPolicyChange | null;
}

@ObjectType({ description: 'Result of setIamPolicy.' })
export class SetIamPolicyPayload extends Payload {
  @Field(() => IamPolicy, { nullable: true, description: 'The policy after the change.' })
  iamPolicy?: IamPolicy | null;
}

export enum ResourceType {
  BUCKET = 'BUCKET',
  APP = 'APP',
  CLUSTER = 'CLUSTER',
}
registerEnumType(ResourceType, {
  name: 'ResourceType',
  description: 'Kinds of resources that ACL entries and resource-scope bindings apply to.',
  valuesConfig: { BUCKET: { description: 'A bucket.' }, APP: { description: 'An app.' }, CLUSTER: { description: 'A cluster.' } },
});

@ObjectType({ implements: Node, description: 'A fine-grained grant: one subject holds one permission on one resource (Numspot ACL).' })
export class AclEntry extends Node {
  @Field(() => String, { description: 'The permission granted.' })
  permission!: string;
  @Field(() => ResourceType, { description: 'The kind of resource.' })
  resourceType!: ResourceType;
  @Field(() => DateTime, { description: 'When it was granted.' })
  createdAt!: Date;
}

export const AclEntryConnection = connectionType(AclEntry, 'AclEntry', 'ACL entries');

@InputType({ description: 'Narrows a list of ACL entries.' })
export class AclEntryFilter {
  @Field(() => ResourceType, { nullable: true, description: 'Only entries on this kind of resource.' })
  resourceType?: ResourceType | null;
  @Field(() => String, { nullable: true, description: 'Only entries granting this permission.' })
  permission?: string | null;
}

@InputType({ description: 'One ACL entry: a permission on a resource.' })
export class AclItemInput {
  @Field(() => String, { description: 'A permission that applies to the resource’s kind (e.g. `bucket:read` on a BUCKET).' })
  permission!: string;
  @Field(() => ResourceType, { description: 'The kind of resource.' })
  resourceType!: ResourceType;
  @Field(() => ID, { description: 'The global ID of the Bucket, App or Cluster.' })
  resourceId!: string;
}

function aclEntriesInput(name: string, description: string) {
  @InputType(name, { description })
  class AclEntriesInput {
    @Field(() => SubjectInput, { description: 'Whose entries.' })
    subject!: SubjectInput;
    @Field(() => [AclItemInput], { description: '1 to 100 entries.' })
    items!: AclItemInput[];
  }
  return AclEntriesInput;
}
export const CreateAclEntriesInput = aclEntriesInput('CreateAclEntriesInput', 'ACL entries to grant one subject, all or none.');
export const DeleteAclEntriesInput = aclEntriesInput('DeleteAclEntriesInput', 'ACL entries to take away from one subject, all or none.');
export type AclEntriesInput = InstanceType<typeof CreateAclEntriesInput>;

@ObjectType({ description: 'Result of createAclEntries or deleteAclEntries.' })
export class AclEntriesPayload extends Payload {
  @Field(() => [AclEntry], { nullable: true, description: 'The entries created or deleted.' })
  aclEntries?: AclEntry[] | null;
}

export enum AccessSourceKind {
  TEAM_ROLE = 'TEAM_ROLE',
  TEAM_BINDING = 'TEAM_BINDING',
  GRANTED_TEAM = 'GRANTED_TEAM',
  RESOURCE_BINDING = 'RESOURCE_BINDING',
  ACL = 'ACL',
}
registerEnumType(AccessSourceKind, {
  name: 'AccessSourceKind',
  description: 'Why a subject has access to a resource.',
  valuesConfig: {
    TEAM_ROLE: { description: 'Membership in the owner team, with a built-in role.' },
    TEAM_BINDING: { description: 'A custom role or single permission bound in the owner team.' },
    GRANTED_TEAM: { description: 'Membership in a team the app was granted to (tsuru app grant).' },
    RESOURCE_BINDING: { description: 'A custom role or single permission bound on the resource itself.' },
    ACL: { description: 'An ACL entry on the resource.' },
  },
});

@ObjectType({ description: 'One reason a subject has access to a resource.' })
export class AccessSource {
  @Field(() => AccessSourceKind, { description: 'Where the access comes from.' })
  kind!: AccessSourceKind;
  @Field(() => String, { nullable: true, description: 'The built-in or custom role behind it, if any.' })
  role!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'The slug of the team it comes through, for team roles, team bindings and granted teams.',
  })
  teamSlug!: string | null;
  @Field(() => [String], { description: 'The permissions on this resource it gives.' })
  permissions!: string[];
}

@ObjectType({ description: 'A subject with access to a resource, what it may do there and why.' })
export class Collaborator {
  @Field(() => User, { nullable: true, description: 'The user, for a user subject.' })
  user!: unknown;
  @Field(() => ServiceAccount, { nullable: true, description: 'The service account, for a service-account subject.' })
  serviceAccount!: unknown;
  @Field(() => [String], { description: 'Every permission on this resource the subject holds through the sources below.' })
  permissions!: string[];
  @Field(() => [AccessSource], { description: 'Each way the subject has access.' })
  sources!: AccessSource[];
}
