import { keys, LIMITS, reduceCounts, topWords } from "./word-count.mjs";
import { bucketFromEnvironment, checkIndex, fanOut, JOB_ID, readText, writeJson } from "./storage.mjs";

const bucket = bucketFromEnvironment();

/** {jobId, reducer, mappers}: sums partition `reducer` of every mapper and writes the result. */
export async function handler(event) {
  const { jobId } = event ?? {};
  if (typeof jobId !== "string" || !JOB_ID.test(jobId)) throw new Error("jobId must be 1 to 64 letters, digits, _ or -");
  const reducer = checkIndex(event.reducer, LIMITS.maxReducers, "reducer");
  const mappers = checkIndex(event.mappers, LIMITS.maxInputs + 1, "mappers");
  // At most 16 reads at once: S3 and the function's sockets are not flooded by a thousand mappers' partitions.
  const partitions = await fanOut(
    Array.from({ length: mappers }, (_, mapper) => mapper),
    16,
    async (mapper) => JSON.parse(await readText(bucket, keys.intermediate(jobId, mapper, reducer), LIMITS.maxInputBytes)),
  );
  const totals = reduceCounts(partitions);
  await writeJson(bucket, keys.output(jobId, reducer), Object.fromEntries(totals));
  return { jobId, reducer, words: totals.size, top: topWords(totals, 10) };
}
