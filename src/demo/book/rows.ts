/** Helpers shared by the activity, complaint and spend row generators. */

/**
 * "-a-<n>" style externalId suffixes of one row kind (`a`, `c`, `s`): returns a function
 * of n whose cache is shared across customers (create one per kind, at module level).
 */
export function rowSuffixes(kind: string): (n: number) => string {
  const cache: string[] = [];
  return (n) => {
    const v = cache[n];
    if (v !== undefined) return v;
    for (let i = cache.length; i <= n; i++) cache.push(`-${kind}-${i}`);
    return cache[n] as string;
  };
}

/** Insertion sort by `at` (stable; the lists are short and nearly sorted). */
export function sortByAt<T extends { at: number }>(items: T[]): void {
  for (let i = 1; i < items.length; i++) {
    const item = items[i] as T;
    let j = i - 1;
    while (j >= 0 && (items[j] as T).at > item.at) {
      items[j + 1] = items[j] as T;
      j--;
    }
    items[j + 1] = item;
  }
}
