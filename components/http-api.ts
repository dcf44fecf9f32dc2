import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface HttpRoute {
  /** `METHOD /path`, e.g. `POST /number` or `GET /jobs/{id}`. */
  routeKey: string;
  /** The Lambda function behind the route. */
  function: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
}

export interface HttpApiArgs {
  routes: HttpRoute[];
  /** Default route throttling: burst (requests) and steady rate (requests per second). @default {burstLimit: 100, rateLimit: 50} */
  throttling?: { burstLimit: number; rateLimit: number };
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
  if (!match) throw new Error(`Route key "${routeKey}" is not "METHOD /path" (for example "GET /primes").`);
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

  constructor(name: string, args: HttpApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("graviton:api:HttpApi", name, {}, opts);
    const throttling = args.throttling ?? { burstLimit: 100, rateLimit: 50 };

    const api = new aws.apigatewayv2.Api(name, { protocolType: "HTTP" }, { parent: this });

    const routes = args.routes.map((route) => {
      const resourceName = `${name}-${route.routeKey.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/-+$/, "")}`;
      const integration = new aws.apigatewayv2.Integration(
        resourceName,
        {
          apiId: api.id,
          integrationType: "AWS_PROXY",
          integrationMethod: "POST",
          integrationUri: route.function.arn,
          payloadFormatVersion: "2.0",
        },
        { parent: this },
      );
      new aws.lambda.Permission(
        resourceName,
        {
          action: "lambda:InvokeFunction",
          function: route.function.name,
          principal: "apigateway.amazonaws.com",
          sourceArn: pulumi.interpolate`${api.executionArn}/*/${routeSourcePath(route.routeKey)}`,
        },
        { parent: this },
      );
      return new aws.apigatewayv2.Route(
        resourceName,
        { apiId: api.id, routeKey: route.routeKey, target: pulumi.interpolate`integrations/${integration.id}` },
        { parent: this },
      );
    });

    const accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access`,
      {
        name: pulumi.interpolate`/aws/apigateway/${pulumi.getProject()}-${pulumi.getStack()}/${name}`,
        retentionInDays: args.logRetentionDays ?? 14,
      },
      { parent: this },
    );

    new aws.apigatewayv2.Stage(
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
    this.registerOutputs({ url: this.url, apiId: this.apiId, executionArn: this.executionArn });
  }
}
