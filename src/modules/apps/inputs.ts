import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Payload } from '../../graphql/user-errors.js';
import { Operation } from '../operations/types.js';
import { App, Deploy } from './types.js';

@InputType({ description: 'A new app.' })
export class CreateAppInput {
  @Field(() => ID, { description: 'The team that owns the app (you need app:create there).' })
  teamId!: string;
  @Field(() => String, { description: 'Unique name: a lowercase letter, then up to 39 lowercase letters, digits or hyphens.' })
  name!: string;
  @Field(() => String, { description: 'Platform name, from `platforms`.' })
  platform!: string;
  @Field(() => String, { nullable: true, description: 'Plan name, from `plans`; the default plan when omitted.' })
  plan?: string | null;
  @Field(() => String, { nullable: true, description: 'Pool name, from `pools`; the default pool when omitted.' })
  pool?: string | null;
  @Field(() => String, { nullable: true, description: 'Description, up to 1000 characters.' })
  description?: string | null;
  @Field(() => [String], { nullable: true, description: 'Up to 20 tags.' })
  tags?: string[] | null;
  @Field(() => ID, { nullable: true, description: 'Place the app on this cluster of its team (see Team.clusters).' })
  clusterId?: string | null;
}

@InputType({ description: 'Changes to an app; omitted fields stay as they are.' })
export class UpdateAppInput {
  @Field(() => ID, { description: 'The app.' })
  appId!: string;
  @Field(() => String, { nullable: true, description: 'New description.' })
  description?: string | null;
  @Field(() => String, { nullable: true, description: 'New plan name.' })
  plan?: string | null;
  @Field(() => String, { nullable: true, description: 'New pool name.' })
  pool?: string | null;
  @Field(() => [String], { nullable: true, description: 'New tags (replace the old ones).' })
  tags?: string[] | null;
  @Field(() => Boolean, { nullable: true, description: 'Lock or unlock the app.' })
  locked?: boolean | null;
  @Field(() => ID, { nullable: true, description: 'Move the app to this team (you need app:create there).' })
  teamId?: string | null;
  @Field(() => ID, {
    nullable: true,
    description: 'Place the app on this cluster of its team (of the new team when moving it); null takes it off its cluster.',
  })
  clusterId?: string | null;
}

@InputType({ description: 'The app to delete.' })
export class DeleteAppInput {
  @Field(() => ID, { description: 'The app; it must not be locked.' })
  appId!: string;
}

function lifecycleInput(name: string, verb: string) {
  @InputType(name, { description: `The app (or one of its processes) to ${verb}.` })
  class LifecycleInput {
    @Field(() => ID, { description: 'The app.' })
    appId!: string;
    @Field(() => String, { nullable: true, description: `Only this process; the whole app when omitted.` })
    process?: string | null;
  }
  return LifecycleInput;
}
export const StartAppInput = lifecycleInput('StartAppInput', 'start');
export const StopAppInput = lifecycleInput('StopAppInput', 'stop');
export const RestartAppInput = lifecycleInput('RestartAppInput', 'restart');
export const SleepAppInput = lifecycleInput('SleepAppInput', 'put to sleep');

function unitsInput(name: string, verb: string) {
  @InputType(name, { description: `Units to ${verb}.` })
  class UnitsInput {
    @Field(() => ID, { description: 'The app.' })
    appId!: string;
    @Field(() => String, { description: 'The process, e.g. web.' })
    process!: string;
    @Field(() => Int, { description: 'How many units, 1 to 100.' })
    count!: number;
  }
  return UnitsInput;
}
export const AddUnitsInput = unitsInput('AddUnitsInput', 'add (within the app’s unit limit)');
export const RemoveUnitsInput = unitsInput('RemoveUnitsInput', 'remove (the newest first)');

@InputType({ description: 'An environment variable to set.' })
export class EnvVarInput {
  @Field(() => String, { description: 'POSIX name, up to 128 characters.' })
  name!: string;
  @Field(() => String, { description: 'Value, up to 4096 characters.' })
  value!: string;
  @Field(() => Boolean, { nullable: true, description: 'Hide the value from those without app:env:read-secrets; false when omitted.' })
  secret?: boolean | null;
}

