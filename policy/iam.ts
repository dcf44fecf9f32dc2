import { GravitonPolicy, TYPES } from "./definition";
import { Statement, statementsOf } from "./iam-document";

/** Write actions AWS offers no resource-level permissions for: "*" is the only Resource they accept. */
const RESOURCE_WILDCARD_ONLY = new Set([
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "cloudwatch:PutMetricData",
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
  // CloudWatch Logs delivery (Step Functions, API Gateway execution logs)
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
]);
/** Lambda actions that change what a function runs or delete it. */
const LAMBDA_MANAGEMENT = new Set([
  "lambda:UpdateFunctionConfiguration",
  "lambda:UpdateFunctionCode",
  "lambda:PublishVersion",
  "lambda:CreateAlias",
  "lambda:UpdateAlias",
  "lambda:DeleteAlias",
  "lambda:DeleteFunction",
]);
/** One API's stage connections: no wildcard in the API id or the stage. */
const SCOPED_CONNECTIONS = /^arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9-]+\/[A-Za-z0-9_-]+\/POST\/@connections\/\*$/;
const READ_ONLY = /^[a-z0-9-]+:(Get|List|Describe|BatchGet|Head|View|Search)/;

/** The inline and managed policy documents a resource carries, each with its Allow statements: [label, statements]. */
function allowedStatementsOf(resource: { type: string; props: Record<string, any> }): [string, Statement[]][] {
  const documents: [string, unknown][] =
    resource.type === TYPES.iamRolePolicy || resource.type === TYPES.iamPolicy
      ? [["policy", resource.props.policy]]
      : resource.type === TYPES.iamRole
        ? (resource.props.inlinePolicies ?? []).map((inline: any) => [`inline policy ${inline.name}`, inline.policy])
        : [];
  return documents.map(([label, document]) => [label, statementsOf(document).filter((statement) => statement.effect === "Allow")]);
}

export const iamPolicies: GravitonPolicy[] = [
  {
    name: "iam-no-wildcard-action",
    description:
      'No IAM policy allows every action ("*") or every action of a service ("s3:*") (AWS Security Hub IAM.1/IAM.21; Checkov CKV_AWS_1, CKV_AWS_355).',
    enforcementLevel: "mandatory",
    howToFix: "List the actions the code calls, e.g. sqs:SendMessage instead of sqs:*.",
    validateResource: (args, report) => {
      for (const [label, statements] of allowedStatementsOf(args)) {
        const wildcards = statements.flatMap((statement) => statement.actions.filter((action) => action === "*" || action.endsWith(":*")));
        if (wildcards.length > 0) report(`The ${label} allows ${wildcards.join(", ")}.`);
      }
    },
  },
  {
    name: "iam-no-wildcard-resource-on-write",
    description:
      'No IAM policy allows a write action on Resource "*", except actions that support no resource-level permissions (Checkov CKV_AWS_111).',
    enforcementLevel: "mandatory",
    howToFix: "Name the resources (ARNs) the write actions apply to.",
    validateResource: (args, report) => {
      for (const [label, statements] of allowedStatementsOf(args)) {
        const writes = statements
          .filter((statement) => statement.resources.includes("*"))
          .flatMap((statement) => statement.actions.filter((action) => !READ_ONLY.test(action) && !RESOURCE_WILDCARD_ONLY.has(action)));
        if (writes.length > 0) report(`The ${label} allows ${writes.join(", ")} on every resource ("*").`);
      }
    },
  },
  {
    name: "iam-lambda-trust",
    description:
      "A role that Lambda can assume trusts only lambda.amazonaws.com, so no other service or account can use the function's permissions.",
    enforcementLevel: "mandatory",
    howToFix: 'Give the function its own role whose trust policy has the single principal {"Service": "lambda.amazonaws.com"}.',
    validateResource: (args, report) => {
      if (args.type !== TYPES.iamRole) return;
      const trust = statementsOf(args.props.assumeRolePolicy).filter((statement) => statement.effect === "Allow");
      if (!trust.some((statement) => statement.servicePrincipals.includes("lambda.amazonaws.com"))) return;
      const others = trust.flatMap((statement) => [
        ...statement.servicePrincipals.filter((service) => service !== "lambda.amazonaws.com"),
        ...statement.otherPrincipals,
      ]);
      if (others.length > 0) report(`The Lambda role also trusts ${others.join(", ")}.`);
    },
  },
  {
    name: "iam-manage-connections-scoped",
    description:
      "execute-api:ManageConnections is granted on one API's stage connections (arn:...:<api-id>/<stage>/POST/@connections/*), not on every API.",
    enforcementLevel: "mandatory",
    howToFix: "Grant it with WebSocketApi.grantManageConnections(fn).",
    validateResource: (args, report) => {
      for (const [label, statements] of allowedStatementsOf(args)) {
        const broad = statements
          .filter((statement) => statement.actions.some((action) => ["execute-api:ManageConnections", "execute-api:*"].includes(action)))
          .flatMap((statement) => statement.resources.filter((resource) => !SCOPED_CONNECTIONS.test(resource)));
        if (broad.length > 0) report(`The ${label} allows ManageConnections on ${broad.join(", ")}.`);
      }
    },
  },
  {
    name: "iam-lambda-management-scoped",
    description:
      "Permissions that change, version or delete Lambda functions (power tuning and rollouts need them) name the functions (or one alias or version of each), with no wildcard, and delete only versions (qualified ARNs), never a whole function.",
    enforcementLevel: "mandatory",
    howToFix: "List the functions to tune in graviton-platform:tuning.functions; PowerTuning grants on exactly those.",
    validateResource: (args, report) => {
      for (const [label, statements] of allowedStatementsOf(args)) {
        for (const statement of statements) {
          const managing = statement.actions.filter((action) => LAMBDA_MANAGEMENT.has(action) || action === "lambda:*");
          const loose =
            managing.length > 0
              ? statement.resources.filter((resource) => !/:function:[A-Za-z0-9_-]+(:(\*|[A-Za-z0-9_-]+))?$/.test(resource))
              : [];
          if (loose.length > 0) report(`The ${label} allows ${managing.join(", ")} on ${loose.join(", ")}.`);
          if (statement.actions.includes("lambda:DeleteFunction")) {
            const whole = statement.resources.filter((resource) => /:function:[A-Za-z0-9_-]+$/.test(resource));
            if (whole.length > 0) report(`The ${label} allows deleting the whole function ${whole.join(", ")}, not only its versions.`);
          }
        }
      }
    },
  },
];
