import type { Context, Viewer } from '../graphql/context.js';
import { unauthenticated } from '../graphql/errors.js';

/** The authenticated viewer; entry points are guarded by shield, this guards services too. */
export function requireViewer(ctx: Context): Viewer {
  if (!ctx.viewer) throw unauthenticated(ctx.authFailure ?? undefined);
  return ctx.viewer;
}
