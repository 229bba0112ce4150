import type { serviceAccounts, users } from '../db/schema/index.js';
import type { Permission } from '../iam/permissions.js';

export type UserRow = typeof users.$inferSelect;
export type ServiceAccountRow = typeof serviceAccounts.$inferSelect;

/** Who holds grants: a user, or a team's service account (Numspot subjects). */
export interface Subject {
  type: 'USER' | 'SERVICE_ACCOUNT';
  id: string;
}

/** Who is calling, as established from the bearer token. */
export interface Viewer {
  subject: Subject;
  /** The calling user; null when a service account calls (with one of its API tokens). */
  user: UserRow | null;
  /** The calling service account; null for users. */
  serviceAccount: ServiceAccountRow | null;
  via: 'SESSION' | 'API_TOKEN';
  /** The session's or API token's id. */
  credentialId: string;
  /** An API token's scopes narrow every permission to this set; null: not narrowed. */
  scopes: ReadonlySet<Permission> | null;
}
