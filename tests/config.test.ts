import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

/** The ConfigError loadConfig throws for `env`; fails the test when it throws nothing or something else. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** The variable names a ConfigError message lists, one per line ("  NAME: reason"). */
function namedVariables(error: ConfigError): string[] {
  return [...error.message.matchAll(/^ {2}([A-Z_]+): /gm)].map((m) => m[1]);
}

describe('loadConfig defaults', () => {
  it('gives documented defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      databasePoolMax: 10,
      pgliteDir: './.data/pglite',
      demoData: undefined,
      logLevel: 'info',
      sessionTtlSeconds: 30 * 24 * 3600,
      invitationTtlSeconds: 7 * 24 * 3600,
      passwordResetTtlSeconds: 3600,
      loginMaxFailures: 5,
      loginFailureWindowSeconds: 15 * 60,
      mailMaxPerRecipient: 10,
      mailMaxPerSender: 100,
      mailRateWindowSeconds: 3600,
      admin: undefined,
      exposeSqlStats: false,
      graphqlJit: true,
      maxQueryDepth: 12,
      maxQueryNodes: 100_000,
      maxQueryFields: 500,
      production: false,
      introspection: true,
      emailVerificationTtlSeconds: 3 * 24 * 3600,
      provisionerStepMs: 1000,
      operationWorkers: 4,
      operationLeaseSeconds: 30,
    });
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '', DEMO_DATA: '', ADMIN_EMAIL: '', ADMIN_PASSWORD: '' });
    expect(config.port).toBe(4000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.demoData).toBeUndefined();
    expect(config.admin).toBeUndefined();
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ HOME: '/root', PATH: '/usr/bin', SOMETHING_ELSE: 'x' })).toEqual(loadConfig({}));
  });
});

describe('loadConfig valid values', () => {
  it('parses every setting', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://app@db.internal:5432/graphplane',
      DATABASE_POOL_MAX: '25',
      PGLITE_DIR: '/var/lib/graphplane',
      DEMO_DATA: 'false',
      LOG_LEVEL: 'debug',
      SESSION_TTL_SECONDS: '60',
      INVITATION_TTL_SECONDS: '120',
      PASSWORD_RESET_TTL_SECONDS: '180',
      LOGIN_MAX_FAILURES: '3',
      LOGIN_FAILURE_WINDOW_SECONDS: '30',
      MAIL_MAX_PER_RECIPIENT: '2',
      MAIL_MAX_PER_SENDER: '7',
      MAIL_RATE_WINDOW_SECONDS: '60',
      ADMIN_EMAIL: 'ops@example.com',
      ADMIN_PASSWORD: 'a-long-enough-password',
      EXPOSE_SQL_STATS: 'true',
      GRAPHQL_JIT: 'false',
      MAX_QUERY_DEPTH: '8',
      MAX_QUERY_NODES: '5000',
      MAX_QUERY_FIELDS: '200',
      NODE_ENV: 'production',
      INTROSPECTION: 'false',
      EMAIL_VERIFICATION_TTL_SECONDS: '240',
      HOST: '0.0.0.0',
      PROVISIONER_STEP_MS: '0',
      OPERATION_WORKERS: '0',
      OPERATION_LEASE_SECONDS: '5',
    });
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://app@db.internal:5432/graphplane',
      databasePoolMax: 25,
      pgliteDir: '/var/lib/graphplane',
      demoData: false,
      logLevel: 'debug',
      sessionTtlSeconds: 60,
      invitationTtlSeconds: 120,
      passwordResetTtlSeconds: 180,
      loginMaxFailures: 3,
      loginFailureWindowSeconds: 30,
      mailMaxPerRecipient: 2,
      mailMaxPerSender: 7,
      mailRateWindowSeconds: 60,
      admin: { email: 'ops@example.com', password: 'a-long-enough-password' },
      exposeSqlStats: true,
      graphqlJit: false,
      maxQueryDepth: 8,
      maxQueryNodes: 5000,
      maxQueryFields: 200,
      production: true,
      introspection: false,
      emailVerificationTtlSeconds: 240,
      provisionerStepMs: 0,
      operationWorkers: 0,
      operationLeaseSeconds: 5,
    });
  });

  it('reads DEMO_DATA flags in their usual spellings', () => {
    for (const on of ['1', 'true', 'yes', 'on']) expect(loadConfig({ DEMO_DATA: on }).demoData).toBe(true);
    for (const off of ['0', 'false', 'no', 'off']) expect(loadConfig({ DEMO_DATA: off }).demoData).toBe(false);
  });

  it('keeps introspection on in production unless INTROSPECTION turns it off (item 17)', () => {
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({ production: true, introspection: true });
    expect(loadConfig({ NODE_ENV: 'development' })).toMatchObject({ production: false, introspection: true });
    expect(loadConfig({ NODE_ENV: 'production', INTROSPECTION: 'off' })).toMatchObject({ production: true, introspection: false });
  });

  it('accepts postgresql:// URLs and the port bounds', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://root@127.0.0.1/postgres' }).databaseUrl).toBe('postgresql://root@127.0.0.1/postgres');
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
  });
});

