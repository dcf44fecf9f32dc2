// One rollout of a serving function's new version, as `pulumi up` runs it (rollout-resource.ts): a
// CodeDeploy deployment of the live alias from the version it serves to the one just published, waited
// for, then the versions nothing uses removed. Plain functions over the clients they are given.
import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
} from "@aws-sdk/client-codedeploy";
import {
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListAliasesCommand,
  ListVersionsByFunctionCommand,
  type AliasConfiguration,
  type FunctionConfiguration,
} from "@aws-sdk/client-lambda";

/** What one rollout moves, and how long it may take. */
export interface RolloutRequest {
  functionName: string;
  alias: string;
  /** The version `pulumi up` just published. */
  targetVersion: string;
  /** The CodeDeploy application and deployment group that move the alias; without them, Pulumi moved it already. */
  application?: string;
  deploymentGroup?: string;
  /** The function CodeDeploy runs before any traffic moves (BeforeAllowTraffic); a Failed from it rolls back. */
  beforeAllowTraffic?: string;
  /** Longest wait for the deployment (its config's shift time and a margin); past it, the deployment is stopped and rolled back. */
  waitSeconds: number;
  /** Seconds between two looks at the deployment. */
  pollSeconds: number;
}

export interface RolloutOutcome {
  /** The CodeDeploy deployment, when the alias had to move. */
  deploymentId?: string;
  fromVersion: string;
  version: string;
  /** The architecture of the version the alias serves now, as Lambda reports it. */
  architecture?: string;
  deletedVersions: string[];
}

export interface RolloutOptions {
  log?: (message: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The rollout did not reach its version: the alias stays where CodeDeploy left it (the previous version on a rollback). */
export class RolloutFailed extends Error {
  override readonly name = "RolloutFailed";
}

/** Versions power tuning publishes carry this description (app/tuning/tuner.ts); they are its to remove. */
const TUNING_VERSION_MARK = "power tuning ";

// Arrays, not Sets: Pulumi's closure serializer ships a captured Set without its contents (the provider then fails).
const TERMINAL = ["Succeeded", "Failed", "Stopped"];
const ACTIVE = ["Created", "Queued", "InProgress", "Baking", "Ready"] as const;

/**
 * CodeDeploy's AppSpec for a Lambda deployment, with its before-traffic hook if any
 * (https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html,
 * .../reference-appspec-file-structure-hooks.html).
 */
export function appSpec(
  request: Pick<RolloutRequest, "functionName" | "alias" | "targetVersion" | "beforeAllowTraffic">,
  currentVersion: string,
): string {
  return JSON.stringify({
    version: 0.0,
    ...(request.beforeAllowTraffic && { Hooks: [{ BeforeAllowTraffic: request.beforeAllowTraffic }] }),
    Resources: [
      {
        [request.functionName]: {
          Type: "AWS::Lambda::Function",
          Properties: {
            Name: request.functionName,
            Alias: request.alias,
            CurrentVersion: currentVersion,
            TargetVersion: request.targetVersion,
          },
        },
      },
    ],
  });
}

/**
 * What the deployment says it is, in CodeDeploy's console and `aws deploy get-deployment`: within CodeDeploy's
 * 100 characters whatever the function's name (the AppSpec names the function; its group is the function's own).
 */
export const rolloutDescription = (request: Pick<RolloutRequest, "alias" | "targetVersion">, fromVersion: string) =>
  `pulumi up: ${request.alias} from version ${fromVersion} to ${request.targetVersion}`;

async function all<T>(page: (marker?: string) => Promise<{ items?: T[]; next?: string }>): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const result = await page(marker);
    items.push(...(result.items ?? []));
    if (!(marker = result.next)) return items;
  }
  throw new Error("more than 1,000 pages: stopped listing");
}

/**
 * Waits for a deployment to end, reporting each new status; past `deadline` it stops the deployment with
 * a rollback, so no rollout runs on with nobody watching it.
 */
async function waitFor(
  codedeploy: CodeDeployClient,
  deploymentId: string,
  deadline: number,
  pollSeconds: number,
  options: Required<RolloutOptions>,
): Promise<DeploymentInfo> {
  let reported = "";
  for (;;) {
    const { deploymentInfo } = await codedeploy.send(new GetDeploymentCommand({ deploymentId }));
    const status = deploymentInfo?.status ?? "unknown";
    const overview = deploymentInfo?.deploymentOverview;
    const progress = `${deploymentId}: ${status}${overview ? ` (${overview.Succeeded ?? 0} succeeded, ${overview.Failed ?? 0} failed)` : ""}`;
    if (progress !== reported) options.log((reported = progress));
    if (TERMINAL.includes(status)) return deploymentInfo!;
    if (options.now() >= deadline) {
      await codedeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
      throw new RolloutFailed(
        `${deploymentId} was still ${status} when the rollout's wait ran out; it is stopped and rolled back. Look at it in the CodeDeploy console, then run pulumi up again.`,
      );
    }
    await options.sleep(pollSeconds * 1000);
  }
}

/** The versions an alias routes to: its version and the weighted one, if any. */
const versionsOf = (alias: AliasConfiguration) => [
  alias.FunctionVersion,
  ...Object.keys(alias.RoutingConfig?.AdditionalVersionWeights ?? {}),
];

/**
 * Deletes the published versions no alias routes to, except `previous` (the version live before this
 * rollout: one `aws lambda update-alias` serves it again) and those power tuning published (its own
 * clean-up removes them). Container images cost no Lambda code storage (they are ECR's), but an older
 * version runs an image ECR's lifecycle may have expired (`ecrKeepImages`): keeping none of those means
 * every version left can still run. Never `$LATEST`. A version that fails to go is reported, not fatal.
 */
