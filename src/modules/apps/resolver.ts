import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { asc } from 'drizzle-orm';
import { plans, platforms, pools } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { INPUT_ARG, withoutNulls } from '../../graphql/inputs.js';
import { registerNodeType } from '../../graphql/node-registry.js';
import { Requires, on, permission, stateRule } from '../../iam/declarations.js';
import { registerTarget, resourceTarget } from '../../iam/guard.js';
import { idOf, toGlobalId } from '../../graphql/relay.js';
import { payload } from '../../graphql/user-errors.js';
import { eventsOfApp } from '../events/loaders.js';
import { AuditEventConnection, AuditEventConnectionArgs } from '../events/types.js';
import { teamById } from '../teams/loaders.js';
import { Team, type TeamRow } from '../teams/types.js';
import { userById } from '../users/loaders.js';
import { User } from '../users/types.js';
import * as appService from './app-service.js';
import * as config from './config-service.js';
import * as deployService from './deploy-service.js';
import {
  AddCnameInput,
  AddUnitsInput,
  AppPayload,
  CreateAppInput,
  DeleteAppInput,
  DeleteAppPayload,
  DeployAppInput,
  DeployPayload,
  GrantAppAccessInput,
  RemoveCnameInput,
  RemoveUnitsInput,
  RestartAppInput,
  RevokeAppAccessInput,
  RollbackAppInput,
  SetAppQuotaInput,
  SetEnvInput,
  SleepAppInput,
  StartAppInput,
  StopAppInput,
  UnsetEnvInput,
  UpdateAppInput,
} from './inputs.js';
import * as lifecycle from './lifecycle-service.js';
import {
  accessGrantsByApp,
  allApps,
  appById,
  appByName,
  appsOfTeam,
  cnamesByApp,
  deployById,
  deploysOfApp,
  envByApp,
  grantedTeamsByApp,
  processesByApp,
  unitsByApp,
} from './loaders.js';
import {
  App,
  AppAccessGrant,
  AppConnection,
  AppConnectionArgs,
  AppProcess,
  AppQuota,
  AppUnit,
  Deploy,
  DeployConnection,
  DeployConnectionArgs,
  EnvVar,
  Plan,
  Platform,
  Pool,
  type AppRow,
  type DeployRow,
  type EnvVarRow,
} from './types.js';

registerNodeType('App', (ctx, id) => ctx.loaders.get(appById).load(id));
const appTarget = resourceTarget('APP', 'App', (ctx, id) => ctx.loaders.get(appById).load(id));
registerTarget('APP', appTarget);
registerTarget<AppRow>('APP_TEAM', { ...appTarget, permissions: (policy, app) => policy.teamPermissions(app.teamId) });
registerNodeType('Deploy', (ctx, id) => ctx.loaders.get(deployById).load(id));

const appIdOf = (id: string) => idOf('App', id, 'appId');
const teamIdOf = (id: string) => idOf('Team', id, 'teamId');
const clusterIdOf = (id: string) => idOf('Cluster', id, 'clusterId');

@Resolver(() => App)
export class AppResolver {
  @Query(() => App, { nullable: true, description: 'An app by name; NOT_FOUND when it does not exist or you cannot read it.' })
  async app(@Arg('name', () => String, { description: 'The app’s name.' }) name: string, @Ctx() ctx: Context): Promise<AppRow> {
    const app = await ctx.loaders.get(appByName).load(name);
    if (!app) throw notFound(`App "${name}"`);
    return app;
  }

  @Query(() => AppConnection, { description: 'The apps you can read (owned by your teams or granted to them); by name.' })
  apps(@Args(() => AppConnectionArgs) args: AppConnectionArgs, @Ctx() ctx: Context) {
    return allApps.root(ctx, args);
  }

  @Query(() => [Platform], { description: 'Platforms (runtimes) apps can use.' })
  platforms(@Ctx() ctx: Context) {
    return ctx.db.select().from(platforms).orderBy(asc(platforms.name));
  }

  @Query(() => [Plan], { description: 'Plans (unit sizes), smallest first.' })
  plans(@Ctx() ctx: Context) {
    return ctx.db.select().from(plans).orderBy(asc(plans.memoryMb), asc(plans.name));
  }

