import { FUNCTION_TAGS } from "../components/container-function";
import { GravitonPolicy, propsOf, splitQualifier, TYPES } from "./definition";

/** Names that suggest a secret; secrets belong in Secrets Manager or SSM, fetched at INIT. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|TOKEN|CREDENTIAL)/i;
/** A private ECR image: `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>...`. */
const PRIVATE_ECR_IMAGE = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[^\s]+$/;

const isTwin = (props: Record<string, any>) => props.tags?.[FUNCTION_TAGS.variant] === "twin";
const functionName = (props: Record<string, any>, fallback: string) => props.tags?.[FUNCTION_TAGS.name] ?? fallback;

export const lambdaPolicies: GravitonPolicy[] = [
  {
    name: "lambda-arm64",
    description: "Lambda functions run on arm64 (Graviton): up to 34% better price performance (AWS Graviton Lambda guide).",
    enforcementLevel: "advisory",
    configSchema: {
      properties: { allowX86: { type: "array", items: { type: "string" }, default: [], description: "Functions allowed on x86_64" } },
    },
    howToFix:
      "Set graviton-platform:architecture (or functions.<name>.architecture) to arm64, or add the function to this policy's allowX86 list.",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.lambdaFunction);
      if (!props || isTwin(props)) return;
      const { allowX86 } = args.getConfig<{ allowX86: string[] }>();
      const architectures: string[] = props.architectures ?? ["x86_64"];
      if (architectures.includes("x86_64") && !allowX86.includes(functionName(props, args.name))) {
        report(`Function ${functionName(props, args.name)} runs on x86_64 and is not in allowX86.`);
      }
    },
  },
  {
    name: "lambda-tracing",
    description: "Lambda functions have X-Ray active tracing (Checkov CKV_AWS_50).",
    enforcementLevel: "advisory",
    howToFix: "Set tracingConfig.mode to Active (ContainerFunction does).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.lambdaFunction);
      if (props && props.tracingConfig?.mode !== "Active") report(`Tracing mode is ${props.tracingConfig?.mode ?? "unset (PassThrough)"}.`);
    },
  },
  {
    name: "lambda-no-secret-environment",
    description:
      "No Lambda environment variable looks like a secret (Checkov CKV_AWS_45): environment values are readable by anyone who can read the function's configuration.",
    enforcementLevel: "mandatory",
    howToFix: "Keep the secret in Secrets Manager or SSM Parameter Store and fetch it once at INIT; pass only its name or ARN.",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.lambdaFunction);
      const names = Object.keys(props?.environment?.variables ?? {}).filter((name) => SECRET_NAME.test(name));
      if (names.length > 0)
        report(`Environment variable${names.length > 1 ? "s" : ""} ${names.join(", ")} look${names.length > 1 ? "" : "s"} like a secret.`);
    },
  },
  {
    name: "lambda-private-ecr-image",
    description: "Lambda functions are container images from a private ECR repository, pinned by digest.",
    enforcementLevel: "mandatory",
    howToFix: "Deploy the function from a ContainerImage (its imageUris are private ECR URIs by digest).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.lambdaFunction);
      if (!props) return;
      if (props.packageType !== "Image") return report(`Package type is ${props.packageType ?? "Zip"}, not Image.`);
      if (typeof props.imageUri !== "string") return; // unknown until the image is built
      if (!PRIVATE_ECR_IMAGE.test(props.imageUri)) report(`Image ${props.imageUri} is not in a private ECR repository.`);
      else if (!props.imageUri.includes("@sha256:")) report(`Image ${props.imageUri} is referenced by tag, not by digest.`);
    },
  },
  {
    name: "lambda-image-own-account",
    description:
      "A function's image comes from the stack's own AWS account (a prebuilt image too), so what runs is what the account's CI pushed and scanned, not another account's.",
    enforcementLevel: "mandatory",
    howToFix: "Push the image to an ECR repository of the stack's account (promote it by digest) and set prebuiltImages to that URI.",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.lambdaFunction);
      if (!props || typeof props.imageUri !== "string") return;
      const imageAccount = /^(\d{12})\.dkr\.ecr\./.exec(props.imageUri)?.[1];
      const stackAccount = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(props.role)?.[1]; // the function's role is the stack's
      if (imageAccount && stackAccount && imageAccount !== stackAccount)
        report(`Image ${props.imageUri} is in account ${imageAccount}; the stack's account (its role's) is ${stackAccount}.`);
    },
  },
  {
    name: "lambda-reserved-concurrency",
    description:
      "Functions that serve traffic have reserved concurrency, so one cannot starve the others or a downstream (Checkov CKV_AWS_115).",
    enforcementLevel: "advisory",
    configSchema: {
      properties: { exempt: { type: "array", items: { type: "string" }, default: [], description: "Functions that may run unreserved" } },
    },
    howToFix: "Set graviton-platform:functions.<name>.reservedConcurrency, or add the function to this policy's exempt list.",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.lambdaFunction);
      if (!props || isTwin(props)) return;
      const { exempt } = args.getConfig<{ exempt: string[] }>();
      const reserved = props.reservedConcurrentExecutions;
      if ((reserved === undefined || reserved < 0) && !exempt.includes(functionName(props, args.name))) {
        report(`Function ${functionName(props, args.name)} has no reserved concurrency.`);
      }
    },
  },
  {
    name: "lambda-log-group-managed",
    description: "Every function logs to a log group this stack manages (so it has a retention period and exists before the function).",
    enforcementLevel: "mandatory",
    howToFix:
      "Create an aws.cloudwatch.LogGroup with retentionInDays and set the function's loggingConfig.logGroup to its name (ContainerFunction does).",
    validateStack: (args, report) => {
      const managed = new Set(args.resources.filter((resource) => resource.type === TYPES.logGroup).map((group) => group.props.name));
      for (const fn of args.resources.filter((resource) => resource.type === TYPES.lambdaFunction)) {
        const logGroup = fn.props.loggingConfig?.logGroup;
        if (logGroup === undefined) report("The function writes to Lambda's default log group, which never expires.", fn.urn);
        else if (typeof logGroup === "string" && !managed.has(logGroup))
          report(`Log group ${logGroup} is not managed by this stack.`, fn.urn);
      }
    },
  },
  {
    name: "lambda-permission-source-arn",
    description:
      "Lambda permissions for a service principal are scoped by source ARN (AWS Security Hub Lambda.1: function policies prohibit public access).",
    enforcementLevel: "mandatory",
    howToFix: "Set sourceArn on the aws.lambda.Permission, e.g. `${api.executionArn}/*/GET/jobs/*` (HttpApi does, per route).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.lambdaPermission);
      if (!props) return;
      if (props.principal === "*") report("The permission lets anyone invoke the function.");
      else if (String(props.principal).endsWith(".amazonaws.com") && !props.sourceArn) {
        report(`Principal ${props.principal} may invoke the function from any source: no sourceArn.`);
      }
    },
  },
  {
    name: "lambda-invoked-through-alias",
    description:
      "Services invoke a function through an alias (a permission's qualifier, an event source mapping's qualified function), never $LATEST: a new version then reaches its callers only when the alias moves, as a rollout moves it.",
    enforcementLevel: "advisory",
    howToFix:
      "Give the function a live alias (ContainerFunction does for a function that serves traffic) and grant or map its caller to the alias: the permission's qualifier, the mapping's functionName with :<alias>.",
    validateResource: (args, report) => {
      const permission = propsOf(args, TYPES.lambdaPermission);
      if (permission && String(permission.principal).endsWith(".amazonaws.com") && !permission.qualifier)
        report(`${permission.principal} may invoke ${permission.function} unqualified, so it runs $LATEST: grant its alias (qualifier).`);
      const mapping = propsOf(args, TYPES.eventSourceMapping);
      if (mapping && typeof mapping.functionName === "string" && !splitQualifier(mapping.functionName).qualifier)
        report(`Event source mapping ${args.name} invokes ${mapping.functionName} unqualified, so it runs $LATEST: map it to the alias.`);
    },
  },
  {
    name: "lambda-provisioned-concurrency-on-alias",
    description:
      "Provisioned concurrency is configured on the alias callers invoke, not on a version: on a version it stays behind (billed, unused) when the alias moves, and the new version starts cold.",
    enforcementLevel: "mandatory",
    howToFix: "Set functions.<name>.provisionedConcurrency: the platform puts it on the function's live alias.",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.provisionedConcurrency);
      if (props && /^\d+$/.test(String(props.qualifier)))
        report(`Provisioned concurrency of ${props.functionName} is on version ${props.qualifier}, not on an alias.`);
    },
  },
];
