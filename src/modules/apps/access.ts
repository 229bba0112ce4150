import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { apps } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { guarded } from '../../iam/guard.js';
import { appById } from './loaders.js';
import type { AppRow } from './types.js';

/** The app a mutation's declaration was checked on (by the guard, before the service runs). */
export const declaredApp = (ctx: Context, appId: string): Promise<AppRow> => guarded(ctx.loaders.get(appById).load(appId), 'App');

/**
 * Re-reads the app under a row lock: changes to one app (units, versions, state) are serialized,
 * so limits and version numbers hold under concurrent requests.
 */
export async function lockApp(tx: Tx, appId: string, options: { mustBeUnlocked: boolean }): Promise<AppRow> {
  const [app] = await tx.select().from(apps).where(eq(apps.id, appId)).for('update');
  if (!app) throw notFound('App');
  if (options.mustBeUnlocked && app.locked)
    throw userError(
      ['input', 'appId'],
      UserErrorCode.INVALID_STATE,
      `App ${app.name} is locked; unlock it with updateApp(locked: false) first.`,
    );
  return app;
}
