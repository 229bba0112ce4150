import DataLoader from 'dataloader';
import { and, asc, eq, getTableColumns, ilike, inArray, sql, type SQL } from 'drizzle-orm';
import { containsPattern } from '../../db/like.js';
import { appCnames, appEnvVars, appGrants, appProcesses, appUnits, apps, deploys, teams } from '../../db/schema/index.js';
import { OrderDirection, defineConnection } from '../../graphql/connection.js';
import type { Context } from '../../graphql/context.js';
import { inReadableTeamWithSlug } from '../teams/loaders.js';
import { byKeys, groupByKeys } from '../../graphql/loaders.js';
import { CONDITION, RowReader, isAnyOf } from '../../db/read.js';
import type { AppConnectionArgs, AppRow, DeployRow, EnvVarRow, ProcessRow, UnitRow } from './types.js';

/** SQL condition: the viewer can read the app (through its team, a grant, a binding or an ACL). */
export const appsReadable = (ctx: Context) => ctx.policy.resourcesGranting('APP', apps.id, apps.teamId, 'app:read');

export const appById = (ctx: Context) =>
  new DataLoader<string, AppRow | null>(async (ids) => {
    const rows = await ctx.db
      .select()
      .from(apps)
      .where(and(inArray(apps.id, ids as string[]), appsReadable(ctx)));
    return byKeys(ids, rows, (r) => r.id);
  });

export const appByName = (ctx: Context) =>
  new DataLoader<string, AppRow | null>(async (names) => {
    const rows = await ctx.db
      .select()
      .from(apps)
      .where(and(inArray(apps.name, names as string[]), appsReadable(ctx)));
    return byKeys(names, rows, (r) => r.name);
  });

// Hot lists load only the columns their GraphQL types show: dashboards read thousands of these
// rows, and decoding unused timestamps was a measurable share of a request's CPU.
// They are read as prepared statements, without drizzle's per-row mapping (db/read.ts).
const processRow = new RowReader({ appId: appProcesses.appId, name: appProcesses.name, units: appProcesses.units });
const selectProcesses = processRow.select((s) => s.from(appProcesses).where(CONDITION).orderBy(asc(appProcesses.name)));
export const processesByApp = (ctx: Context) =>
  new DataLoader<string, Pick<ProcessRow, 'appId' | 'name' | 'units'>[]>(async (appIds) => {
    const rows = await selectProcesses.run(ctx.app.database, isAnyOf(appProcesses.appId, appIds));
    return groupByKeys(appIds, rows, (r) => r.appId);
  });

export const unitsByApp = (ctx: Context) =>
  new DataLoader<string, (UnitRow & { process: string })[]>(async (appIds) => {
    const rows = await ctx.db
      .select({ ...getTableColumns(appUnits), process: appProcesses.name })
      .from(appUnits)
      .innerJoin(appProcesses, eq(appProcesses.id, appUnits.processId))
      .where(inArray(appUnits.appId, appIds as string[]))
      .orderBy(asc(appUnits.name));
    return groupByKeys(appIds, rows, (r) => r.appId);
  });

const envRow = new RowReader({
  appId: appEnvVars.appId,
  teamId: appEnvVars.teamId,
  name: appEnvVars.name,
  value: appEnvVars.value,
  secret: appEnvVars.secret,
});
const selectEnv = envRow.select((s) => s.from(appEnvVars).where(CONDITION).orderBy(asc(appEnvVars.name)));
export const envByApp = (ctx: Context) =>
  new DataLoader<string, EnvVarRow[]>(async (appIds) => {
    const rows = await selectEnv.run(ctx.app.database, isAnyOf(appEnvVars.appId, appIds));
    return groupByKeys(appIds, rows, (r) => r.appId);
  });

export const cnamesByApp = (ctx: Context) =>
  new DataLoader<string, string[]>(async (appIds) => {
    const rows = await ctx.db
      .select({ appId: appCnames.appId, hostname: appCnames.hostname })
      .from(appCnames)
      .where(inArray(appCnames.appId, appIds as string[]))
      .orderBy(asc(appCnames.hostname));
    return groupByKeys(appIds, rows, (r) => r.appId).map((list) => list.map((r) => r.hostname));
  });

