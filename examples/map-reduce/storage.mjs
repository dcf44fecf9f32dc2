// S3 reads and writes of the map-reduce functions, and the event checks they share. The AWS SDK v3 is
// part of the Lambda Node.js runtime, so the image needs no node_modules.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

// INIT: one client per execution environment; retries bounded, each call well inside the function's timeout.
export const s3 = new S3Client({ maxAttempts: 3 });
export const CALL_TIMEOUT_MS = 10_000;

export async function readText(bucket, key, maxBytes) {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  if ((object.ContentLength ?? 0) > maxBytes) throw new Error(`${key} is ${object.ContentLength} bytes; at most ${maxBytes}`);
  return object.Body.transformToString();
}

export async function writeJson(bucket, key, value) {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: "application/json" }), {
    abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
}

/** The bucket the stack names for this function (BUCKET_MAP_DATA, set from its presets). */
export function bucketFromEnvironment() {
  const bucket = process.env.BUCKET_MAP_DATA;
  if (!bucket) throw new Error("BUCKET_MAP_DATA is not set: the stack sets it from the function's s3 presets on the map-data bucket");
  return bucket;
}

/** A job id: what the driver makes, and all a mapper or reducer accepts (it becomes part of object keys). */
export const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function checkIndex(value, below, what) {
  if (!Number.isSafeInteger(value) || value < 0 || value >= below)
    throw new Error(`${what} must be a whole number from 0 to ${below - 1}, got ${JSON.stringify(value)}`);
  return value;
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of the results. */
export async function fanOut(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index], index);
      }
    }),
  );
  return results;
}