  @Query(() => [Pool], { description: 'Pools of nodes apps can run on.' })
  pools(@Ctx() ctx: Context) {
    return ctx.db.select().from(pools).orderBy(asc(pools.name));
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The owner team, when you can read it (not through a grant alone).' })
  team(@Root() app: AppRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(teamById).load(app.teamId);
  }

  @FieldResolver(() => [Team], { description: 'Teams granted access besides the owner (those you can read).' })
  grantedTeams(@Root() app: AppRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(grantedTeamsByApp).load(app.id);
  }

  @FieldResolver(() => [AppAccessGrant], {
    description: 'Every team granted access besides the owner, by slug (even teams you cannot read).',
  })
  async accessGrants(@Root() app: AppRow, @Ctx() ctx: Context): Promise<AppAccessGrant[]> {
    const grants = await ctx.loaders.get(accessGrantsByApp).load(app.id);
    return grants.map((g) => ({ ...g, teamId: toGlobalId('Team', g.teamId) }));
  }

  @FieldResolver(() => [AppProcess], { description: 'Process types with their unit counts, by name.' })
  processes(@Root() app: AppRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(processesByApp).load(app.id);
  }

  @FieldResolver(() => [AppUnit], { description: 'Every unit of the app, by name.' })
  units(@Root() app: AppRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(unitsByApp).load(app.id);
  }

  @FieldResolver(() => [EnvVar], { description: 'Environment variables, by name; secret values need app:env:read-secrets.' })
  env(@Root() app: AppRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(envByApp).load(app.id);
  }

  @FieldResolver(() => [String], { description: 'Hostnames pointing at the app.' })
  cnames(@Root() app: AppRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(cnamesByApp).load(app.id);
  }

  @FieldResolver(() => DeployConnection, { description: 'Deploys and rollbacks, newest first.' })
  deploys(@Root() app: AppRow, @Args(() => DeployConnectionArgs) args: DeployConnectionArgs, @Ctx() ctx: Context) {
    return deploysOfApp.forParent(ctx, app.id, args);
  }

  @FieldResolver(() => AuditEventConnection, { description: 'What was done to the app, newest first.' })
  events(@Root() app: AppRow, @Args(() => AuditEventConnectionArgs) args: AuditEventConnectionArgs, @Ctx() ctx: Context) {
    return eventsOfApp.forParent(ctx, app.id, args);
  }

  @FieldResolver(() => AppQuota, { description: 'Units in use against the app’s unit limit.' })
  async quota(@Root() app: AppRow, @Ctx() ctx: Context): Promise<AppQuota> {
    const processes = await ctx.loaders.get(processesByApp).load(app.id);
    return { used: processes.reduce((sum, p) => sum + p.units, 0), limit: app.unitLimit };
  }

  @FieldResolver(() => [String], { description: 'The permissions you hold on this app (`app:…`), to show or hide actions.' })
  async viewerPermissions(@Root() app: AppRow, @Ctx() ctx: Context): Promise<string[]> {
    return ctx.policy.resourceActions('APP', app);
  }

  @Requires(permission('app:create', on.team('input.teamId'), 'create apps in this team'))
  @Mutation(() => AppPayload, { description: 'Creates an app in a team, within the team’s app limit.' })
  createApp(@Arg('input', () => CreateAppInput, INPUT_ARG) input: CreateAppInput, @Ctx() ctx: Context) {
    const { teamId, clusterId, ...rest } = input;
    return payload(() => appService.createApp(ctx, teamIdOf(teamId), withoutNulls(rest), clusterId ? clusterIdOf(clusterId) : undefined));
  }

  @Requires(
    permission('app:update', on.app('input.appId'), 'update this app'),
    permission('app:delete', on.appTeam('input.appId'), 'move this app to another team', { when: 'input.teamId' }),
    permission('app:create', on.team('input.teamId'), 'move apps into that team', { when: 'input.teamId' }),
  )
  @Mutation(() => AppPayload, { description: 'Changes an app’s description, plan, pool, tags or lock, or moves it to another team.' })
  updateApp(@Arg('input', () => UpdateAppInput, INPUT_ARG) input: UpdateAppInput, @Ctx() ctx: Context) {
    const { appId, teamId, clusterId, ...rest } = input;
    // An explicit null takes the app off its cluster; leaving clusterId out keeps it where it is.
    const placement = clusterId === undefined ? undefined : clusterId === null ? null : clusterIdOf(clusterId);
    return payload(() => appService.updateApp(ctx, appIdOf(appId), withoutNulls(rest), teamId ? teamIdOf(teamId) : undefined, placement));
  }

  @Requires(permission('app:delete', on.app('input.appId'), 'delete this app'))
  @Mutation(() => DeleteAppPayload, { description: 'Deletes an app with its units, env, cnames and deploys.' })
  deleteApp(@Arg('input', () => DeleteAppInput, INPUT_ARG) input: DeleteAppInput, @Ctx() ctx: Context) {
    return payload(async () => ({ deletedAppId: toGlobalId('App', (await appService.deleteApp(ctx, appIdOf(input.appId))).app.id) }));
  }

  @Requires(permission('app:lifecycle', on.app('input.appId'), 'start this app'))
  @Mutation(() => AppPayload, { description: 'Starts a stopped, sleeping or failed app (or one process).' })
  startApp(
    @Arg('input', () => StartAppInput, INPUT_ARG)
    input: InstanceType<typeof StartAppInput>,
    @Ctx() ctx: Context,
  ) {
    return payload(() => lifecycle.changeLifecycle(ctx, appIdOf(input.appId), 'start', input.process));
  }

  @Requires(permission('app:lifecycle', on.app('input.appId'), 'stop this app'))
  @Mutation(() => AppPayload, { description: 'Stops an app (or one process).' })
  stopApp(
    @Arg('input', () => StopAppInput, INPUT_ARG)
    input: InstanceType<typeof StopAppInput>,
    @Ctx() ctx: Context,
  ) {
    return payload(() => lifecycle.changeLifecycle(ctx, appIdOf(input.appId), 'stop', input.process));
  }

  @Requires(permission('app:lifecycle', on.app('input.appId'), 'restart this app'))
  @Mutation(() => AppPayload, { description: 'Restarts a running app’s units (or one process’s).' })
  restartApp(
    @Arg('input', () => RestartAppInput, INPUT_ARG)
    input: InstanceType<typeof RestartAppInput>,
    @Ctx() ctx: Context,
  ) {
    return payload(() => lifecycle.changeLifecycle(ctx, appIdOf(input.appId), 'restart', input.process));
  }

  @Requires(permission('app:lifecycle', on.app('input.appId'), 'sleep this app'))
  @Mutation(() => AppPayload, { description: 'Puts a running app (or one process) to sleep.' })
  sleepApp(
    @Arg('input', () => SleepAppInput, INPUT_ARG)
    input: InstanceType<typeof SleepAppInput>,
    @Ctx() ctx: Context,
  ) {
    return payload(() => lifecycle.changeLifecycle(ctx, appIdOf(input.appId), 'sleep', input.process));
  }

  @Requires(permission('app:lifecycle', on.app('input.appId'), 'add units to this app'))
  @Mutation(() => AppPayload, { description: 'Adds units to a process, within the app’s unit limit.' })
  addUnits(
    @Arg('input', () => AddUnitsInput, INPUT_ARG)
    input: InstanceType<typeof AddUnitsInput>,
    @Ctx() ctx: Context,
  ) {
    const { appId, ...rest } = input;
    return payload(() => lifecycle.addUnits(ctx, appIdOf(appId), rest));
  }

  @Requires(permission('app:lifecycle', on.app('input.appId'), 'remove units from this app'))
  @Mutation(() => AppPayload, { description: 'Removes units from a process, newest first.' })
  removeUnits(
    @Arg('input', () => RemoveUnitsInput, INPUT_ARG)
    input: InstanceType<typeof RemoveUnitsInput>,
    @Ctx() ctx: Context,
  ) {
    const { appId, ...rest } = input;
    return payload(() => lifecycle.removeUnits(ctx, appIdOf(appId), rest));
  }

  @Requires(permission('app:env:write', on.app('input.appId'), 'set environment variables of this app'))
  @Mutation(() => AppPayload, { description: 'Sets environment variables; running units restart unless noRestart.' })
  setEnv(@Arg('input', () => SetEnvInput, INPUT_ARG) input: SetEnvInput, @Ctx() ctx: Context) {
    return payload(() =>
      config.setEnv(ctx, appIdOf(input.appId), {
        variables: input.variables.map((v) => ({ name: v.name, value: v.value, secret: v.secret ?? false })),
        noRestart: input.noRestart ?? false,
      }),
    );
  }

  @Requires(permission('app:env:write', on.app('input.appId'), 'unset environment variables of this app'))
  @Mutation(() => AppPayload, { description: 'Removes environment variables; running units restart unless noRestart.' })
  unsetEnv(@Arg('input', () => UnsetEnvInput, INPUT_ARG) input: UnsetEnvInput, @Ctx() ctx: Context) {
    return payload(() => config.unsetEnv(ctx, appIdOf(input.appId), { names: input.names, noRestart: input.noRestart ?? false }));
  }

  @Requires(permission('app:env:write', on.app('input.appId'), 'add a cname to this app'))
  @Mutation(() => AppPayload, { description: 'Points a hostname at the app.' })
  addCname(
    @Arg('input', () => AddCnameInput, INPUT_ARG)
    input: InstanceType<typeof AddCnameInput>,
    @Ctx() ctx: Context,
  ) {
    return payload(() => config.addCname(ctx, appIdOf(input.appId), input.cname));
  }

  @Requires(permission('app:env:write', on.app('input.appId'), 'remove a cname from this app'))
  @Mutation(() => AppPayload, { description: 'Removes a hostname from the app.' })
  removeCname(
    @Arg('input', () => RemoveCnameInput, INPUT_ARG)
    input: InstanceType<typeof RemoveCnameInput>,
    @Ctx() ctx: Context,
  ) {
    return payload(() => config.removeCname(ctx, appIdOf(input.appId), input.cname));
  }

  @Requires(
    permission('app:grant', on.appTeam('input.appId'), 'grant access to this app'),
    stateRule('The granted team’s members hold their role’s app permissions within those you hold on the app.'),
  )
  @Mutation(() => AppPayload, { description: 'Gives another team access to the app: its members hold their role’s app permissions on it.' })
  grantAppAccess(
    @Arg('input', () => GrantAppAccessInput, INPUT_ARG)
    input: InstanceType<typeof GrantAppAccessInput>,
    @Ctx() ctx: Context,
  ) {
    return payload(() => appService.grantAppAccess(ctx, appIdOf(input.appId), teamIdOf(input.teamId)));
  }

  @Requires(permission('app:grant', on.appTeam('input.appId'), 'revoke access to this app'))
  @Mutation(() => AppPayload, { description: 'Takes a granted team’s access to the app away (not the owner team’s).' })
  revokeAppAccess(
    @Arg('input', () => RevokeAppAccessInput, INPUT_ARG)
    input: InstanceType<typeof RevokeAppAccessInput>,
    @Ctx() ctx: Context,
  ) {
    return payload(() => appService.revokeAppAccess(ctx, appIdOf(input.appId), teamIdOf(input.teamId)));
  }

  @Requires(permission('app:deploy', on.app('input.appId'), 'deploy this app'))
  @Mutation(() => DeployPayload, { description: 'Deploys an image or a commit as the app’s next version.' })
  deployApp(@Arg('input', () => DeployAppInput, INPUT_ARG) input: DeployAppInput, @Ctx() ctx: Context) {
    const { appId, ...rest } = input;
    return payload(() => deployService.deployApp(ctx, appIdOf(appId), withoutNulls(rest)));
  }

  @Requires(permission('app:deploy', on.app('input.appId'), 'roll back this app'))
  @Mutation(() => DeployPayload, { description: 'Deploys an earlier version’s image again, as the next version, marked as a rollback.' })
  rollbackApp(@Arg('input', () => RollbackAppInput, INPUT_ARG) input: RollbackAppInput, @Ctx() ctx: Context) {
    return payload(() => deployService.rollbackApp(ctx, appIdOf(input.appId), input.version));
  }

  @Requires(permission('app:update', on.platform, 'set app quotas'))
  @Mutation(() => AppPayload, { description: 'Sets an app’s unit limit (platform admins; tsuru app quota).' })
  setAppQuota(@Arg('input', () => SetAppQuotaInput, INPUT_ARG) input: SetAppQuotaInput, @Ctx() ctx: Context) {
    return payload(() => appService.setAppQuota(ctx, appIdOf(input.appId), input.unitLimit ?? null));
  }
}

@Resolver(() => EnvVar)
export class EnvVarResolver {
  @FieldResolver(() => String, { nullable: true, description: 'Value; null for a secret unless you hold app:env:read-secrets on the app.' })
  async value(@Root() env: EnvVarRow, @Ctx() ctx: Context): Promise<string | null> {
    if (!env.secret) return env.value;
    const perms = await ctx.policy.resourcePermissions('APP', { id: env.appId, teamId: env.teamId });
    return perms.has('app:env:read-secrets') ? env.value : null;
  }
}

@Resolver(() => Deploy)
export class DeployResolver {
  @FieldResolver(() => App, { nullable: true, description: 'The app deployed.' })
  app(@Root() deploy: DeployRow, @Ctx() ctx: Context) {
    return ctx.loaders.get(appById).load(deploy.appId);
  }

  @FieldResolver(() => Deploy, { nullable: true, description: 'For a rollback: the deploy whose image it put back.' })
  rollbackOf(@Root() deploy: DeployRow, @Ctx() ctx: Context) {
    return deploy.rollbackOfId ? ctx.loaders.get(deployById).load(deploy.rollbackOfId) : null;
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who deployed, when visible to you.' })
  user(@Root() deploy: DeployRow, @Ctx() ctx: Context) {
    return deploy.userId ? ctx.loaders.get(userById).load(deploy.userId) : null;
  }
}

@Resolver(() => Team)
export class TeamAppsResolver {
  @FieldResolver(() => AppConnection, { description: 'Apps the team owns (those you can read), by name.' })
  apps(@Root() team: TeamRow, @Args(() => AppConnectionArgs) args: AppConnectionArgs, @Ctx() ctx: Context) {
    return appsOfTeam.forParent(ctx, team.id, args);
  }
}
