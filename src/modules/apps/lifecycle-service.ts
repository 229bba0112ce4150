import { and, count, desc, eq, inArray } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Tx } from '../../db/client.js';
import { appProcesses, appUnits, apps } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { parseInput } from '../../graphql/validation.js';
import { audited } from '../events/audit.js';
import { declaredApp, lockApp } from './access.js';
import { AppState, UnitStatus, type AppRow, type ProcessRow } from './types.js';

export type LifecycleAction = 'start' | 'stop' | 'restart' | 'sleep';

/** Which app states each action starts from, and what it leaves the app and its units in. */
const TRANSITIONS: Record<LifecycleAction, { from: AppState[]; to: AppState; units: UnitStatus; needsRunningUnits: boolean }> = {
  start: {
    from: [AppState.STOPPED, AppState.SLEEPING, AppState.ERROR],
    to: AppState.RUNNING,
    units: UnitStatus.STARTED,
    needsRunningUnits: false,
  },
  stop: {
    from: [AppState.RUNNING, AppState.STARTING, AppState.SLEEPING, AppState.ERROR],
    to: AppState.STOPPED,
    units: UnitStatus.STOPPED,
    needsRunningUnits: false,
  },
  restart: { from: [AppState.RUNNING, AppState.ERROR], to: AppState.RUNNING, units: UnitStatus.STARTED, needsRunningUnits: true },
  sleep: { from: [AppState.RUNNING], to: AppState.SLEEPING, units: UnitStatus.STOPPED, needsRunningUnits: true },
};

const processName = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_-]{0,29}$/, {
    error: 'must be a process name from the Procfile: a lowercase letter, then up to 29 lowercase letters, digits, - or _',
  });

async function processOf(tx: Tx, appId: string, name: string): Promise<ProcessRow | undefined> {
  const [row] = await tx
    .select()
    .from(appProcesses)
    .where(and(eq(appProcesses.appId, appId), eq(appProcesses.name, name)));
  return row;
}

/** Starts, stops, restarts or puts to sleep a whole app or one of its processes. */
export async function changeLifecycle(
  ctx: Context,
  appId: string,
  action: LifecycleAction,
  rawProcess?: string | null,
): Promise<{ app: AppRow }> {
  const process = rawProcess == null ? null : parseInput(z.object({ process: processName }), { process: rawProcess }).process;
  await declaredApp(ctx, appId);
  const rule = TRANSITIONS[action];
  return audited(ctx, `app.${action}`, async (tx) => {
    const app = await lockApp(tx, appId, { mustBeUnlocked: true });
    let unitFilter = eq(appUnits.appId, appId);
    if (process) {
      const row = await processOf(tx, appId, process);
      if (!row) throw userError('process', UserErrorCode.INVALID, `process "${process}" does not exist in ${app.name}; see App.processes.`);
      unitFilter = and(unitFilter, eq(appUnits.processId, row.id))!;
    } else if (!rule.from.includes(app.state as AppState)) {
      throw userError(
        null,
        UserErrorCode.INVALID_STATE,
        `Cannot ${action} ${app.name}: it is ${app.state}; ${action} works from ${rule.from.join(', ')}.`,
      );
    }
    const units = await tx.select({ id: appUnits.id, status: appUnits.status }).from(appUnits).where(unitFilter);
    if (!units.length)
      throw userError(
        process ? 'process' : null,
        UserErrorCode.INVALID_STATE,
        `${process ? `Process ${process}` : app.name} has no units; deploy the app or add units first.`,
      );
    const running = units.filter((u) => u.status === UnitStatus.STARTED);
    if (rule.needsRunningUnits && !running.length)
      throw userError(
        process ? 'process' : null,
        UserErrorCode.INVALID_STATE,
        `Cannot ${action} ${process ? `process ${process}` : app.name}: no unit is running.`,
      );
    if (process && action === 'start' && running.length === units.length)
      throw userError('process', UserErrorCode.INVALID_STATE, `Process ${process} is already running.`);
    if (process && action === 'stop' && !running.length)
      throw userError('process', UserErrorCode.INVALID_STATE, `Process ${process} is already stopped.`);
    await tx.update(appUnits).set({ status: rule.units }).where(unitFilter);
    // A whole-app action sets the app's state; a process action only changes it when no unit is left running, or one starts.
    const [{ started }] = await tx
      .select({ started: count() })
      .from(appUnits)
      .where(and(eq(appUnits.appId, appId), eq(appUnits.status, UnitStatus.STARTED)));
    const state = !process ? rule.to : started > 0 ? AppState.RUNNING : action === 'sleep' ? AppState.SLEEPING : AppState.STOPPED;
    const [updated] = await tx.update(apps).set({ state, updatedAt: new Date() }).where(eq(apps.id, appId)).returning();
    return {
      result: { app: updated },
      target: { type: 'App', id: appId },
      teamId: app.teamId,
      data: { process, from: app.state, to: state },
    };
  });
}

