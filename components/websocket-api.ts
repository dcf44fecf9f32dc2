import * as aws from "@pulumi/aws";
import type { InvokeTarget } from "./container-function";
import * as pulumi from "@pulumi/pulumi";
import { rolePolicy, serviceRole, trustedService } from "./iam";
import { logRetention, throttlingSettings } from "./settings-schema";
import { accountLogRoleSetting } from "./websocket-api-settings";
import { SUBMIT_REQUEST_TEMPLATE, SUBMIT_RESPONSES, submitModel, USAGE } from "./websocket-routes";
import { stackScopedName } from "./stack-name";
import { z } from "zod";

export interface WebSocketApiArgs {
  /** Where `submit` messages go, with no Lambda in front. */
  queue: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
  /** Stage name (the last part of the wss:// URL). @default "live" */
  stageName?: string;
  /**
   * Route throttling: burst (requests) and steady rate (requests per second); defaults from throttlingSettings.
   * @example {burstLimit: 500, rateLimit: 200}
   */
  throttling?: z.input<typeof throttlingSettings>;
  /** Days the access and execution logs are kept. @default 14 */
  logRetentionDays?: number;
  /** accountLogRoleSetting: let this component set API Gateway's account log role. */
  manageAccountLogRole?: z.input<typeof accountLogRoleSetting>;
}

/** A Lambda function as the API needs it: to invoke it, or to let its role post to connections. */
export interface ConnectedFunction {
  functionName: pulumi.Input<string>;
  arn: pulumi.Input<string>;
  role: aws.iam.Role;
}

/**
 * Access log fields (JSON, one line per message). Only variables the WebSocket list documents: API
 * Gateway refuses a stage whose format names another (HTTP APIs' $context.integrationErrorMessage is not
 * one). https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  connectionId: "$context.connectionId",
  eventType: "$context.eventType",
  routeKey: "$context.routeKey",
  status: "$context.status",
  principal: "$context.authorizer.principalId",
  error: "$context.error.message",
  validationError: "$context.error.validationErrorString",
  authorizerError: "$context.authorizer.error",
  integrationError: "$context.integration.error",
});

/**
 * An API Gateway WebSocket API for jobs: `submit` integrated straight to SQS (validated against a
 * JSON-schema model at the edge, acknowledged with the job id), `$default` answering with the usage, and,
 * once authorizeConnections is called, `$connect` behind a REQUEST authorizer (JWT in `?token=`). Results
 * come back over the connection from whoever is given grantManageConnections.
 */
export class WebSocketApi extends pulumi.ComponentResource {
  /** `wss://{api}.execute-api.{region}.amazonaws.com/{stage}`: what clients connect to. */
  readonly url: pulumi.Output<string>;
  /** The stage's name (CloudWatch's Stage dimension). */
  readonly stageName: string;
  /** `https://{api}.execute-api.{region}.amazonaws.com/{stage}`: where PostToConnection goes. */
  readonly managementEndpoint: pulumi.Output<string>;
  readonly apiId: pulumi.Output<string>;
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: {
    api: aws.apigatewayv2.Api;
    stage: aws.apigatewayv2.Stage;
    submitIntegration: aws.apigatewayv2.Integration;
    accessLogs: aws.cloudwatch.LogGroup;
  };
  private readonly connectionsArn: pulumi.Output<string>;
  private readonly region: pulumi.Output<string>;

  constructor(
    private readonly name: string,
    args: WebSocketApiArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("graviton:api:WebSocketApi", name, {}, opts);
    const stageName = args.stageName ?? "live";
    this.region = aws.getRegionOutput({}, { parent: this }).region;
    const api = new aws.apigatewayv2.Api(
      name,
      { protocolType: "WEBSOCKET", routeSelectionExpression: "$request.body.action" },
      { parent: this },
    );

    const submit = this.submitRoute(api, args.queue);
    const fallback = this.usageRoute(api);
    const { stage, accessLogs } = this.stage(api, stageName, args, [...submit.routes, fallback]);

    this.apiId = api.id;
    this.nodes = { api, stage, submitIntegration: submit.integration, accessLogs };
    this.stageName = stageName;
    this.url = pulumi.interpolate`${api.apiEndpoint}/${stageName}`;
    this.managementEndpoint = pulumi.interpolate`https://${api.id}.execute-api.${this.region}.amazonaws.com/${stageName}`;
    this.connectionsArn = pulumi.interpolate`${api.executionArn}/${stageName}/POST/@connections/*`;
    this.registerOutputs({ url: this.url, managementEndpoint: this.managementEndpoint, apiId: this.apiId });
  }

