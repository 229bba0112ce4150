import { ArgsType, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import type { auditEvents } from '../../db/schema/index.js';
import { ConnectionArgs, connectionType, orderInput } from '../../graphql/connection.js';
import { Node } from '../../graphql/relay.js';
import { DateTime, JSONScalar } from '../../graphql/scalars.js';

export type AuditEventRow = typeof auditEvents.$inferSelect;

export enum EventStatus {
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(EventStatus, {
  name: 'EventStatus',
  description: 'Outcome of the action an event records.',
  valuesConfig: { SUCCEEDED: { description: 'The action took effect.' }, FAILED: { description: 'The action failed.' } },
});

@ObjectType({ implements: Node, description: 'An audit record of one action (tsuru events): who did what to which object, and when.' })
export class AuditEvent extends Node {
  @Field(() => String, { description: 'What happened, as `target.action`, e.g. `team.create`, `team.member.role`.' })
  kind!: string;
  @Field(() => EventStatus, { description: 'Outcome.' })
  status!: EventStatus;
  @Field(() => String, { nullable: true, description: 'The actor’s email at the time (kept after the account is gone).' })
  actorEmail!: string | null;
  @Field(() => String, { description: 'Type of the object acted on, e.g. Team, Membership, ApiToken.' })
  targetType!: string;
  @Field(() => String, { nullable: true, description: 'Error message, for failed actions.' })
  error!: string | null;
  @Field(() => JSONScalar, { description: 'Details of the action.' })
  data!: unknown;
  @Field(() => DateTime, { description: 'When the action started.' })
  startedAt!: Date;
  @Field(() => DateTime, { description: 'When the action finished.' })
  finishedAt!: Date;
  @Field(() => DateTime, { description: 'When the event was recorded.' })
  createdAt!: Date;
}

export const AuditEventConnection = connectionType(AuditEvent, 'AuditEvent', 'audit events');

export enum AuditEventOrderField {
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(AuditEventOrderField, {
  name: 'AuditEventOrderField',
  description: 'Fields events can be ordered by.',
  valuesConfig: { CREATED_AT: { description: 'By time recorded.' } },
});
export const AuditEventOrder = orderInput(AuditEventOrderField, 'AuditEvent', 'audit events');

@InputType({ description: 'Narrows a list of audit events.' })
export class AuditEventFilter {
  @Field(() => [String], { nullable: true, description: 'Only these kinds; a kind ending in `.*` matches a prefix, e.g. `team.member.*`.' })
  kinds?: string[] | null;
  @Field(() => ID, { nullable: true, description: 'Only events about this object (its global ID).' })
  targetId?: string | null;
  @Field(() => DateTime, { nullable: true, description: 'Only events recorded at or after this time.' })
  since?: Date | null;
  @Field(() => DateTime, { nullable: true, description: 'Only events recorded before this time.' })
  until?: Date | null;
}

@ArgsType()
export class AuditEventConnectionArgs extends ConnectionArgs {
  @Field(() => AuditEventOrder, { nullable: true, description: 'Order of the events; newest first by default.' })
  orderBy?: InstanceType<typeof AuditEventOrder> | null;
  @Field(() => AuditEventFilter, { nullable: true, description: 'Only events matching this filter.' })
  filter?: AuditEventFilter | null;
}
