export const NUMBER_FACT_TYPES = ["trivia", "math", "date", "year"] as const;
export type NumberFactType = (typeof NUMBER_FACT_TYPES)[number];

export interface NumberFactRequest {
  number: number;
  type: NumberFactType;
}

export interface NumberFactSource {
  /** Base URL of a numbersapi.com-compatible service, e.g. `http://numbersapi.com`. */
  baseUrl: string;
  /** Give up on the upstream after this long. */
  timeoutMs: number;
}

/** The upstream fact service failed, timed out or answered nonsense; the caller answers 502. */
export class UpstreamError extends Error {
  override readonly name = "UpstreamError";
}

/**
 * Fetches one fact from the numbers API (`GET {baseUrl}/{number}/{type}` answers plain text).
 * Node's built-in fetch keeps connections alive between calls, so a warm Lambda reuses its socket.
 */
export async function fetchNumberFact(request: NumberFactRequest, source: NumberFactSource): Promise<string> {
  const url = `${source.baseUrl.replace(/\/+$/, "")}/${request.number}/${request.type}`;
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, {
      headers: { accept: "text/plain" },
      signal: AbortSignal.timeout(source.timeoutMs),
    });
    body = (await response.text()).trim();
  } catch (error) {
    const reason =
      error instanceof Error && error.name === "TimeoutError"
        ? `no answer within ${source.timeoutMs} ms`
        : `request failed (${error instanceof Error ? error.message : String(error)})`;
    throw new UpstreamError(`Number fact service at ${source.baseUrl}: ${reason}`);
  }
  if (!response.ok) {
    throw new UpstreamError(`Number fact service at ${source.baseUrl} answered HTTP ${response.status}`);
  }
  if (body.length === 0) {
    throw new UpstreamError(`Number fact service at ${source.baseUrl} answered with an empty fact`);
  }
  return body;
}