const unitsSchema = z.object({
  process: processName,
  count: z.number().int().min(1, { error: 'must be at least 1' }).max(100, { error: 'must be at most 100' }),
});

/** Adds units to a process (creating the process if needed) within the app's unit limit. */
export async function addUnits(ctx: Context, appId: string, rawInput: unknown): Promise<{ app: AppRow }> {
  const input = parseInput(unitsSchema, rawInput);
  await declaredApp(ctx, appId);
  return audited(ctx, 'app.units.add', async (tx) => {
    const app = await lockApp(tx, appId, { mustBeUnlocked: true });
    const [{ used }] = await tx.select({ used: count() }).from(appUnits).where(eq(appUnits.appId, appId));
    if (app.unitLimit !== null && used + input.count > app.unitLimit)
      throw userError(
        'count',
        UserErrorCode.LIMIT_REACHED,
        `Not enough reserved units: ${app.name} has ${used} of its ${app.unitLimit}; ask an admin to raise its quota or remove units.`,
      );
    const process =
      (await processOf(tx, appId, input.process)) ??
      (await tx.insert(appProcesses).values({ teamId: app.teamId, appId, name: input.process }).returning())[0];
    const status = app.state === AppState.RUNNING ? UnitStatus.STARTED : UnitStatus.CREATED;
    await tx.insert(appUnits).values(
      Array.from({ length: input.count }, () => ({
        teamId: app.teamId,
        appId,
        processId: process.id,
        name: `${app.name}-${input.process}-${randomBytes(4).toString('hex')}`,
        status,
      })),
    );
    await tx
      .update(appProcesses)
      .set({ units: process.units + input.count })
      .where(eq(appProcesses.id, process.id));
    return { result: { app }, target: { type: 'App', id: appId }, teamId: app.teamId, data: input };
  });
}

/** Removes the newest units of a process; counts never go below zero. */
export async function removeUnits(ctx: Context, appId: string, rawInput: unknown): Promise<{ app: AppRow }> {
  const input = parseInput(unitsSchema, rawInput);
  await declaredApp(ctx, appId);
  return audited(ctx, 'app.units.remove', async (tx) => {
    const app = await lockApp(tx, appId, { mustBeUnlocked: true });
    const process = await processOf(tx, appId, input.process);
    if (!process)
      throw userError('process', UserErrorCode.INVALID, `process "${input.process}" does not exist in ${app.name}; see App.processes.`);
    if (input.count > process.units)
      throw userError(
        'count',
        UserErrorCode.INVALID,
        `count ${input.count} is more than the ${process.units} units process ${input.process} has.`,
      );
    const newest = await tx
      .select({ id: appUnits.id })
      .from(appUnits)
      .where(eq(appUnits.processId, process.id))
      .orderBy(desc(appUnits.createdAt), desc(appUnits.id))
      .limit(input.count);
    await tx.delete(appUnits).where(
      inArray(
        appUnits.id,
        newest.map((u) => u.id),
      ),
    );
    await tx
      .update(appProcesses)
      .set({ units: process.units - input.count })
      .where(eq(appProcesses.id, process.id));
    return { result: { app }, target: { type: 'App', id: appId }, teamId: app.teamId, data: input };
  });
}