@InputType({ description: 'Environment variables to set (created or replaced).' })
export class SetEnvInput {
  @Field(() => ID, { description: 'The app.' })
  appId!: string;
  @Field(() => [EnvVarInput], { description: '1 to 100 variables.' })
  variables!: EnvVarInput[];
  @Field(() => Boolean, { nullable: true, description: 'Do not restart the running units; the change applies at the next restart.' })
  noRestart?: boolean | null;
}

@InputType({ description: 'Environment variables to remove.' })
export class UnsetEnvInput {
  @Field(() => ID, { description: 'The app.' })
  appId!: string;
  @Field(() => [String], { description: '1 to 100 names; names that are not set are ignored.' })
  names!: string[];
  @Field(() => Boolean, { nullable: true, description: 'Do not restart the running units.' })
  noRestart?: boolean | null;
}

function cnameInput(name: string, verb: string) {
  @InputType(name, { description: `A cname to ${verb}.` })
  class CnameInput {
    @Field(() => ID, { description: 'The app.' })
    appId!: string;
    @Field(() => String, { description: 'The hostname, e.g. www.example.com (unique on the platform).' })
    cname!: string;
  }
  return CnameInput;
}
export const AddCnameInput = cnameInput('AddCnameInput', 'add');
export const RemoveCnameInput = cnameInput('RemoveCnameInput', 'remove');

function accessInput(name: string, verb: string) {
  @InputType(name, { description: `The team to ${verb}.` })
  class AccessInput {
    @Field(() => ID, { description: 'The app.' })
    appId!: string;
    @Field(() => ID, { description: 'The team.' })
    teamId!: string;
  }
  return AccessInput;
}
export const GrantAppAccessInput = accessInput('GrantAppAccessInput', 'give access to the app');
export const RevokeAppAccessInput = accessInput('RevokeAppAccessInput', 'take access to the app from');

@InputType({ description: 'What to deploy: an image or a commit.' })
export class DeployAppInput {
  @Field(() => ID, { description: 'The app.' })
  appId!: string;
  @Field(() => String, { nullable: true, description: 'A container image, e.g. registry.example.com/web:1.4.2.' })
  image?: string | null;
  @Field(() => String, { nullable: true, description: 'A git commit hash (7 to 40 hex digits).' })
  commit?: string | null;
  @Field(() => String, { nullable: true, description: 'A message for the deploy history.' })
  message?: string | null;
}

@InputType({ description: 'The version to roll back to.' })
export class RollbackAppInput {
  @Field(() => ID, { description: 'The app.' })
  appId!: string;
  @Field(() => Int, { description: 'An earlier version that went live (see App.deploys).' })
  version!: number;
}

@InputType({ description: 'An app’s unit quota.' })
export class SetAppQuotaInput {
  @Field(() => ID, { description: 'The app.' })
  appId!: string;
  @Field(() => Int, { nullable: true, description: 'The most units the app may have; null for no limit.' })
  unitLimit?: number | null;
}

@ObjectType({ description: 'Result of a mutation that changes an app.' })
export class AppPayload extends Payload {
  @Field(() => App, { nullable: true, description: 'The app.' })
  app?: App | null;
}

@ObjectType({ description: 'Result of deleteApp.' })
export class DeleteAppPayload extends Payload {
  @Field(() => ID, { nullable: true, description: 'The ID of the deleted app.' })
  deletedAppId?: string | null;
}

@ObjectType({ description: 'Result of deployApp or rollbackApp.' })
export class DeployPayload extends Payload {
  @Field(() => Deploy, { nullable: true, description: 'The new deploy.' })
  deploy?: Deploy | null;
  @Field(() => App, { nullable: true, description: 'The app.' })
  app?: App | null;
  @Field(() => Operation, {
    nullable: true,
    description: 'The operation that builds and releases the deploy; the deploy is SUCCEEDED when it is DONE.',
  })
  operation?: Operation | null;
}
