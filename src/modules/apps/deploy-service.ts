import { and, count, eq, max } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../../db/client.js';
import { appProcesses, appUnits, apps, deploys } from '../../db/schema/index.js';
import { OperationFailure } from '../operations/provisioner.js';
import { enqueueOperation, type OperationHandler } from '../operations/queue.js';
import { OperationType, type OperationRow } from '../operations/types.js';
import type { Context } from '../../graphql/context.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { parseInput } from '../../graphql/validation.js';
import { audited } from '../events/audit.js';
import { declaredApp, lockApp } from './access.js';
import { AppState, DeployOrigin, DeployStatus, UnitStatus, type AppRow, type DeployRow } from './types.js';

/** Puts a deploy live: marks it done and makes sure the app runs (a first deploy gets one web unit). */
async function release(tx: Tx, deploy: DeployRow): Promise<DeployRow> {
  // The app lock serializes the release with unit changes and other deploys of the app.
  const app = await lockApp(tx, deploy.appId, { mustBeUnlocked: false });
  const now = new Date();
  const [{ units }] = await tx.select({ units: count() }).from(appUnits).where(eq(appUnits.appId, app.id));
  if (units === 0 && app.unitLimit === 0) throw new OperationFailure(noUnitsAllowed(app));
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
    .set({ status: DeployStatus.SUCCEEDED, finishedAt: now })
    .where(eq(deploys.id, deploy.id))
    .returning();
  return done;
}

const noUnitsAllowed = (app: AppRow) => `${app.name} may have no units (its unit limit is 0), so nothing could run this deploy.`;

async function deployOf(tx: Tx, operation: OperationRow): Promise<DeployRow> {
  const [deploy] = await tx.select().from(deploys).where(eq(deploys.id, operation.targetId));
  if (!deploy) throw new OperationFailure('The deploy no longer exists (its app was deleted).');
  return deploy;
}

/** Deploys and rollbacks as operations: build the image, then release it. */
export const deployOperationHandler: OperationHandler = {
  steps: [
    {
      name: 'build',
      apply: async (tx, operation) => {
        const deploy = await deployOf(tx, operation);
        await tx.update(deploys).set({ status: DeployStatus.RUNNING, startedAt: new Date() }).where(eq(deploys.id, deploy.id));
      },
    },
    {
      name: 'release',
      apply: async (tx, operation) => {
        const done = await release(tx, await deployOf(tx, operation));
        return { version: done.version };
      },
    },
  ],
  async onFailure(tx, operation) {
    await tx.update(deploys).set({ status: DeployStatus.FAILED, finishedAt: new Date() }).where(eq(deploys.id, operation.targetId));
  },
  async onRetry(tx, operation) {
    const [deploy] = await tx
      .update(deploys)
      .set({ status: DeployStatus.PENDING, finishedAt: null })
      .where(eq(deploys.id, operation.targetId))
      .returning();
    if (!deploy) throw userError(['input', 'operationId'], UserErrorCode.INVALID_STATE, 'The deploy of this operation no longer exists.');
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
  kind: 'app.deploy' | 'app.rollback',
  appId: string,
  build: (tx: Tx, app: AppRow, version: number) => Promise<Omit<typeof deploys.$inferInsert, 'appId' | 'teamId' | 'version'>>,
): Promise<{ deploy: DeployRow; app: AppRow; operation: OperationRow }> {
  await declaredApp(ctx, appId);
  return audited(ctx, kind, async (tx) => {
    // The app lock makes version numbers consecutive under concurrent deploys, and the queue
    // (ordered by insertion) releases them in that order.
    const app = await lockApp(tx, appId, { mustBeUnlocked: true });
    if (app.unitLimit === 0) throw userError(null, UserErrorCode.LIMIT_REACHED, noUnitsAllowed(app));
    const version = await nextVersion(tx, appId);
    const values = await build(tx, app, version);
    const [deploy] = await tx
      .insert(deploys)
      .values({ ...values, appId, teamId: app.teamId, version, userId: ctx.viewer!.user?.id ?? null, status: DeployStatus.PENDING })
      .returning();
    const operation = await enqueueOperation(tx, {
      type: kind === 'app.deploy' ? OperationType.APP_DEPLOY : OperationType.APP_ROLLBACK,
      teamId: app.teamId,
      resource: { type: 'APP', id: appId },
      target: { type: 'Deploy', id: deploy.id },
      input: { version },
      createdById: ctx.viewer!.user?.id ?? null,
    });
    return {
      result: { deploy, app, operation },
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
