import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { appEnvVars, appProcesses, appUnits, apps, deploys, plans, platforms, pools } from '../../db/schema/index.js';
import { ConnectionArgs, connectionType, orderInput } from '../../graphql/connection.js';
import { Node } from '../../graphql/relay.js';
import { DateTime } from '../../graphql/scalars.js';

export type AppRow = typeof apps.$inferSelect;
export type ProcessRow = typeof appProcesses.$inferSelect;
export type UnitRow = typeof appUnits.$inferSelect;
/** What env var resolvers need (the loader selects no more). */
export type EnvVarRow = Pick<typeof appEnvVars.$inferSelect, 'appId' | 'teamId' | 'name' | 'value' | 'secret'>;
export type DeployRow = typeof deploys.$inferSelect;

export enum AppState {
  STOPPED = 'STOPPED',
  STARTING = 'STARTING',
  RUNNING = 'RUNNING',
  SLEEPING = 'SLEEPING',
  ERROR = 'ERROR',
}
registerEnumType(AppState, {
  name: 'AppState',
  description: 'Lifecycle state of an app.',
  valuesConfig: {
    STOPPED: { description: 'Not running; no unit serves traffic.' },
    STARTING: { description: 'Units are being started.' },
    RUNNING: { description: 'Serving traffic.' },
    SLEEPING: { description: 'Idle: units are suspended and wake on demand.' },
    ERROR: { description: 'The last lifecycle action or deploy failed.' },
  },
});

export enum UnitStatus {
  CREATED = 'CREATED',
  STARTING = 'STARTING',
  STARTED = 'STARTED',
  STOPPED = 'STOPPED',
  ERROR = 'ERROR',
}
registerEnumType(UnitStatus, {
  name: 'UnitStatus',
  description: 'Status of one unit (container) of an app.',
  valuesConfig: {
    CREATED: { description: 'Created, never started.' },
    STARTING: { description: 'Starting.' },
    STARTED: { description: 'Running.' },
    STOPPED: { description: 'Stopped.' },
    ERROR: { description: 'Failed.' },
  },
});

export enum DeployOrigin {
  GIT = 'GIT',
  IMAGE = 'IMAGE',
  UPLOAD = 'UPLOAD',
  ROLLBACK = 'ROLLBACK',
}
registerEnumType(DeployOrigin, {
  name: 'DeployOrigin',
  description: 'Where a deploy’s code came from.',
  valuesConfig: {
    GIT: { description: 'A git commit.' },
    IMAGE: { description: 'A container image.' },
    UPLOAD: { description: 'An uploaded archive.' },
    ROLLBACK: { description: 'A rollback to an earlier deploy’s image.' },
  },
});

