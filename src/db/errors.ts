/** The Postgres error behind a failed statement (drizzle wraps driver errors). */
function pgError(error: unknown): { code?: string; constraint?: string; constraint_name?: string } | null {
  let e = error as { code?: string; cause?: unknown } | null;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e as never;
    e = e.cause as typeof e;
  }
  return null;
}

/** True when the error is a unique violation, of the named constraint if one is given. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pg = pgError(error);
  if (pg?.code !== '23505') return false;
  return !constraint || (pg.constraint ?? pg.constraint_name) === constraint;
}
