import { keys, LIMITS, mapWords, shuffle } from "./word-count.mjs";
import { bucketFromEnvironment, checkIndex, JOB_ID, readText, writeJson } from "./storage.mjs";

const bucket = bucketFromEnvironment();

/** {jobId, mapper, inputKey, reducers}: counts the words of one input object, writes one partition per reducer. */
export async function handler(event) {
  const { jobId, inputKey } = event ?? {};
  if (typeof jobId !== "string" || !JOB_ID.test(jobId)) throw new Error("jobId must be 1 to 64 letters, digits, _ or -");
  if (typeof inputKey !== "string" || !inputKey.startsWith("input/") || inputKey.length > 1024)
    throw new Error("inputKey must be a key under input/");
  const mapper = checkIndex(event.mapper, LIMITS.maxInputs, "mapper");
  const reducers = checkIndex(event.reducers, LIMITS.maxReducers + 1, "reducers");
  if (reducers < 1) throw new Error("reducers must be at least 1");
  const partitions = shuffle(mapWords(await readText(bucket, inputKey, LIMITS.maxInputBytes)), reducers);
  await Promise.all(partitions.map((partition, reducer) => writeJson(bucket, keys.intermediate(jobId, mapper, reducer), partition)));
  return { jobId, mapper, words: partitions.reduce((sum, partition) => sum + Object.keys(partition).length, 0) };
}
