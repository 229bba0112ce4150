import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import type { apiTokens, sessions } from '../../db/schema/index.js';
import { connectionType } from '../../graphql/connection.js';
import { Node } from '../../graphql/relay.js';
import { DateTime } from '../../graphql/scalars.js';
import { Payload } from '../../graphql/user-errors.js';

export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;

export enum CredentialState {
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
}
registerEnumType(CredentialState, {
  name: 'CredentialState',
  description: 'Whether an API token or session can still be used.',
  valuesConfig: {
    ACTIVE: { description: 'Usable.' },
    EXPIRED: { description: 'Past its expiry time.' },
    REVOKED: { description: 'Revoked, logged out or ended by a password change.' },
  },
});

@ObjectType({
  implements: Node,
  description: 'A long-lived bearer token for scripts and CI (tsuru api-key). Its secret is shown only once.',
})
export class ApiToken extends Node {
  @Field(() => String, { description: 'A name to tell the token apart.' })
  name!: string;
  @Field(() => String, { description: 'The first characters of the secret, as a hint of which token this is.' })
  prefix!: string;
  @Field(() => [String], {
    nullable: true,
    description: 'Permissions the token is narrowed to (`resource:action`); null means all of its owner’s permissions.',
  })
  scopes!: string[] | null;
  @Field(() => DateTime, { nullable: true, description: 'When the token stops working; null: never.' })
  expiresAt!: Date | null;
  @Field(() => DateTime, { nullable: true, description: 'When the token was last used (to the minute).' })
  lastUsedAt!: Date | null;
  @Field(() => DateTime, { nullable: true, description: 'When the token was revoked.' })
  revokedAt!: Date | null;
  @Field(() => DateTime, { description: 'When the token was created.' })
  createdAt!: Date;
}

@ObjectType({ implements: Node, description: 'A login session of the viewer.' })
export class Session extends Node {
  @Field(() => DateTime, { description: 'When the session started (log-in time).' })
  createdAt!: Date;
  @Field(() => DateTime, { description: 'When the session expires.' })
  expiresAt!: Date;
  @Field(() => DateTime, { nullable: true, description: 'When the session was last used (to the minute).' })
  lastUsedAt!: Date | null;
  @Field(() => DateTime, { nullable: true, description: 'When the session was ended by logging out or a password change.' })
  endedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'The User-Agent that logged in.' })
  userAgent!: string | null;
  @Field(() => String, { nullable: true, description: 'The address that logged in.' })
  ipAddress!: string | null;
}

export const ApiTokenConnection = connectionType(ApiToken, 'ApiToken', 'API tokens');
export const SessionConnection = connectionType(Session, 'Session', 'sessions');

@InputType({ description: 'A new API token.' })
export class CreateApiTokenInput {
  @Field(() => String, { description: 'A name, 1–100 characters, unique among your active tokens.' })
  name!: string;
  @Field(() => DateTime, { nullable: true, description: 'When the token stops working (in the future); omit for no expiry.' })
  expiresAt?: Date | null;
  @Field(() => [String], {
    nullable: true,
    description: 'Permissions (`resource:action`, e.g. `team:read`) to narrow the token to; omit for all of its subject’s.',
  })
  scopes?: string[] | null;
  @Field(() => ID, {
    nullable: true,
    description:
      'Mint the token for this service account instead of yourself (needs iam:manage in its team and every permission the account holds).',
  })
  serviceAccountId?: string | null;
}

@InputType({ description: 'The API token to revoke.' })
export class RevokeApiTokenInput {
  @Field(() => ID, { description: 'The ID of one of your tokens, or of a token of a service account you manage.' })
  id!: string;
}

@InputType({ description: 'The API token to give a new secret.' })
export class RegenerateApiTokenInput {
  @Field(() => ID, { description: 'The ID of one of your tokens, or of a token of a service account you manage.' })
  id!: string;
}

@InputType({ description: 'Identifies one of your sessions.' })
export class RevokeSessionInput {
  @Field(() => ID, { description: 'The session’s ID (see `viewer.sessions`).' })
  id!: string;
}

@ObjectType({ description: 'Result of createApiToken or regenerateApiToken.' })
export class ApiTokenSecretPayload extends Payload {
  @Field(() => String, { nullable: true, description: 'The token’s secret: send it as `Authorization: Bearer <secret>`. Shown only now.' })
  secret?: string | null;
  @Field(() => ApiToken, { nullable: true, description: 'The token.' })
  token?: ApiToken | null;
}

@ObjectType({ description: 'Result of revokeApiToken.' })
export class RevokeApiTokenPayload extends Payload {
  @Field(() => ApiToken, { nullable: true, description: 'The revoked token.' })
  token?: ApiToken | null;
}

@ObjectType({ description: 'Result of revokeSession.' })
export class RevokeSessionPayload extends Payload {
  @Field(() => Session, { nullable: true, description: 'The ended session.' })
  session?: Session | null;
}
