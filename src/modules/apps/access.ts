import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { apps } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import type { Permission } from '../../iam/permissions.js';
import { appById } from './loaders.js';
import type { AppRow } from './types.js';

/** An app the viewer can read and holds `permission` on; NOT_FOUND or FORBIDDEN otherwise. */
export async function appWithPermission(ctx: Context, appId: string, permission: Permission, action: string): Promise<AppRow> {
  const app = await ctx.loaders.get(appById).load(appId);
  if (!app) throw notFound('App');
  await ctx.policy.requireOnResource('APP', app, permission, action);
  return app;
}

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