/** Teams an app was granted to, as far as the viewer can read them. */
const grantedTeamRow = new RowReader({ ...getTableColumns(teams), grantedAppId: appGrants.appId });
const selectGrantedTeams = grantedTeamRow.select((s) =>
  s.from(appGrants).innerJoin(teams, eq(teams.id, appGrants.granteeTeamId)).where(CONDITION).orderBy(asc(teams.name)),
);
export const grantedTeamsByApp = (ctx: Context) =>
  new DataLoader<string, (typeof teams.$inferSelect)[]>(async (appIds) => {
    const rows = await selectGrantedTeams.run(ctx.app.database, and(isAnyOf(appGrants.appId, appIds), ctx.policy.teamsGranting(teams.id)));
    return groupByKeys(appIds, rows, (r) => r.grantedAppId);
  });

/**
 * Every grant of an app, with the granted team's slug and name: whoever reads the app may know
 * who else has access, even teams they cannot read themselves.
 */
export const accessGrantsByApp = (ctx: Context) =>
  new DataLoader<string, { appId: string; teamId: string; teamSlug: string; teamName: string; createdAt: Date }[]>(async (appIds) => {
    const rows = await ctx.db
      .select({ appId: appGrants.appId, teamId: teams.id, teamSlug: teams.slug, teamName: teams.name, createdAt: appGrants.createdAt })
      .from(appGrants)
      .innerJoin(teams, eq(teams.id, appGrants.granteeTeamId))
      .where(inArray(appGrants.appId, appIds as string[]))
      .orderBy(asc(teams.slug));
    return groupByKeys(appIds, rows, (r) => r.appId);
  });

export const deployById = (ctx: Context) =>
  new DataLoader<string, DeployRow | null>(async (ids) => {
    const rows = await ctx.db
      .select(getTableColumns(deploys))
      .from(deploys)
      .innerJoin(apps, eq(apps.id, deploys.appId))
      .where(and(inArray(deploys.id, ids as string[]), appsReadable(ctx)));
    return byKeys(ids, rows, (r) => r.id);
  });

function appFilter(ctx: Context, args: AppConnectionArgs): SQL | undefined {
  const f = args.filter;
  if (!f) return undefined;
  return and(
    f.name ? ilike(apps.name, containsPattern(f.name)) : undefined,
    f.teamSlug ? inReadableTeamWithSlug(ctx, apps.teamId, f.teamSlug) : undefined,
    f.platform ? eq(apps.platform, f.platform) : undefined,
    f.pool ? eq(apps.pool, f.pool) : undefined,
    f.state ? eq(apps.state, f.state) : undefined,
    f.tag ? sql`${f.tag} = any(${apps.tags})` : undefined,
    f.locked != null ? eq(apps.locked, f.locked) : undefined,
  );
}

const appList = {
  fields: getTableColumns(apps),
  from: (s: any) => s.from(apps),
  orderColumns: { NAME: apps.name, CREATED_AT: apps.createdAt },
  defaultOrder: { field: 'NAME', direction: OrderDirection.ASC },
  where: (ctx: Context, args: AppConnectionArgs) => and(appsReadable(ctx), appFilter(ctx, args)),
};

/** `apps`: every app the viewer can read. */
export const allApps = defineConnection({ ...appList, name: 'apps' });

/** `Team.apps`: the apps the team owns that the viewer can read. */
export const appsOfTeam = defineConnection({ ...appList, name: 'Team.apps', parent: apps.teamId });

/** `Cluster.apps`: the apps placed on the cluster that the viewer can read. */
export const appsOfCluster = defineConnection({ ...appList, name: 'Cluster.apps', parent: apps.clusterId });

/** `App.deploys`, newest first. The app was readable to be reached. */
export const deploysOfApp = defineConnection({
  name: 'App.deploys',
  fields: getTableColumns(deploys),
  from: (s) => s.from(deploys),
  parent: deploys.appId,
  orderColumns: { VERSION: deploys.version },
  defaultOrder: { field: 'VERSION', direction: OrderDirection.DESC },
});
