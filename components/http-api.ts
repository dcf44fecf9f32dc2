import * as aws from "@pulumi/aws";
import type { InvokeTarget } from "./container-function";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { serviceRole } from "./iam";
import { logRetention, throttlingSettings } from "./settings-schema";
import { stackScopedName } from "./stack-name";
import { z } from "zod";
import type { TokenIssuer } from "./token-issuer";

export interface HttpRoute {
  /** `METHOD /path`. @example "GET /jobs/{id}" */
  routeKey: string;
  /** The Lambda function behind the route (a Lambda proxy integration, payload 2.0); or: */
  function?: InvokeTarget;
  /**
   * The queue the request goes to, with no Lambda in front (SQS-SendMessage): the body becomes the
   * message, with the attributes jobId (the request id, returned to the caller in `x-job-id`) and owner
   * (the token's `sub`). Needs `authorized`.
   */
  queue?: { url: pulumi.Input<string>; arn: pulumi.Input<string> };
  /** Require a valid JWT from the API's issuer. @default false */
  authorized?: boolean;
}

export interface HttpApiArgs {
  routes: HttpRoute[];
  /** The issuer whose access tokens authorized routes accept (from the Authorization header), with the scope they must carry. @default undefined */
  jwt?: TokenIssuer;
  /** Default route throttling: burst (requests) and steady rate (requests per second); defaults from throttlingSettings. @example {burstLimit: 500, rateLimit: 200} */
  throttling?: z.input<typeof throttlingSettings>;
  /** Days the access logs are kept. @default 14 */
  logRetentionDays?: number;
}

/** Access log fields (JSON, one line per request); see API Gateway's $context variables for HTTP APIs. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  routeKey: "$context.routeKey",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  integrationLatency: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
});

/**
 * The part of an execute-api source ARN after the stage for a route key:
 * `POST /number` -> `POST/number`, `GET /jobs/{id}` -> `GET/jobs/*`.
 */
export function routeSourcePath(routeKey: string): string {
  const match = /^([A-Z]+|ANY) (\/\S*)$/.exec(routeKey);
  if (!match) throw new Error(`Route key "${routeKey}" is not "METHOD /path" (for example "GET /jobs/{id}").`);
  const [, method, path] = match;
  return `${method === "ANY" ? "*" : method}${path.replace(/\{[^}]+\}/g, "*")}`;
}

/**
 * An API Gateway HTTP API: Lambda proxy routes (payload 2.0), a `$default` stage that deploys itself,
 * JSON access logs, default throttling, and invoke permissions scoped to each route's own source ARN.
 */
export class HttpApi extends pulumi.ComponentResource {
  /** Invoke URL, e.g. `https://abc123.execute-api.us-east-1.amazonaws.com`. */
  readonly url: pulumi.Output<string>;
  readonly apiId: pulumi.Output<string>;
  readonly executionArn: pulumi.Output<string>;
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: { api: aws.apigatewayv2.Api; stage: aws.apigatewayv2.Stage; accessLogs: aws.cloudwatch.LogGroup };

