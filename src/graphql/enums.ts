import { registerEnumType } from 'type-graphql';

/** Enums shared by several modules. */
export enum TeamRole {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  MEMBER = 'MEMBER',
  VIEWER = 'VIEWER',
}
registerEnumType(TeamRole, {
  name: 'TeamRole',
  description: 'Built-in roles of a team member, from most to least powerful.',
  valuesConfig: {
    OWNER: { description: 'Everything ADMIN may do, plus deleting the team and transferring ownership. Exactly one per team.' },
    ADMIN: { description: 'Everything MEMBER may do, plus deleting resources, managing members and IAM.' },
    MEMBER: { description: 'Everything VIEWER may do, plus creating, updating and deploying resources and reading secret values.' },
    VIEWER: { description: 'Reads everything in the team except secret values.' },
  },
});

export enum PlatformRole {
  USER = 'USER',
  ADMIN = 'ADMIN',
}
registerEnumType(PlatformRole, {
  name: 'PlatformRole',
  description: 'A user’s role on the whole platform.',
  valuesConfig: {
    USER: { description: 'An ordinary user: may do what their teams and grants allow.' },
    ADMIN: { description: 'A platform administrator: holds every permission everywhere.' },
  },
});

export enum UserStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
}
registerEnumType(UserStatus, {
  name: 'UserStatus',
  description: 'Whether a user may sign in.',
  valuesConfig: {
    ACTIVE: { description: 'The user may sign in and use the API.' },
    SUSPENDED: { description: 'Suspended by a platform admin: every session and token is refused.' },
  },
});
