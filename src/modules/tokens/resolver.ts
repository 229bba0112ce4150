import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Requires, on, permission, stateRule, withFullAccess } from '../../iam/declarations.js';
import { INPUT_ARG } from '../../graphql/inputs.js';
import { registerNodeType } from '../../graphql/node-registry.js';
import { idOf } from '../../graphql/relay.js';
import { payload } from '../../graphql/user-errors.js';
import { manageableApiTokenById, ownSessionById } from './loaders.js';
import * as tokens from './service.js';
import {
  ApiToken,
  RegenerateApiTokenInput,
  RevokeApiTokenInput,
  ApiTokenSecretPayload,
  CreateApiTokenInput,
  CredentialState,
  RevokeApiTokenPayload,
  RevokeSessionInput,
  RevokeSessionPayload,
  Session,
  type ApiTokenRow,
  type SessionRow,
} from './types.js';

registerNodeType('ApiToken', (ctx, id) => ctx.loaders.get(manageableApiTokenById).load(id));
registerNodeType('Session', (ctx, id) => ctx.loaders.get(ownSessionById).load(id));

function stateOf(endedAt: Date | null, expiresAt: Date | null): CredentialState {
  if (endedAt) return CredentialState.REVOKED;
  if (expiresAt && expiresAt <= new Date()) return CredentialState.EXPIRED;
  return CredentialState.ACTIVE;
}

@Resolver(() => ApiToken)
export class ApiTokenResolver {
  @FieldResolver(() => CredentialState, { description: 'Whether the token can still be used.' })
  state(@Root() token: ApiTokenRow): CredentialState {
    return stateOf(token.revokedAt, token.expiresAt);
  }

  @Requires(
    withFullAccess('create API tokens'),
    permission('iam:manage', on.serviceAccount('input.serviceAccountId'), 'create tokens for this service account', {
      when: 'input.serviceAccountId',
    }),
    stateRule('A service account’s token also needs every permission the account holds.'),
  )
  @Mutation(() => ApiTokenSecretPayload, { description: 'Creates an API token; the payload holds its secret, shown only this once.' })
  createApiToken(@Arg('input', () => CreateApiTokenInput, INPUT_ARG) input: CreateApiTokenInput, @Ctx() ctx: Context) {
    const { serviceAccountId, ...rest } = input;
    return payload(() =>
      tokens.createApiToken(ctx, rest, serviceAccountId ? idOf('ServiceAccount', serviceAccountId, 'serviceAccountId') : undefined),
    );
  }

  @Requires(
    'SIGNED_IN',
    stateRule('Your own token (another one needs a session or an unscoped token), or a service account’s with iam:manage in its team.'),
  )
  @Mutation(() => RevokeApiTokenPayload, {
    description: 'Revokes one of your API tokens (or one of a service account you manage); it is refused from then on.',
  })
  revokeApiToken(@Arg('input', () => RevokeApiTokenInput, INPUT_ARG) input: RevokeApiTokenInput, @Ctx() ctx: Context) {
    return payload(() => tokens.revokeApiToken(ctx, idOf('ApiToken', input.id, 'id')));
  }

  @Requires(
    withFullAccess('regenerate API tokens'),
    stateRule('Your own token, or a service account’s with iam:manage in its team and every permission the account holds.'),
  )
  @Mutation(() => ApiTokenSecretPayload, {
    description:
      'Gives one of your API tokens (or one of a service account you manage) a new secret, shown only this once; the old secret stops working.',
  })
  regenerateApiToken(
    @Arg('input', () => RegenerateApiTokenInput, INPUT_ARG)
    input: RegenerateApiTokenInput,
    @Ctx() ctx: Context,
  ) {
    return payload(() => tokens.regenerateApiToken(ctx, idOf('ApiToken', input.id, 'id')));
  }
}

@Resolver(() => Session)
export class SessionResolver {
  @FieldResolver(() => CredentialState, { description: 'Whether the session can still be used.' })
  state(@Root() session: SessionRow): CredentialState {
    return stateOf(session.endedAt, session.expiresAt);
  }

  @FieldResolver(() => Boolean, { description: 'True for the session making this request.' })
  current(@Root() session: SessionRow, @Ctx() ctx: Context): boolean {
    return ctx.viewer?.via === 'SESSION' && ctx.viewer.credentialId === session.id;
  }

  @Requires('SIGNED_IN', stateRule('Your own session; another than the current one needs a session or an unscoped token.'))
  @Mutation(() => RevokeSessionPayload, { description: 'Ends one of your sessions (for example a lost device’s).' })
  revokeSession(@Arg('input', () => RevokeSessionInput, INPUT_ARG) input: RevokeSessionInput, @Ctx() ctx: Context) {
    return payload(() => tokens.revokeSession(ctx, idOf('Session', input.id, 'id')));
  }
}
