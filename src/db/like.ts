const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => '\\' + c);

/** A LIKE pattern matching values that contain `text` literally (its % and _ escaped). */
export function containsPattern(text: string): string {
  return `%${escapeLike(text)}%`;
}

/** A LIKE pattern matching values that start with `text` literally. */
export function prefixPattern(text: string): string {
  return `${escapeLike(text)}%`;
}
