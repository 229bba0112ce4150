import { AsyncLocalStorage } from 'node:async_hooks';

/** Counts the SQL statements issued inside one request, for tests and benchmarks. */
export interface StatementScope {
  count: number;
}

const scope = new AsyncLocalStorage<StatementScope>();

export function withStatementScope<T>(fn: () => T): { scope: StatementScope; result: T } {
  const s: StatementScope = { count: 0 };
  return { scope: s, result: scope.run(s, fn) };
}

/** Runs work that is not part of the current request's statements (bookkeeping writes). */
export function outsideStatementScope<T>(fn: () => T): T {
  return scope.exit(fn);
}

export function countStatement(): void {
  const s = scope.getStore();
  if (s) s.count += 1;
}
