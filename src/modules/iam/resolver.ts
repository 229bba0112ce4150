import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context, Subject } from '../../graphql/context.js';
import { Requires, stateRule } from '../../iam/declarations.js';
import { badInput, notFound } from '../../graphql/errors.js';
import { INPUT_ARG, withoutNulls } from '../../graphql/inputs.js';
import { registerNodeType } from '../../graphql/node-registry.js';
import { Node, idOf, toGlobalId } from '../../graphql/relay.js';
import { UserErrorCode, payload, userError } from '../../graphql/user-errors.js';
import { PERMISSION_CATALOG, builtInRoleById, type GrantScope } from '../../iam/permissions.js';
import { teamById } from '../teams/loaders.js';
import { Team } from '../teams/types.js';
import { ConnectionArgs } from '../../graphql/connection.js';
import { loadNode } from '../../graphql/node-registry.js';
import { userById } from '../users/loaders.js';
import { User } from '../users/types.js';
import * as acl from './acl.js';
import { RESOURCE_NODE_TYPE } from './resources.js';
import { aclEntriesOfSubject, aclEntryById, customRoleById, customRoles } from './loaders.js';
import * as policies from './policies.js';
import * as roles from './roles.js';
import {
  AddRolePermissionsInput,
  CreateAclEntriesInput,
  DeleteAclEntriesInput,
  RemoveRolePermissionsInput,
  type AclEntriesInput,
  type RolePermissionsInput,
  AclEntriesPayload,
  AclEntry,
  AclEntryConnection,
  AclEntryFilter,
  CreateRoleInput,
  DeleteRoleInput,
  GrantScopeInput,
  GrantScopeType,
  IamPolicy,
  PermissionInfo,
  Role,
  RoleFilter,
  RolePayload,
  SetIamPolicyInput,
  SetIamPolicyPayload,
  SubjectInput,
  SubjectType,
  UpdateRoleInput,
} from './types.js';

async function roleById(ctx: Context, id: string): Promise<roles.RoleView | null> {
  if (builtInRoleById(id)) return roles.BUILT_IN_VIEWS.find((r) => r.id === id)!;
  const row = await ctx.loaders.get(customRoleById).load(id);
  return row ? roles.viewOfRole(row) : null;
}

registerNodeType('Role', roleById);

const SCOPE_NODE_TYPE: Record<Exclude<GrantScope, 'PLATFORM'>, string> = { TEAM: 'Team', ...RESOURCE_NODE_TYPE };

/** The database id of a subject named by global ID. */
export function subjectOf(input: SubjectInput, field: string): Subject {
  return { type: input.type, id: idOf(input.type === SubjectType.USER ? 'User' : 'ServiceAccount', input.id, `${field}.id`) };
}

/**
 * The database id of the scope's team or resource (null for PLATFORM). An id given for PLATFORM
 * or missing for another scope is refused with `refuse` (BAD_USER_INPUT in the query, a userError
 * in the mutation).
 */
function scopeIdOf(scope: GrantScopeInput, refuse: (problem: { code: UserErrorCode; message: string }) => Error): string | null {
  const problem = policies.scopeIdProblem(scope.type, Boolean(scope.id));
  if (problem) throw refuse(problem);
  if (scope.type === GrantScopeType.PLATFORM || !scope.id) return null;
  return idOf(SCOPE_NODE_TYPE[scope.type], scope.id, 'scope.id');
}

/** The policy in the API's terms: global IDs instead of database ids. */
function policyOut(view: policies.IamPolicyView): IamPolicy {
  return {
    subjectType: view.subject.type as SubjectType,
    subjectId: toGlobalId(view.subject.type === 'USER' ? 'User' : 'ServiceAccount', view.subject.id),
    scopeType: view.scope.type as GrantScopeType,
    scopeId:
      view.scope.type === 'PLATFORM'
        ? null
        : toGlobalId(SCOPE_NODE_TYPE[view.scope.type], view.scope.type === 'TEAM' ? view.scope.teamId! : view.scope.resourceId!),
    roles: view.roles as unknown as Role[],
    permissions: view.permissions,
  };
}

const roleIdOf = (id: string) => idOf('Role', id, 'roleId');

@Resolver(() => Role)
export class RoleResolver {
  @Query(() => [PermissionInfo], { description: 'The permission catalog: every permission, what it allows and where it can be granted.' })
  permissions(): PermissionInfo[] {
    return PERMISSION_CATALOG.map((p) => ({ name: p.name, description: p.description, scopes: [...p.scopes] as GrantScopeType[] }));
  }