async function removeUnusedVersions(
  lambda: LambdaClient,
  functionName: string,
  previous: string,
  log: (message: string) => void,
): Promise<string[]> {
  const [versions, aliases] = await Promise.all([
    all<FunctionConfiguration>((Marker) =>
      lambda
        .send(new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker }))
        .then((page) => ({ items: page.Versions, next: page.NextMarker })),
    ),
    all<AliasConfiguration>((Marker) =>
      lambda
        .send(new ListAliasesCommand({ FunctionName: functionName, Marker }))
        .then((page) => ({ items: page.Aliases, next: page.NextMarker })),
    ),
  ]);
  const kept = new Set([previous, ...aliases.flatMap(versionsOf)]);
  const unused = versions.filter(
    (version) => /^\d+$/.test(version.Version ?? "") && !kept.has(version.Version) && !version.Description?.startsWith(TUNING_VERSION_MARK),
  );
  const deleted: string[] = [];
  for (const { Version } of unused) {
    try {
      await lambda.send(new DeleteFunctionCommand({ FunctionName: functionName, Qualifier: Version }));
      deleted.push(Version!);
    } catch (error) {
      log(`version ${Version} of ${functionName} stays: ${(error as Error).message}`);
    }
  }
  return deleted;
}

/**
 * Rolls the alias out to the target version through the function's deployment group. First waits for a
 * deployment of the group that is still running (an interrupted `up`'s); then, if the alias is not at the
 * target yet, creates a deployment from the alias's version to it and waits for it. A rollback (alarms,
 * a failed check, a stop) throws RolloutFailed: the alias is back on the version it served, and the next
 * `pulumi up` (with the fix, which publishes a newer version) rolls out again from there. Without a
 * deployment group Pulumi has moved the alias itself; `previousVersion` is where it was.
 * Then the versions nothing uses go, and the architecture of the version now live is reported.
 */
export async function rollOut(
  clients: { codedeploy: CodeDeployClient; lambda: LambdaClient },
  request: RolloutRequest,
  options: RolloutOptions = {},
  previousVersion?: string,
): Promise<RolloutOutcome> {
  const settings: Required<RolloutOptions> = {
    log: () => undefined,
    now: Date.now,
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    ...options,
  };
  const { codedeploy, lambda } = clients;
  const deadline = settings.now() + request.waitSeconds * 1000;
  const { application, deploymentGroup } = request;
  const { fromVersion, deploymentId } =
    application && deploymentGroup
      ? await deploy(codedeploy, lambda, { ...request, application, deploymentGroup }, deadline, settings)
      : { fromVersion: previousVersion ?? request.targetVersion, deploymentId: undefined };
  const deletedVersions = await removeUnusedVersions(lambda, request.functionName, fromVersion, settings.log);
  const live = await lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: request.functionName, Qualifier: request.targetVersion }),
  );
  const architecture = live.Architectures?.[0];
  settings.log(
    `${request.functionName}:${request.alias} serves version ${request.targetVersion}${architecture ? ` on ${architecture}` : ""}`,
  );
  return { deploymentId, fromVersion, version: request.targetVersion, architecture, deletedVersions };
}

/**
 * The CodeDeploy part of a rollout: waits out a deployment of the group still running, then deploys from
 * the alias's version to the target unless the alias is there already; throws RolloutFailed on a rollback.
 */
async function deploy(
  codedeploy: CodeDeployClient,
  lambda: LambdaClient,
  request: RolloutRequest & { application: string; deploymentGroup: string },
  deadline: number,
  settings: Required<RolloutOptions>,
): Promise<{ fromVersion: string; deploymentId?: string }> {
  const group = { applicationName: request.application, deploymentGroupName: request.deploymentGroup };
  const running = await all<string>((nextToken) =>
    codedeploy
      .send(new ListDeploymentsCommand({ ...group, includeOnlyStatuses: [...ACTIVE], nextToken }))
      .then((page) => ({ items: page.deployments, next: page.nextToken })),
  );
  for (const deploymentId of running) {
    settings.log(`waiting for ${deploymentId}, which was running already`);
    await waitFor(codedeploy, deploymentId, deadline, request.pollSeconds, settings);
  }
  const alias = await lambda.send(new GetAliasCommand({ FunctionName: request.functionName, Name: request.alias }));
  const fromVersion = alias.FunctionVersion!;
  if (fromVersion === request.targetVersion) return { fromVersion };
  const { deploymentId } = await codedeploy.send(
    new CreateDeploymentCommand({
      ...group,
      description: rolloutDescription(request, fromVersion),
      revision: { revisionType: "AppSpecContent", appSpecContent: { content: appSpec(request, fromVersion) } },
    }),
  );
  settings.log(`${request.functionName}:${request.alias} ${fromVersion} -> ${request.targetVersion}: ${deploymentId}`);
  const info = await waitFor(codedeploy, deploymentId!, deadline, request.pollSeconds, settings);
  if (info.status !== "Succeeded") {
    const now = await lambda.send(new GetAliasCommand({ FunctionName: request.functionName, Name: request.alias }));
    const why = [info.errorInformation?.message, info.rollbackInfo?.rollbackMessage].filter(Boolean).join("; ");
    throw new RolloutFailed(
      `${request.functionName}: version ${request.targetVersion} did not go live (${deploymentId} ${info.status}${why ? `: ${why}` : ""}). ` +
        `The ${request.alias} alias serves version ${versionsOf(now).join(" and ")}. Fix the cause (its alarms, its check's and its own logs say what), then run pulumi up again.`,
    );
  }
  return { fromVersion, deploymentId };
}
