/** Options of every mutation's single `input` argument. */
export const INPUT_ARG = { description: 'What to do; see the input type for each field.' };

/** The fields a client actually set: GraphQL sends omitted optional inputs as undefined or null. */
export function withoutNulls<T extends object>(input: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined)) as never;
}
