import { and, eq, inArray, or, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { aclEntries } from '../../db/schema/index.js';
import type { Context, Subject } from '../../graphql/context.js';
import { UserErrorCode, UserErrors, type UserError } from '../../graphql/user-errors.js';
import { grantableAt, isPermission, type Permission } from '../../iam/permissions.js';
import { heldBy, type ResourceKind } from '../../iam/policy.js';
import { audited } from '../events/audit.js';
import { managesIam } from './grants.js';
import { subjectFacts } from './policies.js';
import { RESOURCE_NODE_TYPE, readableResource } from './resources.js';

export type AclEntryRow = typeof aclEntries.$inferSelect;

export interface AclItem {
  permission: string;
  resourceType: ResourceKind;
  resourceId: string;
}

export const MAX_ACL_ITEMS = 100;

const ARTICLES: Record<ResourceKind, string> = { BUCKET: 'a', APP: 'an', CLUSTER: 'a' };

/** SQL condition: the entry is this item's, for the subject. */
const entryFor = (subject: Subject, item: AclItem): SQL =>
  and(
    heldBy(aclEntries, subject),
    eq(aclEntries.resourceType, item.resourceType),
    eq(aclEntries.resourceId, item.resourceId),
    eq(aclEntries.permission, item.permission),
  )!;

function checkCount(items: AclItem[]): void {
  if (items.length < 1 || items.length > MAX_ACL_ITEMS)
    throw new UserErrors([
      {
        field: ['input', 'items'],
        code: UserErrorCode.INVALID,
        message: `items must hold 1 to ${MAX_ACL_ITEMS} entries; it holds ${items.length}.`,
      },
    ]);
}

/**
 * Checks every item and collects one userError per bad one (its index in `field`): the resource
 * must be readable, the permission must apply to it, the caller must hold iam:manage in its team
 * and, when granting, the permission itself on it (no escalation).
 */
async function checkItems(
  ctx: Context,
  subject: Subject,
  items: AclItem[],
  granting: boolean,
): Promise<{ teamIds: string[]; errors: UserError[] }> {
  const facts = await subjectFacts(ctx.db, subject);
  const errors: UserError[] = [];
  const teamIds: string[] = [];
  const seen = new Map<string, number>();
  const resources = await Promise.all(items.map((item) => readableResource(ctx, item.resourceType, item.resourceId)));
  const checks = await Promise.all(
    resources.map(async (resource, i) =>
      resource
        ? {
            manage: await managesIam(ctx, resource.teamId, 'You need the iam:manage permission in the resource’s team to grant it.'),
            held: await ctx.policy.resourcePermissions(items[i].resourceType, resource),
          }
        : null,
    ),
  );
  items.forEach((item, i) => {
    const fail = (code: UserErrorCode, message: string, field = 'permission') =>
      errors.push({ field: ['input', 'items', String(i), field], code, message: `items[${i}]: ${message}` });
    const resource = resources[i];
    const kind = RESOURCE_NODE_TYPE[item.resourceType].toLowerCase();
    const key = `${item.resourceType}/${item.resourceId}/${item.permission}`;
    if (seen.has(key)) return fail(UserErrorCode.INVALID, `repeats items[${seen.get(key)}].`);
    seen.set(key, i);
    if (!isPermission(item.permission))
      return fail(UserErrorCode.INVALID, `${item.permission} is not a permission; see the permissions query.`);
    if (!grantableAt(item.permission, item.resourceType))
      return fail(
        UserErrorCode.INVALID,
        `${item.permission} cannot be granted on ${ARTICLES[item.resourceType]} ${kind}; use ${ARTICLES[item.resourceType]} ${kind}: permission other than ${kind}:create.`,
      );
    if (!resource) return fail(UserErrorCode.INVALID, `no such ${kind}, or you cannot see it.`, 'resourceId');
    teamIds.push(resource.teamId);
    if (subject.type === 'SERVICE_ACCOUNT' && facts.teamId !== resource.teamId)
      return fail(UserErrorCode.INVALID, `a service account can only be granted its own team’s resources.`, 'resourceId');
    if (!checks[i]!.manage) return fail(UserErrorCode.NOT_ALLOWED, `you need iam:manage in the ${kind}’s team.`, 'resourceId');
    if (granting && !checks[i]!.held.has(item.permission as Permission))
      return fail(UserErrorCode.NOT_ALLOWED, `you cannot grant ${item.permission}: you do not hold it on this ${kind}.`);
  });
  return { teamIds, errors };
}

/** Grants every item, or none (Numspot create ACLs): one userError per bad or existing item. */
export async function createAclEntries(ctx: Context, subject: Subject, items: AclItem[]): Promise<{ aclEntries: AclEntryRow[] }> {
  checkCount(items);
  const { teamIds, errors } = await checkItems(ctx, subject, items, true);
  if (errors.length) throw new UserErrors(errors);
  try {
    return await grantItems(ctx, subject, items, teamIds);
  } catch (error) {
    // Another request granted one of them meanwhile.
    if (isUniqueViolation(error, 'acl_entries_grant_key'))
      throw new UserErrors([
        {
          field: ['input', 'items'],
          code: UserErrorCode.ALREADY_EXISTS,
          message: 'One of the entries was granted meanwhile; read aclEntries and try again.',
        },
      ]);
    throw error;
  }
}

function grantItems(ctx: Context, subject: Subject, items: AclItem[], teamIds: string[]) {
  return audited(ctx, 'iam.acl.create', async (tx) => {
    await ctx.policy.stillHolds(tx);
    const existing = await existingEntries(tx, subject, items);
    const taken = items.flatMap((item, i) =>
      existing[i]
        ? [
            {
              field: ['input', 'items', String(i)],
              code: UserErrorCode.ALREADY_EXISTS,
              message: `items[${i}]: the subject already holds ${item.permission} there.`,
            },
          ]
        : [],
    );
    if (taken.length) throw new UserErrors(taken);
    const rows = await tx
      .insert(aclEntries)
      .values(
        items.map((item, i) => ({
          ...item,
          teamId: teamIds[i],
          userId: subject.type === 'USER' ? subject.id : null,
          serviceAccountId: subject.type === 'SERVICE_ACCOUNT' ? subject.id : null,
          createdById: ctx.viewer!.user?.id ?? null,
        })),
      )
      .returning();
    return auditRecord(subject, rows, items);
  });
}

/** Takes every item away, or none: one userError per item that is not an entry of the subject. */
export async function deleteAclEntries(ctx: Context, subject: Subject, items: AclItem[]): Promise<{ aclEntries: AclEntryRow[] }> {
  checkCount(items);
  const { errors } = await checkItems(ctx, subject, items, false);
  if (errors.length) throw new UserErrors(errors);
  return audited(ctx, 'iam.acl.delete', async (tx) => {
    const existing = await existingEntries(tx, subject, items);
    const missing = items.flatMap((item, i) =>
      existing[i]
        ? []
        : [
            {
              field: ['input', 'items', String(i)],
              code: UserErrorCode.INVALID,
              message: `items[${i}]: the subject holds no ${item.permission} entry there.`,
            },
          ],
    );
    if (missing.length) throw new UserErrors(missing);
    const rows = await tx
      .delete(aclEntries)
      .where(
        inArray(
          aclEntries.id,
          existing.map((e) => e!.id),
        ),
      )
      .returning();
    return auditRecord(subject, rows, items);
  });
}

/** The subject's entry for each item, locked, or null. */
async function existingEntries(tx: Executor, subject: Subject, items: AclItem[]): Promise<(AclEntryRow | null)[]> {
  const rows = await tx
    .select()
    .from(aclEntries)
    .where(or(...items.map((item) => entryFor(subject, item))))
    .for('update');
  return items.map(
    (item) =>
      rows.find((r) => r.resourceType === item.resourceType && r.resourceId === item.resourceId && r.permission === item.permission) ??
      null,
  );
}

function auditRecord(subject: Subject, rows: AclEntryRow[], items: AclItem[]) {
  const teams = [...new Set(rows.map((r) => r.teamId))];
  return {
    result: { aclEntries: rows },
    target: { type: subject.type === 'USER' ? 'User' : 'ServiceAccount', id: subject.id },
    // One team when all entries are in one (the usual case), so the team's audit trail shows it.
    teamId: teams.length === 1 ? teams[0] : null,
    data: { items: items.map((i) => `${i.resourceType}:${i.resourceId}:${i.permission}`) },
  };
}
