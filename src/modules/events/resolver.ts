import { Arg, Args, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { registerNodeType } from '../../graphql/node-registry.js';
import { Requires, on, permission } from '../../iam/declarations.js';
import { idOf, toGlobalId } from '../../graphql/relay.js';
import { requireViewer } from '../../auth/viewer.js';
import { readableTeam } from '../teams/team-service.js';
import { teamById } from '../teams/loaders.js';
import { Team } from '../teams/types.js';
import { userById } from '../users/loaders.js';
import { User } from '../users/types.js';
import { eventById, eventsOfUser, eventsOfTeam } from './loaders.js';
import { AuditEvent, AuditEventConnection, AuditEventConnectionArgs, type AuditEventRow } from './types.js';

registerNodeType('AuditEvent', (ctx, id) => ctx.loaders.get(eventById).load(id));

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @FieldResolver(() => User, { nullable: true, description: 'Who acted, when still visible to you; null for the system.' })
  actor(@Root() e: AuditEventRow, @Ctx() ctx: Context) {
    return e.actorId ? ctx.loaders.get(userById).load(e.actorId) : null;
  }

  @FieldResolver(() => ID, { nullable: true, description: 'Global ID of the object acted on (it may no longer exist).' })
  targetId(@Root() e: AuditEventRow): string | null {
    return e.targetId ? toGlobalId(e.targetType, e.targetId) : null;
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The team the event belongs to, when you can read it.' })
  team(@Root() e: AuditEventRow, @Ctx() ctx: Context) {
    return e.teamId ? ctx.loaders.get(teamById).load(e.teamId) : null;
  }
}

@Resolver(() => Team)
export class TeamEventsResolver {
  @Requires(permission('audit:read', on.parent('TEAM'), 'see the team’s events'))
  @FieldResolver(() => AuditEventConnection, { nullable: true, description: 'The team’s audit events, newest first.' })
  events(@Root() team: { id: string }, @Args(() => AuditEventConnectionArgs) args: AuditEventConnectionArgs, @Ctx() ctx: Context) {
    return eventsOfTeam.forParent(ctx, team.id, args);
  }
}

@Resolver(() => User)
export class UserEventsResolver {
  @FieldResolver(() => AuditEventConnection, {
    nullable: true,
    description:
      'What this user did and what was done to their account (failed logins included), newest first, limited to events you may read. Only for yourself and platform admins.',
  })
  events(@Root() user: { id: string }, @Args(() => AuditEventConnectionArgs) args: AuditEventConnectionArgs, @Ctx() ctx: Context) {
    return eventsOfUser.forParent(ctx, user.id, args);
  }
}

/** Committed events of a team, as the subscriber may see them when each one arrives. */
async function teamEventStream(ctx: Context, globalTeamId: string): Promise<AsyncIterable<AuditEventRow>> {
  // graphql-shield wraps a subscription's resolve (run per event), not its subscribe: check here too.
  requireViewer(ctx);
  const teamId = idOf('Team', globalTeamId, 'teamId');
  await readableTeam(ctx, teamId);
  await ctx.policy.require(teamId, 'audit:read', 'follow this team’s events');
  const ids = ctx.app.events.teamEventIds(teamId);
  return (async function* () {
    for await (const eventId of ids) {
      const current = ctx.renew ? await ctx.renew() : ctx;
      if (!current.viewer) return;
      const event = await current.loaders.get(eventById).load(eventId);
      if (event) yield event;
    }
  })();
}

@Resolver(() => AuditEvent)
export class TeamEventSubscriptionResolver {
  @Subscription(() => AuditEvent, {
    description: 'The team’s audit events as they are committed (needs audit:read); each is checked against your access when it arrives.',
    subscribe: ({ args, context }) => teamEventStream(context as Context, (args as { teamId: string }).teamId),
  })
  teamEvents(
    @Root() event: AuditEventRow,
    @Arg('teamId', () => ID, { description: 'The team to follow.' }) _teamId: string,
  ): AuditEventRow {
    return event;
  }
}