  @Query(() => [Role], {
    description: 'Roles you can see: built-in ones first, then custom ones by name (platform roles, and those of teams you can read).',
  })
  async roles(
    @Arg('filter', () => RoleFilter, { nullable: true, description: 'Only roles matching this filter.' }) filter: RoleFilter | null,
    @Ctx() ctx: Context,
  ) {
    const teamId = filter?.teamId ? idOf('Team', filter.teamId, 'filter.teamId') : undefined;
    const scope = filter?.scope ?? undefined;
    const custom = await customRoles(ctx, { scope, teamId });
    return [...roles.BUILT_IN_VIEWS.filter((r) => !scope || r.scope === scope), ...custom.map(roles.viewOfRole)];
  }

  @Query(() => Role, { nullable: true, description: 'A role by ID; NOT_FOUND when it does not exist or you cannot see it.' })
  async role(@Arg('id', () => ID, { description: 'The role’s ID.' }) id: string, @Ctx() ctx: Context) {
    const role = await roleById(ctx, idOf('Role', id, 'id'));
    if (!role) throw notFound('Role');
    return role;
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The team of a TEAM custom role; null for platform and built-in roles.' })
  team(@Root() role: roles.RoleView, @Ctx() ctx: Context) {
    return role.teamId ? ctx.loaders.get(teamById).load(role.teamId) : null;
  }

  @Requires(
    'SIGNED_IN',
    stateRule('Needs iam:manage where the role lives (its team, or platform-wide), and every permission it puts in the role.'),
  )
  @Mutation(() => RolePayload, { description: 'Creates a custom role (no permission you do not hold yourself).' })
  createRole(@Arg('input', () => CreateRoleInput, INPUT_ARG) input: CreateRoleInput, @Ctx() ctx: Context) {
    const { teamId, ...rest } = input;
    return payload(() => roles.createRole(ctx, teamId ? idOf('Team', teamId, 'teamId') : null, withoutNulls(rest)));
  }

  @Requires(
    'SIGNED_IN',
    stateRule('Needs iam:manage where the role lives (its team, or platform-wide), and every permission it puts in the role.'),
  )
  @Mutation(() => RolePayload, { description: 'Renames a custom role, changes its description or replaces its permissions.' })
  updateRole(@Arg('input', () => UpdateRoleInput, INPUT_ARG) input: UpdateRoleInput, @Ctx() ctx: Context) {
    const { roleId, ...rest } = input;
    return payload(() => roles.updateRole(ctx, roleIdOf(roleId), withoutNulls(rest)));
  }

  @Requires(
    'SIGNED_IN',
    stateRule('Needs iam:manage where the role lives (its team, or platform-wide), and every permission it puts in the role.'),
  )
  @Mutation(() => RolePayload, { description: 'Adds permissions to a custom role (you must hold them where the role lives).' })
  addRolePermissions(@Arg('input', () => AddRolePermissionsInput, INPUT_ARG) input: RolePermissionsInput, @Ctx() ctx: Context) {
    return payload(() => roles.changeRolePermissions(ctx, roleIdOf(input.roleId), input.permissions, 'add'));
  }

  @Requires(
    'SIGNED_IN',
    stateRule('Needs iam:manage where the role lives (its team, or platform-wide), and every permission it puts in the role.'),
  )
  @Mutation(() => RolePayload, { description: 'Removes permissions from a custom role (it keeps at least one).' })
  removeRolePermissions(@Arg('input', () => RemoveRolePermissionsInput, INPUT_ARG) input: RolePermissionsInput, @Ctx() ctx: Context) {
    return payload(() => roles.changeRolePermissions(ctx, roleIdOf(input.roleId), input.permissions, 'remove'));
  }

  @Requires(
    'SIGNED_IN',
    stateRule('Needs iam:manage where the role lives (its team, or platform-wide), and every permission it puts in the role.'),
  )
  @Mutation(() => RolePayload, { description: 'Deletes a custom role and every binding of it.' })
  deleteRole(@Arg('input', () => DeleteRoleInput, INPUT_ARG) input: DeleteRoleInput, @Ctx() ctx: Context) {
    return payload(() => roles.deleteRole(ctx, roleIdOf(input.roleId)));
  }
}

@Resolver(() => IamPolicy)
export class IamPolicyResolver {
  @Query(() => IamPolicy, {
    description: 'What a subject holds at a scope (Numspot GetIAMPolicy). Your own, or anyone’s with iam:manage there.',
  })
  async iamPolicy(
    @Arg('subject', () => SubjectInput, { description: 'Whose policy.' }) subject: SubjectInput,
    @Arg('scope', () => GrantScopeInput, { description: 'Where.' }) scope: GrantScopeInput,
    @Ctx() ctx: Context,
  ): Promise<IamPolicy> {
    const scopeId = scopeIdOf(scope, (problem) => badInput('scope.id', `${problem.message}.`));
    return policyOut(await policies.iamPolicy(ctx, subjectOf(subject, 'subject'), scope.type, scopeId));
  }

