import { and, eq, isNull, or, gt } from 'drizzle-orm';
import { z } from 'zod';
import { displayPrefix, hashSecret, newSecret } from '../../auth/secrets.js';
import { declaredUser, requireFullAccess } from '../../auth/viewer.js';
import { apiTokens, sessions } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { fields, parseInput } from '../../graphql/validation.js';
import { PERMISSIONS } from '../../iam/permissions.js';
import { audited } from '../events/audit.js';
import { grantsOf, requireHoldsAll } from '../iam/grants.js';
import { serviceAccountById } from '../iam/loaders.js';
import { guarded } from '../../iam/guard.js';
import { manageableApiTokenById, ownSessionById } from './loaders.js';
import type { ApiTokenRow, SessionRow } from './types.js';

const createSchema = z.object({
  name: fields.requiredText(100),
  expiresAt: z
    .date()
    .refine((d) => d.getTime() > Date.now(), { error: 'must be in the future' })
    .nullish(),
  scopes: z
    .array(z.enum(PERMISSIONS, { error: `must contain only known permissions: ${PERMISSIONS.join(', ')}` }))
    .min(1, { error: 'must contain at least one permission, or be omitted for all' })
    .max(PERMISSIONS.length)
    .nullish(),
});

/**
 * Creates an API token for the viewer or, with `serviceAccountId`, for a service account of a team
 * where the viewer holds iam:manage and every permission the account holds (a token must not
 * give its minter more than they have).
 */
export async function createApiToken(
  ctx: Context,
  rawInput: unknown,
  serviceAccountId?: string,
): Promise<{ secret: string; token: ApiTokenRow }> {
  const viewer = declaredUser(ctx);
  const input = parseInput(createSchema, rawInput);
  // iam:manage on the account is declared; minting also takes what the account holds (below).
  const account = serviceAccountId ? await guarded(ctx.loaders.get(serviceAccountById).load(serviceAccountId), 'Service account') : null;
  if (account)
    await requireHoldsAll(
      ctx,
      await grantsOf(ctx.db, { type: 'SERVICE_ACCOUNT', id: account.id }),
      'create a token for this service account',
    );
  const secret = newSecret('apiToken');
  return audited(ctx, account ? 'team.serviceAccount.token.create' : 'user.token.create', async (tx) => {
    await ctx.policy.stillHolds(tx);
    const [clash] = await tx
      .select({ id: apiTokens.id })
      .from(apiTokens)
      .where(
        and(
          account ? eq(apiTokens.serviceAccountId, account.id) : eq(apiTokens.userId, viewer.user.id),
          eq(apiTokens.name, input.name),
          isNull(apiTokens.revokedAt),
          or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, new Date())),
        ),
      );
    if (clash)
      throw userError(
        'name',
        UserErrorCode.TAKEN,
        `name "${input.name}" is used by another active token of ${account ? `service account ${account.name}` : 'yours'}.`,
      );
    const [token] = await tx
      .insert(apiTokens)
      .values({
        userId: account ? null : viewer.user.id,
        serviceAccountId: account?.id ?? null,
        teamId: account?.teamId ?? null,
        name: input.name,
        prefix: displayPrefix(secret),
        secretHash: hashSecret(secret),
        scopes: input.scopes ? [...new Set(input.scopes)].sort() : null,
        expiresAt: input.expiresAt ?? null,
        // The member whose departure from the team revokes it (endPathsSetUpBy).
        createdById: account ? viewer.user.id : null,
      })
      .returning();
    return {
      result: { secret, token },
      target: { type: 'ApiToken', id: token.id },
      teamId: account?.teamId ?? null,
      data: { name: token.name, scopes: token.scopes, ...(account ? { serviceAccount: account.name } : {}) },
    };
  });
}

/** One of the viewer's tokens, or a token of a service account they manage. */
async function manageableToken(ctx: Context, id: string): Promise<ApiTokenRow> {
  const token = await ctx.loaders.get(manageableApiTokenById).load(id);
  if (!token) throw notFound('API token');
  return token;
}

export async function revokeApiToken(ctx: Context, id: string): Promise<{ token: ApiTokenRow }> {
  // A scoped token may revoke itself (that only reduces access), not its owner's other tokens.
  if (ctx.viewer?.credentialId !== id) requireFullAccess(ctx, 'revoke other API tokens');
  const token = await manageableToken(ctx, id);
  if (token.revokedAt) throw userError('id', UserErrorCode.EXPIRED, 'The token is already revoked.');
  return audited(ctx, token.serviceAccountId ? 'team.serviceAccount.token.revoke' : 'user.token.revoke', async (tx) => {
    const [revoked] = await tx.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, id)).returning();
    return { result: { token: revoked }, target: { type: 'ApiToken', id }, teamId: token.teamId };
  });
}

/** Replaces a token's secret; the old one stops working at once (tsuru token regenerate). */
export async function regenerateApiToken(ctx: Context, id: string): Promise<{ secret: string; token: ApiTokenRow }> {
  const viewer = declaredUser(ctx);
  const token = await manageableToken(ctx, id);
  // The new secret goes to the caller: for a service account's token, that takes what minting one takes.
  if (token.serviceAccountId)
    await requireHoldsAll(ctx, await grantsOf(ctx.db, { type: 'SERVICE_ACCOUNT', id: token.serviceAccountId }), 'regenerate this token');
  const dead = () => userError('id', UserErrorCode.EXPIRED, 'A revoked or expired token cannot be regenerated; create a new one.');
  const secret = newSecret('apiToken');
  return audited(ctx, token.serviceAccountId ? 'team.serviceAccount.token.regenerate' : 'user.token.regenerate', async (tx) => {
    // Checked in the write itself, so a revoke landing meanwhile is not undone.
    const [updated] = await tx
      .update(apiTokens)
      // Whoever holds the new secret of a service account's token answers for it as its minter.
      .set({
        secretHash: hashSecret(secret),
        prefix: displayPrefix(secret),
        lastUsedAt: null,
        ...(token.serviceAccountId ? { createdById: viewer.user.id } : {}),
      })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, new Date()))))
      .returning();
    if (!updated) throw dead();
    return { result: { secret, token: updated }, target: { type: 'ApiToken', id }, teamId: token.teamId };
  });
}

export async function revokeSession(ctx: Context, id: string): Promise<{ session: SessionRow }> {
  if (ctx.viewer?.credentialId !== id) requireFullAccess(ctx, 'end sessions');
  const session = await ctx.loaders.get(ownSessionById).load(id);
  if (!session) throw notFound('Session');
  if (session.endedAt) throw userError('id', UserErrorCode.EXPIRED, 'The session has already ended.');
  return audited(ctx, 'user.session.revoke', async (tx) => {
    const [ended] = await tx.update(sessions).set({ endedAt: new Date() }).where(eq(sessions.id, id)).returning();
    return { result: { session: ended }, target: { type: 'Session', id } };
  });
}
