import { and, count, eq, max } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../../db/client.js';
import { appProcesses, appUnits, apps, deploys } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { parseInput } from '../../graphql/validation.js';
import { audited } from '../events/audit.js';
import { appWithPermission, lockApp } from './access.js';
import { AppState, DeployOrigin, DeployStatus, UnitStatus, type AppRow, type DeployRow } from './types.js';

/**
 * Puts a deploy live. The default runs at once inside the mutation's transaction; the async
 * operations work can pass another in AppServices that queues a long-running operation and
 * returns the deploy PENDING.
 */
export interface Deployer {
  run(tx: Tx, app: AppRow, deploy: DeployRow): Promise<DeployRow>;
}

/** Marks the deploy done and makes sure the app runs: a first deploy gets one web unit. */
export const immediateDeployer: Deployer = {
  async run(tx, app, deploy) {
    const now = new Date();
    const [{ units }] = await tx.select({ units: count() }).from(appUnits).where(eq(appUnits.appId, app.id));
    if (units === 0 && app.unitLimit === 0)
      throw userError(
        null,
        UserErrorCode.LIMIT_REACHED,
        `${app.name} may have no units (its unit limit is 0), so nothing could run this deploy.`,
      );
    if (units === 0) {
      const [web] = await tx
        .insert(appProcesses)
        .values({ teamId: app.teamId, appId: app.id, name: 'web', units: 1 })
        .onConflictDoUpdate({ target: [appProcesses.appId, appProcesses.name], set: { units: 1 } })
        .returning();
      await tx.insert(appUnits).values({
        teamId: app.teamId,
        appId: app.id,
        processId: web.id,
        name: `${app.name}-web-${deploy.version}`,
        status: UnitStatus.STARTED,
      });
    }
    await tx.update(appUnits).set({ status: UnitStatus.STARTED }).where(eq(appUnits.appId, app.id));
    await tx.update(apps).set({ state: AppState.RUNNING, updatedAt: now }).where(eq(apps.id, app.id));
    const [done] = await tx
      .update(deploys)
      .set({ status: DeployStatus.SUCCEEDED, startedAt: now, finishedAt: now })
      .where(eq(deploys.id, deploy.id))
      .returning();
    return done;
  },
};

const deploySchema = z
  .object({
    image: z.string().trim().min(1, { error: 'must not be empty' }).max(500, { error: 'must be at most 500 characters' }).optional(),
    commit: z
      .string()
      .trim()
      .regex(/^[0-9a-f]{7,40}$/, { error: 'must be a git commit hash: 7 to 40 hexadecimal digits' })
      .optional(),
    message: z.string().max(1000, { error: 'must be at most 1000 characters' }).default(''),
  })
  .superRefine((d, issue) => {
    if (d.image && d.commit)
      issue.addIssue({ code: 'custom', path: ['commit'], message: 'must be left out when image is given: deploy one or the other' });
    if (!d.image && !d.commit)
      issue.addIssue({ code: 'custom', path: ['image'], message: 'or commit is required: give the image or the git commit to deploy' });
  });

async function nextVersion(tx: Tx, appId: string): Promise<number> {
  const [{ last }] = await tx
    .select({ last: max(deploys.version) })
    .from(deploys)
    .where(eq(deploys.appId, appId));
  return (last ?? 0) + 1;
}

async function startDeploy(
  ctx: Context,
  kind: string,
  appId: string,
  build: (tx: Tx, app: AppRow, version: number) => Promise<Omit<typeof deploys.$inferInsert, 'appId' | 'teamId' | 'version'>>,
): Promise<{ deploy: DeployRow; app: AppRow }> {
  await appWithPermission(ctx, appId, 'app:deploy', 'deploy this app');
  return audited(ctx, kind, async (tx) => {
    // The app lock makes version numbers consecutive under concurrent deploys.
    const app = await lockApp(tx, appId, { mustBeUnlocked: true });
    const version = await nextVersion(tx, appId);
    const values = await build(tx, app, version);
    const [created] = await tx
      .insert(deploys)
      .values({ ...values, appId, teamId: app.teamId, version, userId: ctx.viewer!.user.id })
      .returning();
    const deploy = await (ctx.app.deployer ?? immediateDeployer).run(tx, app, created);
    const [fresh] = await tx.select().from(apps).where(eq(apps.id, appId));
    return {
      result: { deploy, app: fresh },
      target: { type: 'App', id: appId },
      teamId: app.teamId,
      data: { version, origin: deploy.origin, image: deploy.image, commit: deploy.commit },
    };
  });
}

export async function deployApp(ctx: Context, appId: string, rawInput: unknown) {
  const input = parseInput(deploySchema, rawInput);
  return startDeploy(ctx, 'app.deploy', appId, async () => ({
    image: input.image ?? null,
    commit: input.commit ?? null,
    origin: input.image ? DeployOrigin.IMAGE : DeployOrigin.GIT,
    message: input.message,
  }));
}

/** A new deploy (the next version) of an earlier version's image, marked as its rollback. */
export async function rollbackApp(ctx: Context, appId: string, rawVersion: unknown) {
  const { version } = parseInput(z.object({ version: z.number().int().min(1, { error: 'must be 1 or more' }) }), { version: rawVersion });
  return startDeploy(ctx, 'app.rollback', appId, async (tx, app) => {
    const [target] = await tx
      .select()
      .from(deploys)
      .where(and(eq(deploys.appId, appId), eq(deploys.version, version)));
    if (!target) throw userError('version', UserErrorCode.INVALID, `${app.name} has no version ${version}; see App.deploys.`);
    if (target.status !== DeployStatus.SUCCEEDED)
      throw userError(
        'version',
        UserErrorCode.INVALID_STATE,
        `Version ${version} never went live (${target.status}); roll back to a succeeded one.`,
      );
    return {
      image: target.image,
      commit: target.commit,
      origin: DeployOrigin.ROLLBACK,
      message: `Rollback to version ${version}`,
      rollbackOfId: target.id,
    };
  });
}
