import type { Context, Viewer } from '../graphql/context.js';
import { forbidden, unauthenticated } from '../graphql/errors.js';

/** The authenticated viewer; entry points are guarded by shield, this guards services too. */
export function requireViewer(ctx: Context): Viewer {
  if (!ctx.viewer) throw unauthenticated(ctx.authFailure ?? undefined);
  return ctx.viewer;
}

/**
 * The viewer, calling with full access: a session or an unscoped API token. Account and
 * credential changes need it, so that a leaked narrow token cannot take the account over
 * (change its email or password, mint wider tokens, end the owner's sessions).
 */
export function requireFullAccess(ctx: Context, action: string): Viewer {
  const viewer = requireViewer(ctx);
  if (viewer.scopes) throw forbidden(`A scoped API token cannot ${action}; use a session or an unscoped token.`);
  return viewer;
}
