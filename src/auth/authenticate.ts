import { and, eq, gt, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiTokens, serviceAccounts, sessions, users } from '../db/schema/index.js';
import { outsideStatementScope } from '../db/statements.js';
import type { Viewer } from '../graphql/context.js';
import { grantsJsonOf, parseGrantsJson } from '../iam/grant-paths.js';
import type { HeldGrant } from '../iam/policy.js';
import { isPermission } from '../iam/permissions.js';
import type { Logger } from '../logger.js';
import { hashSecret, secretKind } from './secrets.js';

/** Who is calling, what they held when the request began (their grant rows), or why their token was refused. */
export type Authentication = { viewer: Viewer | null; grants?: HeldGrant[]; failure: string | null };

const REFUSED = 'The token is invalid, expired or revoked, or its user is suspended; log in again or use another token.';
// Last-used times are bookkeeping: written at most once a minute per credential, after the response.
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Authentication's two statements, built once per database with placeholders for the secret's
 * hash and the time: building their SQL (every grant path's select) on each request was a sixth of
 * a small request's CPU.
 */
function prepareStatements(db: Db) {
  const hash = sql.placeholder('hash');
  const now = sql.placeholder('now');
  return {
    session: db
      .select({ user: users, session: sessions, grants: grantsJsonOf(db, { userId: users.id }) })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.tokenHash, hash), isNull(sessions.endedAt), gt(sessions.expiresAt, now), eq(users.status, 'ACTIVE')))
      .prepare('authenticate_session'),
    // A user's token works while the user is active; a service account's while the account exists.
    apiToken: db
      .select({
        user: users,
        serviceAccount: serviceAccounts,
        token: apiTokens,
        grants: grantsJsonOf(db, { userId: apiTokens.userId, serviceAccountId: apiTokens.serviceAccountId }),
      })
      .from(apiTokens)
      .leftJoin(users, eq(users.id, apiTokens.userId))
      .leftJoin(serviceAccounts, eq(serviceAccounts.id, apiTokens.serviceAccountId))
      .where(
        and(
          eq(apiTokens.secretHash, hash),
          isNull(apiTokens.revokedAt),
          or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
          or(eq(users.status, 'ACTIVE'), isNotNull(serviceAccounts.id)),
        ),
      )
      .prepare('authenticate_api_token'),
  };
}

const prepared = new WeakMap<Db, ReturnType<typeof prepareStatements>>();

function statementsOf(db: Db): ReturnType<typeof prepareStatements> {
  let statements = prepared.get(db);
  if (!statements) prepared.set(db, (statements = prepareStatements(db)));
  return statements;
}

/** Resolves `Authorization: Bearer <token>` to a viewer and their grants with one statement. */
export async function authenticate(db: Db, header: string | undefined, logger: Logger): Promise<Authentication> {
  if (!header) return { viewer: null, failure: null };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return { viewer: null, failure: 'The Authorization header must be "Bearer <token>".' };
  const secret = match[1];
  const kind = secretKind(secret);
  const hash = hashSecret(secret);
  const now = new Date();

  if (kind === 'session') {
    const [row] = await statementsOf(db).session.execute({ hash, now: now.toISOString() });
    if (!row) return { viewer: null, failure: REFUSED };
    touchIfStale(logger, row.session.lastUsedAt, now, () =>
      db.update(sessions).set({ lastUsedAt: now }).where(eq(sessions.id, row.session.id)),
    );
    return {
      viewer: {
        subject: { type: 'USER', id: row.user.id },
        user: row.user,
        serviceAccount: null,
        via: 'SESSION',
        credentialId: row.session.id,
        scopes: null,
      },
      grants: parseGrantsJson(row.grants),
      failure: null,
    };
  }

  if (kind === 'apiToken') {
    const [row] = await statementsOf(db).apiToken.execute({ hash, now: now.toISOString() });
    if (!row) return { viewer: null, failure: REFUSED };
    touchIfStale(logger, row.token.lastUsedAt, now, () =>
      db
        .update(apiTokens)
        .set({ lastUsedAt: now })
        .where(and(eq(apiTokens.id, row.token.id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, now)))),
    );
    const scopes = row.token.scopes ? new Set(row.token.scopes.filter(isPermission)) : null;
    const subject = row.user
      ? { type: 'USER' as const, id: row.user.id }
      : { type: 'SERVICE_ACCOUNT' as const, id: row.serviceAccount!.id };
    return {
      viewer: { subject, user: row.user, serviceAccount: row.serviceAccount, via: 'API_TOKEN', credentialId: row.token.id, scopes },
      grants: parseGrantsJson(row.grants),
      failure: null,
    };
  }

  return { viewer: null, failure: REFUSED };
}

/** Records a credential's use after the response, at most once per interval. */
function touchIfStale(logger: Logger, lastUsedAt: Date | null, now: Date, write: () => PromiseLike<unknown>): void {
  if (lastUsedAt && now.getTime() - lastUsedAt.getTime() <= TOUCH_INTERVAL_MS) return;
  setImmediate(() =>
    outsideStatementScope(() => Promise.resolve(write()).catch((error) => logger.warn({ err: error }, 'could not record token use'))),
  );
}
