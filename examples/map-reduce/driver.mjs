import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { randomUUID } from "node:crypto";
import { keys, LIMITS, topWords } from "./word-count.mjs";
import { bucketFromEnvironment, CALL_TIMEOUT_MS, checkIndex, fanOut, s3 } from "./storage.mjs";

// INIT: where the data and the workers are, from the stack (the function's presets).
const bucket = bucketFromEnvironment();
const functions = { mapper: process.env.FUNCTION_MAP_REDUCE_MAPPER, reducer: process.env.FUNCTION_MAP_REDUCE_REDUCER };
if (!functions.mapper || !functions.reducer)
  throw new Error(
    "FUNCTION_MAP_REDUCE_MAPPER and FUNCTION_MAP_REDUCE_REDUCER are not set: the stack sets them from the driver's invoke preset",
  );
const lambda = new LambdaClient({ maxAttempts: 3 });
/** At most this many workers at once, so a large input does not take the account's concurrency. */
export const FAN_OUT = 10;

/** Invokes `functionName` with `payload` and returns its result; a function error fails the job with its message. */
async function invoke(functionName, payload, timeoutMs) {
  const response = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(payload) }), {
    abortSignal: AbortSignal.timeout(timeoutMs),
  });
  const result = JSON.parse(Buffer.from(response.Payload ?? []).toString("utf8") || "null");
  if (response.FunctionError) throw new Error(`${functionName} failed: ${result?.errorMessage ?? response.FunctionError}`);
  return result;
}

/** {reducers?: 1-64, inputPrefix?: "input/..."}: word count over the input objects, mappers then reducers; the totals go to output/<jobId>/. */
export async function handler(event, context) {
  const reducers = event?.reducers === undefined ? 2 : checkIndex(event.reducers, LIMITS.maxReducers + 1, "reducers");
  if (reducers < 1) throw new Error("reducers must be at least 1");
  const inputPrefix = event?.inputPrefix ?? "input/";
  if (typeof inputPrefix !== "string" || !/^input\/[\w\-./]{0,200}$/.test(inputPrefix))
    throw new Error('inputPrefix must be a prefix under "input/"');
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: inputPrefix, MaxKeys: LIMITS.maxInputs }), {
    abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  if (listed.IsTruncated) throw new Error(`more than ${LIMITS.maxInputs} objects under ${inputPrefix}: split the job`);
  const inputs = (listed.Contents ?? []).map((object) => object.Key).filter((key) => key && !key.endsWith("/"));
  if (inputs.length === 0) {
    // Not AWS's S3 (npm run dev's): its buckets are folders, which its banner names.
    const elsewhere = process.env.AWS_ENDPOINT_URL_S3;
    throw new Error(
      `no input objects under s3://${bucket}/${inputPrefix}${elsewhere ? ` at ${elsewhere} (npm run dev keeps bucket ${bucket} in the folder its banner names for it)` : ""}`,
    );
  }
  const jobId = `${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  // Each worker call must end before this function does.
  const timeoutMs = () => Math.max(1000, (context?.getRemainingTimeInMillis?.() ?? 60_000) - 2000);
  await fanOut(inputs, FAN_OUT, (inputKey, mapper) => invoke(functions.mapper, { jobId, mapper, inputKey, reducers }, timeoutMs()));
  const reduced = await fanOut(
    Array.from({ length: reducers }, (_, reducer) => reducer),
    FAN_OUT,
    (reducer) => invoke(functions.reducer, { jobId, reducer, mappers: inputs.length }, timeoutMs()),
  );
  const totals = new Map(reduced.flatMap((part) => part.top.map(({ word, count }) => [word, count])));
  return {
    jobId,
    inputs: inputs.length,
    reducers,
    outputs: reduced.map((_, reducer) => `s3://${bucket}/${keys.output(jobId, reducer)}`),
    words: reduced.reduce((sum, part) => sum + part.words, 0),
    top: topWords(totals, 10),
  };
}
