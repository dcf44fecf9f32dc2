// The map-reduce of seed 003 (vSwarm's map-reduce benchmark): word count over the objects of an S3
// prefix. Plain functions, no AWS: map one text to its counts, shuffle them into one partition per
// reducer, reduce the partitions a reducer is given.

/** Bounds that keep one invocation inside Lambda's limits (6 MB payloads, the function's memory). */
export const LIMITS = { maxInputBytes: 50 * 1024 * 1024, maxWordLength: 100, maxReducers: 64, maxInputs: 1000 };

/** A text's words (letters and digits, lower-cased, at most maxWordLength each) and how often each occurs. */
export function mapWords(text) {
  const counts = new Map();
  for (const match of String(text)
    .toLowerCase()
    .matchAll(/[\p{L}\p{N}]+/gu)) {
    const word = match[0].slice(0, LIMITS.maxWordLength);
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** The reducer a word goes to: a stable hash (FNV-1a) modulo the number of reducers. */
export function partitionOf(word, reducers) {
  let hash = 0x811c9dc5;
  for (const unit of new TextEncoder().encode(word)) hash = Math.imul(hash ^ unit, 0x01000193) >>> 0;
  return hash % reducers;
}

/** One plain object of counts per reducer, each word in exactly one. */
export function shuffle(counts, reducers) {
  const partitions = Array.from({ length: reducers }, () => ({}));
  for (const [word, count] of counts) partitions[partitionOf(word, reducers)][word] = count;
  return partitions;
}

/** The sum of the partitions' counts; a count that is not a whole number above 0 is a corrupt partition. */
export function reduceCounts(partitions) {
  const totals = new Map();
  for (const partition of partitions) {
    if (partition === null || typeof partition !== "object" || Array.isArray(partition))
      throw new Error(`corrupt partition: ${JSON.stringify(partition)?.slice(0, 40)} is not a map of words to counts`);
    for (const [word, count] of Object.entries(partition)) {
      if (!Number.isSafeInteger(count) || count < 1)
        throw new Error(`corrupt partition: "${word.slice(0, 40)}" has count ${JSON.stringify(count)}`);
      totals.set(word, (totals.get(word) ?? 0) + count);
    }
  }
  return totals;
}

/** The `n` most frequent words, ties in alphabetical order. */
export function topWords(totals, n = 10) {
  return [...totals]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .slice(0, n)
    .map(([word, count]) => ({ word, count }));
}

/** Where a job's objects go: each mapper's partitions, and each reducer's output. */
export const keys = {
  intermediate: (jobId, mapper, reducer) => `intermediate/${jobId}/map-${mapper}/part-${reducer}.json`,
  output: (jobId, reducer) => `output/${jobId}/part-${reducer}.json`,
};
