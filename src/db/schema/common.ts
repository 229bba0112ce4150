import { timestamp, uuid } from 'drizzle-orm/pg-core';

/** Columns every row carries: a uuid key and its creation/update times. */
export const rowBase = () => ({
  id: uuid('id').primaryKey().defaultRandom(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date()),
});

// Millisecond precision, like JavaScript's Date: a keyset cursor made from a Date then
// compares exactly with the stored value.
export const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });
