/** `items` in consecutive parts of at most `size` each; no parts when there are no items. */
export const chunked = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));