  constructor(name: string, args: HttpApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("graviton:api:HttpApi", name, {}, opts);
    const throttling = throttlingSettings.parse(args.throttling ?? {});

    const api = new aws.apigatewayv2.Api(name, { protocolType: "HTTP" }, { parent: this });

    const authorizer =
      args.jwt &&
      new aws.apigatewayv2.Authorizer(
        `${name}-jwt`,
        {
          apiId: api.id,
          authorizerType: "JWT",
          identitySources: ["$request.header.Authorization"],
          jwtConfiguration: { issuer: args.jwt.issuer, audiences: args.jwt.audience },
        },
        { parent: this },
      );
    const queues = [...new Set(args.routes.flatMap((route) => (route.queue ? [route.queue] : [])))];
    const sender =
      queues.length > 0
        ? this.queueSender(
            name,
            queues.map((queue) => queue.arn),
          )
        : undefined;

    // A route's resources are named for its key; two keys that read alike that way ("GET /a-b", "GET /a/b")
    // keep apart by a hash of the key, so neither takes the other's name.
    const taken = new Set<string>();
    const routes = args.routes.map((route) => {
      const readable = `${name}-${route.routeKey
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/-+$/, "")}`;
      const resourceName = taken.has(readable)
        ? `${readable}-${createHash("sha256").update(route.routeKey).digest("hex").slice(0, 8)}`
        : readable;
      taken.add(resourceName);
      if (Boolean(route.function) === Boolean(route.queue)) throw new Error(`Route ${route.routeKey}: give either function or queue.`);
      if (route.authorized && !authorizer) throw new Error(`Route ${route.routeKey} is authorized, but the API has no jwt issuer.`);
      if (route.queue && !route.authorized)
        throw new Error(`Route ${route.routeKey} sends to a queue; it must be authorized (the owner is the token's sub).`);
      const integration = route.function
        ? this.lambdaIntegration(resourceName, api, route.routeKey, route.function)
        : new aws.apigatewayv2.Integration(
            resourceName,
            {
              apiId: api.id,
              integrationType: "AWS_PROXY",
              integrationSubtype: "SQS-SendMessage",
              credentialsArn: sender!.arn,
              payloadFormatVersion: "1.0",
              requestParameters: {
                QueueUrl: route.queue!.url,
                MessageBody: "$request.body",
                // Set by API Gateway, never by the client.
                MessageAttributes: JSON.stringify({
                  jobId: { DataType: "String", StringValue: "${context.requestId}" },
                  owner: { DataType: "String", StringValue: "${context.authorizer.claims.sub}" },
                }),
              },
              responseParameters: [
                { statusCode: "200", mappings: { "overwrite:statuscode": "202", "overwrite:header.x-job-id": "$context.requestId" } },
              ],
            },
            { parent: this },
          );
      return new aws.apigatewayv2.Route(
        resourceName,
        {
          apiId: api.id,
          routeKey: route.routeKey,
          target: pulumi.interpolate`integrations/${integration.id}`,
          // The scope admits access tokens only (ID tokens carry none), as the WebSocket authorizer does.
          ...(route.authorized && { authorizationType: "JWT", authorizerId: authorizer!.id, authorizationScopes: [args.jwt!.scope] }),
        },
        { parent: this },
      );
    });

    const accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access`,
      {
        name: `/aws/apigateway/${stackScopedName([name], "/")}`,
        retentionInDays: logRetention.parse(args.logRetentionDays),
      },
      { parent: this },
    );

    const stage = new aws.apigatewayv2.Stage(
      name,
      {
        apiId: api.id,
        name: "$default",
        autoDeploy: true,
        accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
        defaultRouteSettings: {
          throttlingBurstLimit: throttling.burstLimit,
          throttlingRateLimit: throttling.rateLimit,
          detailedMetricsEnabled: true,
        },
      },
      { parent: this, dependsOn: routes },
    );

    this.url = api.apiEndpoint;
    this.apiId = api.id;
    this.executionArn = api.executionArn;
    this.nodes = { api, stage, accessLogs };
    this.registerOutputs({ url: this.url, apiId: this.apiId, executionArn: this.executionArn });
  }

  /** A Lambda proxy integration (payload 2.0) and the permission to invoke the function (its alias, when qualified) from this route only. */
  private lambdaIntegration(resourceName: string, api: aws.apigatewayv2.Api, routeKey: string, fn: NonNullable<HttpRoute["function"]>) {
    new aws.lambda.Permission(
      resourceName,
      {
        action: "lambda:InvokeFunction",
        function: fn.name,
        qualifier: fn.qualifier,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${api.executionArn}/*/${routeSourcePath(routeKey)}`,
      },
      { parent: this },
    );
    return new aws.apigatewayv2.Integration(
      resourceName,
      { apiId: api.id, integrationType: "AWS_PROXY", integrationMethod: "POST", integrationUri: fn.arn, payloadFormatVersion: "2.0" },
      { parent: this },
    );
  }

  /** The role API Gateway uses to send to the queues: sqs:SendMessage on exactly those queues. */
  private queueSender(name: string, queueArns: pulumi.Input<string>[]): aws.iam.Role {
    return serviceRole(
      `${name}-send-jobs`,
      "apigateway.amazonaws.com",
      [{ Sid: "SendJobs", Effect: "Allow", Action: "sqs:SendMessage", Resource: queueArns }],
      {
        parent: this,
      },
    ).role;
  }
}