export enum DeployStatus {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(DeployStatus, {
  name: 'DeployStatus',
  description: 'Progress of a deploy.',
  valuesConfig: {
    PENDING: { description: 'Waiting to run.' },
    RUNNING: { description: 'Running.' },
    SUCCEEDED: { description: 'Done; this version is live.' },
    FAILED: { description: 'Failed; the previous version stays live.' },
  },
});

@ObjectType({ implements: Node, description: 'An application owned by a team (tsuru app).' })
export class App extends Node {
  @Field(() => String, {
    description: 'Unique name on the platform: a lowercase letter, then up to 39 lowercase letters, digits or hyphens.',
  })
  name!: string;
  @Field(() => String, { description: 'Description (may be empty).' })
  description!: string;
  @Field(() => String, { description: 'Platform (language runtime), from `platforms`.' })
  platform!: string;
  @Field(() => String, { description: 'Plan (unit size), from `plans`.' })
  plan!: string;
  @Field(() => String, { description: 'Pool of nodes the app runs on, from `pools`.' })
  pool!: string;
  @Field(() => [String], { description: 'Labels for grouping and filtering.' })
  tags!: string[];
  @Field(() => AppState, { description: 'Lifecycle state.' })
  state!: AppState;
  @Field(() => Boolean, { description: 'A locked app refuses lifecycle, unit, env, cname and deploy changes until unlocked.' })
  locked!: boolean;
  @Field(() => DateTime, { description: 'When the app was created.' })
  createdAt!: Date;
  @Field(() => DateTime, { description: 'When the app was last changed.' })
  updatedAt!: Date;
}

@ObjectType({ description: 'A process type of an app (from its Procfile), with its unit count.' })
export class AppProcess {
  @Field(() => String, { description: 'Process name, e.g. web or worker.' })
  name!: string;
  @Field(() => Int, { description: 'How many units run this process.' })
  units!: number;
}

@ObjectType({ description: 'One unit (container) of an app.' })
export class AppUnit {
  @Field(() => String, { description: 'Unit name.' })
  name!: string;
  @Field(() => String, { description: 'The process it runs.' })
  process!: string;
  @Field(() => UnitStatus, { description: 'Status.' })
  status!: UnitStatus;
  @Field(() => DateTime, { description: 'When the unit was created.' })
  createdAt!: Date;
}

@ObjectType({ description: 'An environment variable of an app.' })
export class EnvVar {
  @Field(() => String, { description: 'Name (POSIX: letters, digits and underscores, not starting with a digit).' })
  name!: string;
  @Field(() => String, { nullable: true, description: 'Value; null for a secret unless you hold app:env:read-secrets.' })
  value!: string | null;
  @Field(() => Boolean, { description: 'Whether the value is secret.' })
  secret!: boolean;
}

@ObjectType({ description: 'Access to an app given to a team besides its owner (tsuru grant).' })
export class AppAccessGrant {
  @Field(() => ID, { description: 'Global ID of the granted team, for revokeAppAccess.' })
  teamId!: string;
  @Field(() => String, { description: 'Slug of the granted team.' })
  teamSlug!: string;
  @Field(() => String, { description: 'Name of the granted team.' })
  teamName!: string;
  @Field(() => DateTime, { description: 'When access was granted.' })
  createdAt!: Date;
}

@ObjectType({ description: 'Unit quota of an app (tsuru app quota).' })
export class AppQuota {
  @Field(() => Int, { description: 'Units in use.' })
  used!: number;
  @Field(() => Int, { nullable: true, description: 'Most units the app may have; null means no limit.' })
  limit!: number | null;
}

@ObjectType({ implements: Node, description: 'One version of an app put live, by a deploy or a rollback.' })
export class Deploy extends Node {
  @Field(() => Int, { description: 'Version number: 1 for the app’s first deploy, then one more for each deploy or rollback.' })
  version!: number;
  @Field(() => String, { nullable: true, description: 'Container image deployed.' })
  image!: string | null;
  @Field(() => String, { nullable: true, description: 'Git commit deployed.' })
  commit!: string | null;
  @Field(() => DeployOrigin, { description: 'Where the code came from.' })
  origin!: DeployOrigin;
  @Field(() => String, { description: 'Message given with the deploy (may be empty).' })
  message!: string;
  @Field(() => DeployStatus, { description: 'Progress.' })
  status!: DeployStatus;
  @Field(() => DateTime, { nullable: true, description: 'When it started.' })
  startedAt!: Date | null;
  @Field(() => DateTime, { nullable: true, description: 'When it finished.' })
  finishedAt!: Date | null;
  @Field(() => DateTime, { description: 'When it was requested.' })
  createdAt!: Date;
}

@ObjectType({ description: 'A platform (language runtime) apps can use.' })
export class Platform {
  @Field(() => String, { description: 'Name, used in createApp.' })
  name!: string;
  @Field(() => String, { description: 'Description.' })
  description!: string;
}

@ObjectType({ description: 'A plan: the size of each unit.' })
export class Plan {
  @Field(() => String, { description: 'Name, used in createApp and updateApp.' })
  name!: string;
  @Field(() => String, { description: 'Description.' })
  description!: string;
  @Field(() => Int, { description: 'Memory per unit, in MB.' })
  memoryMb!: number;
  @Field(() => Int, { description: 'CPU per unit, in thousandths of a core.' })
  cpuMillis!: number;
  @Field(() => Boolean, { description: 'Used when createApp names no plan.' })
  isDefault!: boolean;
}

@ObjectType({ description: 'A pool of nodes apps can run on.' })
export class Pool {
  @Field(() => String, { description: 'Name, used in createApp and updateApp.' })
  name!: string;
  @Field(() => String, { description: 'Description.' })
  description!: string;
  @Field(() => Boolean, { description: 'Used when createApp names no pool.' })
  isDefault!: boolean;
}

export type PlatformRow = typeof platforms.$inferSelect;
export type PlanRow = typeof plans.$inferSelect;
export type PoolRow = typeof pools.$inferSelect;

export const AppConnection = connectionType(App, 'App', 'apps');
export const DeployConnection = connectionType(Deploy, 'Deploy', 'deploys');

export enum AppOrderField {
  NAME = 'NAME',
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(AppOrderField, {
  name: 'AppOrderField',
  description: 'Fields apps can be ordered by.',
  valuesConfig: { NAME: { description: 'By name.' }, CREATED_AT: { description: 'By creation time.' } },
});
export const AppOrder = orderInput(AppOrderField, 'App', 'apps');

@InputType({ description: 'Narrows a list of apps (tsuru’s app filters).' })
export class AppFilter {
  @Field(() => String, { nullable: true, description: 'Apps whose name contains this text.' })
  name?: string | null;
  @Field(() => String, { nullable: true, description: 'Apps owned by the team with this slug.' })
  teamSlug?: string | null;
  @Field(() => String, { nullable: true, description: 'Apps on this platform.' })
  platform?: string | null;
  @Field(() => String, { nullable: true, description: 'Apps in this pool.' })
  pool?: string | null;
  @Field(() => AppState, { nullable: true, description: 'Apps in this state.' })
  state?: AppState | null;
  @Field(() => String, { nullable: true, description: 'Apps carrying this tag.' })
  tag?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Only locked (true) or unlocked (false) apps.' })
  locked?: boolean | null;
}

@ArgsType()
export class AppConnectionArgs extends ConnectionArgs {
  @Field(() => AppOrder, { nullable: true, description: 'Order of the apps; by name by default.' })
  orderBy?: InstanceType<typeof AppOrder> | null;
  @Field(() => AppFilter, { nullable: true, description: 'Only apps matching this filter.' })
  filter?: AppFilter | null;
}

export enum DeployOrderField {
  VERSION = 'VERSION',
}
registerEnumType(DeployOrderField, {
  name: 'DeployOrderField',
  description: 'Fields deploys can be ordered by.',
  valuesConfig: { VERSION: { description: 'By version number (the order they were made in).' } },
});
export const DeployOrder = orderInput(DeployOrderField, 'Deploy', 'deploys');

@ArgsType()
export class DeployConnectionArgs extends ConnectionArgs {
  @Field(() => DeployOrder, { nullable: true, description: 'Order of the deploys; newest (highest version) first by default.' })
  orderBy?: InstanceType<typeof DeployOrder> | null;
}
