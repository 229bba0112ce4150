import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { appCnames, appEnvVars, appUnits } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { parseInput } from '../../graphql/validation.js';
import { audited } from '../events/audit.js';
import { declaredApp, lockApp } from './access.js';
import { AppState, UnitStatus, type AppRow } from './types.js';

const MAX_ENV_PER_APP = 500;

const envName = z
  .string()
  .max(128, { error: 'must be at most 128 characters' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be a POSIX name: letters, digits and underscores, not starting with a digit' });

const setEnvSchema = z.object({
  variables: z
    .array(
      z.object({
        name: envName,
        value: z.string().max(4096, { error: 'must be at most 4096 characters' }),
        secret: z.boolean().default(false),
      }),
    )
    .min(1, { error: 'must contain at least one variable' })
    .max(100, { error: 'must contain at most 100 variables' })
    .refine((vars) => new Set(vars.map((v) => v.name)).size === vars.length, { error: 'must not name a variable twice' }),
  noRestart: z.boolean().default(false),
});

const unsetEnvSchema = z.object({
  names: z.array(envName).min(1, { error: 'must contain at least one name' }).max(100, { error: 'must contain at most 100 names' }),
  noRestart: z.boolean().default(false),
});

/**
 * A configuration change takes effect by restarting the app's running units (recorded in the
 * event), unless the caller asked for no restart.
 */
async function restartIfRunning(tx: Tx, app: AppRow, noRestart: boolean): Promise<boolean> {
  if (noRestart || app.state !== AppState.RUNNING) return false;
  await tx
    .update(appUnits)
    .set({ status: UnitStatus.STARTED, updatedAt: new Date() })
    .where(and(eq(appUnits.appId, app.id), eq(appUnits.status, UnitStatus.STARTED)));
  return true;
}

export async function setEnv(ctx: Context, appId: string, rawInput: unknown): Promise<{ app: AppRow }> {
  const input = parseInput(setEnvSchema, rawInput);
  await declaredApp(ctx, appId);
  return audited(ctx, 'app.env.set', async (tx) => {
    const app = await lockApp(tx, appId, { mustBeUnlocked: true });
    await tx
      .insert(appEnvVars)
      .values(input.variables.map((v) => ({ ...v, appId, teamId: app.teamId })))
      .onConflictDoUpdate({
        target: [appEnvVars.appId, appEnvVars.name],
        set: { value: sql`excluded.value`, secret: sql`excluded.secret`, updatedAt: new Date() },
      });
    const [{ total }] = await tx.select({ total: count() }).from(appEnvVars).where(eq(appEnvVars.appId, appId));
    if (total > MAX_ENV_PER_APP)
      throw userError(
        'variables',
        UserErrorCode.LIMIT_REACHED,
        `An app may have at most ${MAX_ENV_PER_APP} variables; this would make ${total}.`,
      );
    const restarted = await restartIfRunning(tx, app, input.noRestart);
    // Names only: values (and secrets) stay out of the audit trail.
    return {
      result: { app },
      target: { type: 'App', id: appId },
      teamId: app.teamId,
      data: { names: input.variables.map((v) => v.name), restarted },
    };
  });
}

export async function unsetEnv(ctx: Context, appId: string, rawInput: unknown): Promise<{ app: AppRow }> {
  const input = parseInput(unsetEnvSchema, rawInput);
  await declaredApp(ctx, appId);
  return audited(ctx, 'app.env.unset', async (tx) => {
    const app = await lockApp(tx, appId, { mustBeUnlocked: true });
    const removed = await tx
      .delete(appEnvVars)
      .where(and(eq(appEnvVars.appId, appId), inArray(appEnvVars.name, input.names)))
      .returning({ name: appEnvVars.name });
    const restarted = removed.length > 0 && (await restartIfRunning(tx, app, input.noRestart));
    return {
      result: { app },
      target: { type: 'App', id: appId },
      teamId: app.teamId,
      data: { names: removed.map((r) => r.name), restarted },
    };
  });
}

const hostname = z
  .string()
  .trim()
  .toLowerCase()
  .max(253, { error: 'must be at most 253 characters' })
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, {
    error: 'must be a hostname like www.example.com: dot-separated labels of letters, digits and hyphens',
  });

export async function addCname(ctx: Context, appId: string, rawCname: unknown): Promise<{ app: AppRow }> {
  const { cname } = parseInput(z.object({ cname: hostname }), { cname: rawCname });
  await declaredApp(ctx, appId);
  const taken = () => userError('cname', UserErrorCode.TAKEN, `cname ${cname} is already used by an app.`);
  try {
    return await audited(ctx, 'app.cname.add', async (tx) => {
      const app = await lockApp(tx, appId, { mustBeUnlocked: true });
      const [clash] = await tx.select({ id: appCnames.id }).from(appCnames).where(eq(appCnames.hostname, cname));
      if (clash) throw taken();
      await tx.insert(appCnames).values({ teamId: app.teamId, appId, hostname: cname });
      return { result: { app }, target: { type: 'App', id: appId }, teamId: app.teamId, data: { cname } };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'app_cnames_hostname_key')) throw taken();
    throw error;
  }
}

export async function removeCname(ctx: Context, appId: string, rawCname: unknown): Promise<{ app: AppRow }> {
  const { cname } = parseInput(z.object({ cname: hostname }), { cname: rawCname });
  await declaredApp(ctx, appId);
  return audited(ctx, 'app.cname.remove', async (tx) => {
    const app = await lockApp(tx, appId, { mustBeUnlocked: true });
    const removed = await tx
      .delete(appCnames)
      .where(and(eq(appCnames.appId, appId), eq(appCnames.hostname, cname)))
      .returning({ id: appCnames.id });
    if (!removed.length) throw userError('cname', UserErrorCode.INVALID, `${app.name} has no cname ${cname}.`);
    return { result: { app }, target: { type: 'App', id: appId }, teamId: app.teamId, data: { cname } };
  });
}
