import type { Context, UserRow, Viewer } from '../graphql/context.js';
import { forbidden, unauthenticated } from '../graphql/errors.js';

/** The authenticated viewer; entry points are guarded by shield, this guards services too. */
export function requireViewer(ctx: Context): Viewer {
  if (!ctx.viewer) throw unauthenticated(ctx.authFailure ?? undefined);
  return ctx.viewer;
}

export type UserViewer = Viewer & { user: UserRow };

/** The viewer, who must be a user: accounts, sessions, team membership and ownership are people's, not service accounts'. */
export function requireUser(ctx: Context, action: string): UserViewer {
  const viewer = requireViewer(ctx);
  if (!viewer.user) throw forbidden(`A service account cannot ${action}; only users can.`);
  return viewer as UserViewer;
}

/**
 * The viewer, a user calling with full access: a session or an unscoped API token. Account and
 * credential changes need it, so that a leaked narrow token cannot take the account over
 * (change its email or password, mint wider tokens, end the owner's sessions).
 */
export function requireFullAccess(ctx: Context, action: string): UserViewer {
  const viewer = requireUser(ctx, action);
  if (viewer.scopes) throw forbidden(`A scoped API token cannot ${action}; use a session or an unscoped token.`);
  return viewer;
}

/**
 * The calling user, for services whose declaration (`asUser`, `withFullAccess`) the guard already
 * checked: it only hands the typed viewer over, the rule itself lives in the declaration.
 */
export function declaredUser(ctx: Context): UserViewer {
  if (!ctx.viewer?.user) throw new Error('declaredUser: the declaration should have required a user');
  return ctx.viewer as UserViewer;
}

/** How the viewer is named in messages and mail: a user's email, or the service account's name. */
export const viewerName = (viewer: Viewer) => viewer.user?.email ?? `service account ${viewer.serviceAccount!.name}`;
