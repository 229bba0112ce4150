import { createHash, randomBytes } from 'node:crypto';

/** Kinds of bearer secrets, told apart by their prefix so one lookup finds the right table. */
export const SECRET_PREFIX = {
  session: 'gps_',
  apiToken: 'gpat_',
  invitation: 'gpi_',
  passwordReset: 'gpr_',
  emailVerification: 'gpv_',
} as const;

export type SecretKind = keyof typeof SECRET_PREFIX;

export function newSecret(kind: SecretKind): string {
  return SECRET_PREFIX[kind] + randomBytes(32).toString('base64url');
}

/** Secrets are stored only as this hash; they are random, so a fast hash is enough. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The part of an API token shown in lists, so people can tell tokens apart. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, SECRET_PREFIX.apiToken.length + 6);
}

export function secretKind(secret: string): SecretKind | null {
  for (const [kind, prefix] of Object.entries(SECRET_PREFIX)) if (secret.startsWith(prefix)) return kind as SecretKind;
  return null;
}
