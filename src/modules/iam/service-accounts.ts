import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { isUniqueViolation } from '../../db/errors.js';
import { serviceAccounts } from '../../db/schema/index.js';
import type { Context, ServiceAccountRow } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { fields, parseInput } from '../../graphql/validation.js';
import { audited } from '../events/audit.js';
import { guarded } from '../../iam/guard.js';
import { serviceAccountById } from './loaders.js';

const name = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9-]{2,39}$/, { error: 'must be 3–40 lowercase letters, digits or hyphens, starting with a letter' });

const createSchema = z.object({ name, description: fields.personName(1000).default('') });
const updateSchema = z.object({ name: name.optional(), description: fields.personName(1000).optional() });

const taken = (value: string) => userError('name', UserErrorCode.TAKEN, `The team already has a service account named ${value}.`);

export async function createServiceAccount(
  ctx: Context,
  teamId: string,
  rawInput: unknown,
): Promise<{ serviceAccount: ServiceAccountRow }> {
  const input = parseInput(createSchema, rawInput);
  try {
    return await audited(ctx, 'team.serviceAccount.create', async (tx) => {
      const [serviceAccount] = await tx
        .insert(serviceAccounts)
        .values({ ...input, teamId, createdById: ctx.viewer!.user?.id ?? null })
        .onConflictDoNothing()
        .returning();
      if (!serviceAccount) throw taken(input.name);
      return {
        result: { serviceAccount },
        target: { type: 'ServiceAccount', id: serviceAccount.id },
        teamId,
        data: { name: serviceAccount.name },
      };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'service_accounts_team_name_key')) throw taken(input.name);
    throw error;
  }
}

export async function updateServiceAccount(ctx: Context, id: string, rawInput: unknown): Promise<{ serviceAccount: ServiceAccountRow }> {
  const input = parseInput(updateSchema, rawInput);
  const account = await guarded(ctx.loaders.get(serviceAccountById).load(id), 'Service account');
  try {
    return await audited(ctx, 'team.serviceAccount.update', async (tx) => {
      const [serviceAccount] = await tx
        .update(serviceAccounts)
        .set({ ...input, updatedAt: new Date() })
        .where(eq(serviceAccounts.id, id))
        .returning();
      if (!serviceAccount) throw notFound('Service account');
      return { result: { serviceAccount }, target: { type: 'ServiceAccount', id }, teamId: account.teamId, data: { changed: input } };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'service_accounts_team_name_key')) throw taken(input.name!);
    throw error;
  }
}

/** Deletes a service account with its tokens, bindings and ACL entries (they cascade in the same statement). */
export async function deleteServiceAccount(ctx: Context, id: string): Promise<{ serviceAccount: ServiceAccountRow }> {
  const account = await guarded(ctx.loaders.get(serviceAccountById).load(id), 'Service account');
  return audited(ctx, 'team.serviceAccount.delete', async (tx) => {
    const [deleted] = await tx.delete(serviceAccounts).where(eq(serviceAccounts.id, id)).returning();
    if (!deleted) throw notFound('Service account');
    return {
      result: { serviceAccount: deleted },
      target: { type: 'ServiceAccount', id },
      teamId: account.teamId,
      data: { name: deleted.name },
    };
  });
}