  /**
   * `$connect` decided by `authorizer`, a REQUEST authorizer function that verifies the `token` query
   * string; the mock integration just accepts. Without it the API accepts no connection at all.
   */
  authorizeConnections(authorizer: InvokeTarget): aws.apigatewayv2.Route {
    const { name } = this;
    const api = this.nodes.api;
    const parent = { parent: this };
    const tokenAuthorizer = new aws.apigatewayv2.Authorizer(
      `${name}-token`,
      {
        apiId: api.id,
        authorizerType: "REQUEST",
        authorizerUri: pulumi.interpolate`arn:aws:apigateway:${this.region}:lambda:path/2015-03-31/functions/${authorizer.arn}/invocations`,
        identitySources: ["route.request.querystring.token"],
      },
      parent,
    );
    new aws.lambda.Permission(
      `${name}-token`,
      {
        action: "lambda:InvokeFunction",
        function: authorizer.name,
        qualifier: authorizer.qualifier,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${api.executionArn}/authorizers/${tokenAuthorizer.id}`,
      },
      parent,
    );
    const accept = new aws.apigatewayv2.Integration(
      `${name}-connect`,
      { apiId: api.id, integrationType: "MOCK", requestTemplates: { "200": '{"statusCode": 200}' }, templateSelectionExpression: "200" },
      parent,
    );
    return new aws.apigatewayv2.Route(
      `${name}-connect`,
      {
        apiId: api.id,
        routeKey: "$connect",
        authorizationType: "CUSTOM",
        authorizerId: tokenAuthorizer.id,
        target: pulumi.interpolate`integrations/${accept.id}`,
      },
      parent,
    );
  }

  /** Lets a function post to (and only to) this API's connections, on its stage. */
  grantManageConnections(fn: { role: aws.iam.Role }, resourceName = `${this.name}-manage-connections`): aws.iam.RolePolicy {
    return rolePolicy(
      resourceName,
      fn.role,
      [{ Sid: "PostToConnections", Effect: "Allow", Action: "execute-api:ManageConnections", Resource: this.connectionsArn }],
      { parent: this },
    );
  }

  /** `submit`: the model, the SQS integration with a role that can only send to this queue, and the acknowledgement. */
  private submitRoute(api: aws.apigatewayv2.Api, queue: WebSocketApiArgs["queue"]) {
    const { name } = this;
    const parent = { parent: this };
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const { role: sender } = serviceRole(
      `${name}-send-jobs`,
      "apigateway.amazonaws.com",
      [{ Sid: "SendJobs", Effect: "Allow", Action: "sqs:SendMessage", Resource: queue.arn }],
      parent,
    );
    const model = new aws.apigatewayv2.Model(
      `${name}-submit`,
      { apiId: api.id, name: "SubmitJob", contentType: "application/json", schema: JSON.stringify(submitModel()) },
      parent,
    );
    const integration = new aws.apigatewayv2.Integration(
      `${name}-submit`,
      {
        apiId: api.id,
        integrationType: "AWS",
        integrationMethod: "POST",
        integrationUri: pulumi.interpolate`arn:aws:apigateway:${this.region}:sqs:path/${account}/${queue.name}`,
        credentialsArn: sender.arn,
        requestParameters: { "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'" },
        requestTemplates: { $default: SUBMIT_REQUEST_TEMPLATE },
        templateSelectionExpression: "\\$default",
        passthroughBehavior: "NEVER",
      },
      parent,
    );
    this.respond(api, integration, `${name}-submit`, SUBMIT_RESPONSES.ok, SUBMIT_RESPONSES.failed);
    const route = new aws.apigatewayv2.Route(
      `${name}-submit`,
      {
        apiId: api.id,
        routeKey: "submit",
        target: pulumi.interpolate`integrations/${integration.id}`,
        modelSelectionExpression: "$request.body.action",
        requestModels: { submit: model.name },
        routeResponseSelectionExpression: "$default",
      },
      parent,
    );
    new aws.apigatewayv2.RouteResponse(`${name}-submit`, { apiId: api.id, routeId: route.id, routeResponseKey: "$default" }, parent);
    return { integration, routes: [route] };
  }

  /** `$default`: any other action gets the usage. */
  private usageRoute(api: aws.apigatewayv2.Api): aws.apigatewayv2.Route {
    const { name } = this;
    const parent = { parent: this };
    const usage = new aws.apigatewayv2.Integration(
      `${name}-default`,
      { apiId: api.id, integrationType: "MOCK", requestTemplates: { "200": '{"statusCode": 200}' }, templateSelectionExpression: "200" },
      parent,
    );
    this.respond(api, usage, `${name}-default`, USAGE, USAGE);
    const route = new aws.apigatewayv2.Route(
      `${name}-default`,
      {
        apiId: api.id,
        routeKey: "$default",
        target: pulumi.interpolate`integrations/${usage.id}`,
        routeResponseSelectionExpression: "$default",
      },
      parent,
    );
    new aws.apigatewayv2.RouteResponse(`${name}-default`, { apiId: api.id, routeId: route.id, routeResponseKey: "$default" }, parent);
    return route;
  }

  /** What the client gets back from an integration: `ok` for a 200, `failed` for anything else. */
  private respond(
    api: aws.apigatewayv2.Api,
    integration: aws.apigatewayv2.Integration,
    resourceName: string,
    ok: string,
    failed: string,
  ): void {
    for (const [suffix, key, template] of [
      ["ok", "/200/", ok],
      ["failed", "$default", failed],
    ]) {
      new aws.apigatewayv2.IntegrationResponse(
        `${resourceName}-${suffix}`,
        {
          apiId: api.id,
          integrationId: integration.id,
          integrationResponseKey: key,
          responseTemplates: { $default: template },
          templateSelectionExpression: "\\$default",
        },
        { parent: this },
      );
    }
  }

  /** The stage: JSON access logs, execution logs at ERROR (no message bodies), throttling; its log groups first, with retention. */
  private stage(api: aws.apigatewayv2.Api, stageName: string, args: WebSocketApiArgs, routes: aws.apigatewayv2.Route[]) {
    const { name } = this;
    const parent = { parent: this };
    const retentionInDays = logRetention.parse(args.logRetentionDays);
    const throttling = throttlingSettings.parse(args.throttling ?? {});
    const accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access`,
      { name: `/aws/apigateway/${stackScopedName([name], "/")}`, retentionInDays },
      parent,
    );
    // API Gateway writes execution logs to a group it names itself: create it first, with retention.
    const executionLogs = new aws.cloudwatch.LogGroup(
      `${name}-execution`,
      { name: pulumi.interpolate`API-Gateway-Execution-Logs_${api.id}/${stageName}`, retentionInDays },
      parent,
    );
    const accountLogRole = accountLogRoleSetting.parse(args.manageAccountLogRole) ? this.accountLogRole(name) : [];
    const stage = new aws.apigatewayv2.Stage(
      name,
      {
        apiId: api.id,
        name: stageName,
        autoDeploy: true,
        accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
        defaultRouteSettings: {
          loggingLevel: "ERROR",
          dataTraceEnabled: false, // message bodies stay out of the logs
          throttlingBurstLimit: throttling.burstLimit,
          throttlingRateLimit: throttling.rateLimit,
        },
      },
      { parent: this, dependsOn: [...routes, executionLogs, ...accountLogRole] },
    );
    return { stage, accessLogs };
  }

  /** The account-level role API Gateway writes execution logs with (one per account and region). */
  private accountLogRole(name: string): pulumi.Resource[] {
    const role = new aws.iam.Role(
      `${name}-account-logs`,
      {
        assumeRolePolicy: trustedService("apigateway.amazonaws.com"),
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"],
      },
      { parent: this },
    );
    return [role, new aws.apigateway.Account(`${name}-account`, { cloudwatchRoleArn: role.arn }, { parent: this })];
  }
}