  @Requires('SIGNED_IN', stateRule('Needs iam:manage at the scope (its team, or platform-wide), and every permission it grants.'))
  @Mutation(() => SetIamPolicyPayload, {
    description: 'Adds and deletes a subject’s roles and permissions at a scope in one transaction (Numspot SetIAMPolicy).',
  })
  setIamPolicy(@Arg('input', () => SetIamPolicyInput, INPUT_ARG) input: SetIamPolicyInput, @Ctx() ctx: Context) {
    return payload(async () => {
      const subject = subjectOf(input.subject, 'subject');
      const change = (c: typeof input.add) => ({
        roles: (c?.roles ?? []).map((id, i) => idOf('Role', id, `roles[${i}]`)),
        permissions: c?.permissions ?? [],
      });
      const scopeId = scopeIdOf(input.scope, (problem) =>
        userError(['input', 'scope', 'id'], problem.code, `scope.id ${problem.message}.`),
      );
      const { iamPolicy } = await policies.setIamPolicy(ctx, subject, input.scope.type, scopeId, {
        add: change(input.add),
        delete: change(input.delete),
      });
      return { iamPolicy: policyOut(iamPolicy) };
    });
  }
}

registerNodeType('AclEntry', (ctx, id) => ctx.loaders.get(aclEntryById).load(id));

@ArgsType()
export class AclEntryConnectionArgs extends ConnectionArgs {
  @Field(() => SubjectInput, { description: 'Whose entries.' })
  subject!: SubjectInput;
  @Field(() => AclEntryFilter, { nullable: true, description: 'Only entries matching this filter.' })
  filter?: AclEntryFilter | null;
}

@Resolver(() => AclEntry)
export class AclEntryResolver {
  @Query(() => AclEntryConnection, {
    description: 'A subject’s ACL entries, newest first: your own, or those in teams where you hold iam:manage.',
  })
  aclEntries(@Args(() => AclEntryConnectionArgs) args: AclEntryConnectionArgs, @Ctx() ctx: Context) {
    return aclEntriesOfSubject.root(ctx, { ...args, subject: subjectOf(args.subject, 'subject') });
  }

  @FieldResolver(() => SubjectType, { description: 'The kind of subject holding it.' })
  subjectType(@Root() entry: acl.AclEntryRow): SubjectType {
    return entry.userId ? SubjectType.USER : SubjectType.SERVICE_ACCOUNT;
  }

  @FieldResolver(() => ID, { description: 'The global ID of the User or ServiceAccount holding it.' })
  subjectId(@Root() entry: acl.AclEntryRow): string {
    return entry.userId ? toGlobalId('User', entry.userId) : toGlobalId('ServiceAccount', entry.serviceAccountId!);
  }

  @FieldResolver(() => ID, { description: 'The global ID of the resource (kept if it is deleted).' })
  resourceId(@Root() entry: acl.AclEntryRow): string {
    return toGlobalId(RESOURCE_NODE_TYPE[entry.resourceType], entry.resourceId);
  }

  @FieldResolver(() => Node, { nullable: true, description: 'The resource, when it exists and you can read it.' })
  resource(@Root() entry: acl.AclEntryRow, @Ctx() ctx: Context) {
    return loadNode(ctx, RESOURCE_NODE_TYPE[entry.resourceType], entry.resourceId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who granted it, when visible to you.' })
  createdBy(@Root() entry: acl.AclEntryRow, @Ctx() ctx: Context) {
    return entry.createdById ? ctx.loaders.get(userById).load(entry.createdById) : null;
  }

  @Requires('SIGNED_IN', stateRule('Needs iam:manage in each resource’s team and the permission itself, checked per entry.'))
  @Mutation(() => AclEntriesPayload, {
    description:
      'Grants a subject permissions on resources, all or none (1 to 100 entries; each needs iam:manage in the resource’s team, and you must hold the permission there).',
  })
  createAclEntries(@Arg('input', () => CreateAclEntriesInput, INPUT_ARG) input: AclEntriesInput, @Ctx() ctx: Context) {
    return payload(() => acl.createAclEntries(ctx, subjectOf(input.subject, 'subject'), itemsOf(input)));
  }

  @Requires('SIGNED_IN', stateRule('Needs iam:manage in each resource’s team, checked per entry.'))
  @Mutation(() => AclEntriesPayload, { description: 'Takes ACL entries away from a subject, all or none (1 to 100 entries).' })
  deleteAclEntries(@Arg('input', () => DeleteAclEntriesInput, INPUT_ARG) input: AclEntriesInput, @Ctx() ctx: Context) {
    return payload(() => acl.deleteAclEntries(ctx, subjectOf(input.subject, 'subject'), itemsOf(input)));
  }
}

function itemsOf(input: AclEntriesInput): acl.AclItem[] {
  return input.items.map((item, i) => ({
    permission: item.permission,
    resourceType: item.resourceType,
    resourceId: idOf(RESOURCE_NODE_TYPE[item.resourceType], item.resourceId, `items[${i}].resourceId`),
  }));
}