describe('loadConfig refuses bad values, naming the variable', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['PORT is not a number', { PORT: 'abc' }, 'PORT'],
    ['PORT is out of range', { PORT: '70000' }, 'PORT'],
    ['PORT is negative', { PORT: '-1' }, 'PORT'],
    ['PORT is fractional', { PORT: '80.5' }, 'PORT'],
    ['DATABASE_URL is not postgres', { DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    ['DEMO_DATA is not a flag', { DEMO_DATA: 'maybe' }, 'DEMO_DATA'],
    ['LOG_LEVEL is unknown', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    ['INTROSPECTION is not a flag', { INTROSPECTION: 'never' }, 'INTROSPECTION'],
    ['MAX_QUERY_FIELDS is too small', { MAX_QUERY_FIELDS: '10' }, 'MAX_QUERY_FIELDS'],
    ['SESSION_TTL_SECONDS is not a number', { SESSION_TTL_SECONDS: 'soon' }, 'SESSION_TTL_SECONDS'],
    ['SESSION_TTL_SECONDS is zero', { SESSION_TTL_SECONDS: '0' }, 'SESSION_TTL_SECONDS'],
    ['INVITATION_TTL_SECONDS is fractional', { INVITATION_TTL_SECONDS: '1.5' }, 'INVITATION_TTL_SECONDS'],
    ['MAIL_MAX_PER_RECIPIENT is zero', { MAIL_MAX_PER_RECIPIENT: '0' }, 'MAIL_MAX_PER_RECIPIENT'],
    ['MAIL_MAX_PER_SENDER is not a number', { MAIL_MAX_PER_SENDER: 'many' }, 'MAIL_MAX_PER_SENDER'],
    ['MAIL_RATE_WINDOW_SECONDS is zero', { MAIL_RATE_WINDOW_SECONDS: '0' }, 'MAIL_RATE_WINDOW_SECONDS'],
    ['ADMIN_EMAIL is not an email', { ADMIN_EMAIL: 'not-an-email', ADMIN_PASSWORD: 'a-long-enough-password' }, 'ADMIN_EMAIL'],
    ['ADMIN_EMAIL is set without ADMIN_PASSWORD', { ADMIN_EMAIL: 'ops@example.com' }, 'ADMIN_PASSWORD'],
    ['ADMIN_PASSWORD is short', { ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD'],
  ];
  for (const [name, env, variable] of cases) {
    it(`when ${name}`, () => {
      const error = configError(env);
      expect(namedVariables(error)).toEqual([variable]);
      expect(error.message).toMatch(/^Invalid configuration:\n/);
    });
  }

  it('says what is expected', () => {
    expect(configError({ PORT: '70000' }).message).toContain('PORT: must be a port number (0-65535)');
    expect(configError({ DATABASE_URL: 'mysql://x' }).message).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
    expect(configError({ DEMO_DATA: 'maybe' }).message).toContain('DEMO_DATA: must be one of true, false, 1, 0, yes, no, on, off');
    expect(configError({ PROVISIONER_STEP_MS: '-1' }).message).toContain('PROVISIONER_STEP_MS: must be 0 or more milliseconds');
    expect(configError({ PROVISIONER_STEP_MS: 'soon' }).message).toContain('PROVISIONER_STEP_MS: must be a whole number of milliseconds');
    expect(configError({ MAIL_MAX_PER_RECIPIENT: '0' }).message).toContain('MAIL_MAX_PER_RECIPIENT: must be 1 or more');
    expect(configError({ OPERATION_WORKERS: '65' }).message).toContain('OPERATION_WORKERS: must be at most 64');
    expect(configError({ OPERATION_LEASE_SECONDS: '0' }).message).toContain(
      'OPERATION_LEASE_SECONDS: must be a positive number of seconds',
    );
    expect(configError({ ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'short' }).message).toContain(
      'ADMIN_PASSWORD: must be at least 10 characters',
    );
    expect(configError({ ADMIN_EMAIL: 'ops@example.com' }).message).toContain('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  });

  it('refuses ADMIN_PASSWORD without ADMIN_EMAIL too', () => {
    expect(namedVariables(configError({ ADMIN_PASSWORD: 'a-long-enough-password' }))).toEqual(['ADMIN_PASSWORD']);
  });

  it('names every bad variable at once', () => {
    const error = configError({ PORT: 'abc', DATABASE_URL: 'mysql://x', DEMO_DATA: 'maybe' });
    expect(namedVariables(error).sort()).toEqual(['DATABASE_URL', 'DEMO_DATA', 'PORT']);
  });

  it('is a ConfigError, an Error', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(configError({ PORT: 'abc' })).toBeInstanceOf(Error);
  });
});
