// The before-traffic check of a rollout (CodeDeploy's BeforeAllowTraffic hook): which version to try,
// and whether its answer to the function's sample event lets traffic move to it. Plain functions; the
// hook's handler (handlers/pre-traffic.ts) does the calls.
import { describeValue } from "./describe-value";

/** The function and version a Lambda deployment moves its alias to, from the deployment's AppSpec. */
export interface HookTarget {
  functionName: string;
  alias: string;
  targetVersion: string;
}

/**
 * Reads the AppSpec of a Lambda deployment (JSON, as the platform's rollouts write it; CodeDeploy also
 * takes YAML, which this check does not read): its one function resource.
 * https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html
 */
export function hookTargetOf(appSpecContent: string | undefined): HookTarget {
  let appSpec: any;
  try {
    appSpec = JSON.parse(appSpecContent ?? "");
  } catch {
    throw new Error(
      `the deployment's AppSpec is not JSON (${describeValue(appSpecContent?.slice(0, 80))}): this check reads the platform's own rollouts only`,
    );
  }
  const entries: unknown[] = Array.isArray(appSpec?.Resources) ? appSpec.Resources : [];
  const resources = entries.flatMap((entry) => (entry !== null && typeof entry === "object" ? Object.values(entry) : []));
  const functions = resources.filter((resource: any) => resource?.Type === "AWS::Lambda::Function");
  const properties = functions[0]?.Properties;
  if (
    functions.length !== 1 ||
    typeof properties?.Name !== "string" ||
    typeof properties.Alias !== "string" ||
    !/^\d+$/.test(String(properties.TargetVersion))
  )
    throw new Error("the deployment's AppSpec names no single Lambda function with an alias and a published TargetVersion");
  return { functionName: properties.Name, alias: properties.Alias, targetVersion: String(properties.TargetVersion) };
}

/**
 * Bounds of the check's own calls (GetDeployment before the trial, PutLifecycleEventHookExecutionStatus
 * after it): each attempt gives up after 2 s to connect and 4 s to answer; two attempts.
 */
export const CHECK_CALL_LIMITS = { connectionTimeoutMs: 2_000, requestTimeoutMs: 4_000, maxAttempts: 2 } as const;

/** The longest one of those calls takes before it gives up (and a second for the SDK's backoff between attempts). */
export const CHECK_CALL_WORST_MS =
  CHECK_CALL_LIMITS.maxAttempts * (CHECK_CALL_LIMITS.connectionTimeoutMs + CHECK_CALL_LIMITS.requestTimeoutMs) + 1_000;

/** What the new version answered its sample event with. */
export interface TrialAnswer {
  /** Lambda's FunctionError: "Unhandled" when the handler threw or the runtime failed. */
  functionError?: string;
  /** The response payload, as text. */
  payload: string;
}

/**
 * Whether the new version may have traffic: it must answer without a function error, and an HTTP answer
 * (API Gateway's proxy shape) must not be a server error. A 4xx is the handler refusing the sample, which
 * is its job; a 5xx or a throw is the version failing.
 */
export function verdictOf(answer: TrialAnswer): { passed: boolean; reason: string } {
  if (answer.functionError) return { passed: false, reason: `it failed (${answer.functionError}): ${answer.payload.slice(0, 300)}` };
  let body: unknown;
  try {
    body = JSON.parse(answer.payload);
  } catch {
    return { passed: true, reason: "it answered (not JSON)" };
  }
  const status = (body as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number" && status >= 500)
    return { passed: false, reason: `it answered HTTP ${status}: ${answer.payload.slice(0, 300)}` };
  return { passed: true, reason: typeof status === "number" ? `it answered HTTP ${status}` : "it answered" };
}
