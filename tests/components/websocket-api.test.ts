import * as aws from "@pulumi/aws";
import { strict as assert } from "node:assert";
import Ajv from "ajv";
import { parseJob } from "../../app/core/job-types";
import { ACCESS_LOG_FORMAT, WebSocketApi, WebSocketApiArgs } from "../../components/websocket-api";
import { SUBMIT_REQUEST_TEMPLATE, submitModel } from "../../components/websocket-routes";
import { evaluate } from "../mock-engine";
import { renderMappingTemplate } from "../../dev/apigateway/vtl";
import { Registered } from "../registered";

const queue = { name: "jobs-queue", arn: "arn:aws:sqs:us-east-1:123456789012:jobs-queue" };
const authorizerFn = { name: "ws-authorizer", arn: "arn:aws:lambda:us-east-1:123456789012:function:ws-authorizer" };

async function deploy(settings: Partial<WebSocketApiArgs> = {}) {
  const { resources, outputs } = await evaluate(() => {
    const role = new aws.iam.Role("worker-role", { assumeRolePolicy: "{}" });
    const ws = new WebSocketApi("ws", { queue, ...settings });
    ws.authorizeConnections(authorizerFn);
    ws.grantManageConnections({ role }, "worker-manage-connections");
    return { url: ws.url, managementEndpoint: ws.managementEndpoint };
  });
  return { registered: new Registered(resources), outputs };
}

const ROUTE = "aws:apigatewayv2/route:Route";
const INTEGRATION = "aws:apigatewayv2/integration:Integration";

describe("WebSocketApi", () => {
  let registered: Registered;
  let outputs: Record<string, any>;
  before(async () => ({ registered, outputs } = await deploy()));

  it("selects routes on $request.body.action, and tells clients and the worker where to connect and post", () => {
    const api = registered.one("aws:apigatewayv2/api:Api", "ws").inputs;
    assert.deepEqual([api.protocolType, api.routeSelectionExpression], ["WEBSOCKET", "$request.body.action"]);
    assert.equal(outputs.url, "wss://ws-id.execute-api.us-east-1.amazonaws.com/live");
    assert.equal(outputs.managementEndpoint, "https://ws-id.execute-api.us-east-1.amazonaws.com/live");
  });

  it("authorizes $connect with the REQUEST authorizer, reading the token from the query string", () => {
    const connect = registered.one(ROUTE, "ws-connect").inputs;
    assert.deepEqual([connect.routeKey, connect.authorizationType, connect.authorizerId], ["$connect", "CUSTOM", "ws-token-id"]);
    const authorizer = registered.one("aws:apigatewayv2/authorizer:Authorizer", "ws-token").inputs;
    assert.equal(authorizer.authorizerType, "REQUEST");
    assert.deepEqual(authorizer.identitySources, ["route.request.querystring.token"]);
    assert.equal(authorizer.authorizerUri, `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${authorizerFn.arn}/invocations`);
    const permission = registered.one("aws:lambda/permission:Permission", "ws-token").inputs;
    assert.equal(permission.sourceArn, "arn:aws:execute-api:us-east-1:123456789012:ws-id/authorizers/ws-token-id");
    for (const name of ["ws-submit", "ws-default"])
      assert.equal(registered.one(ROUTE, name).inputs.authorizationType, undefined, "only $connect is authorized (the connection is)");
  });

  it("sends submit straight to SQS, with connectionId, jobId and owner from API Gateway's context, never the client's body", () => {
    const integration = registered.one(INTEGRATION, "ws-submit").inputs;
    assert.deepEqual(
      [integration.integrationType, integration.integrationMethod, integration.passthroughBehavior],
      ["AWS", "POST", "NEVER"],
    );
    assert.equal(integration.integrationUri, `arn:aws:apigateway:us-east-1:sqs:path/123456789012/${queue.name}`);
    const template = integration.requestTemplates.$default as string;
    assert.equal(template, SUBMIT_REQUEST_TEMPLATE);
    const fields = new Map(template.split("&").map((field) => field.split("=", 2) as [string, string]));
    const attribute = (name: string) =>
      [...fields.entries()].find(([key, value]) => key.endsWith(".Name") && value === name)![0].replace(".Name", ".Value.StringValue");
    assert.equal(fields.get("Action"), "SendMessage");
    assert.equal(fields.get("MessageBody"), "$util.urlEncode($input.body)");
    assert.equal(fields.get(attribute("connectionId")), "$util.urlEncode($context.connectionId)");
    assert.equal(fields.get(attribute("jobId")), "$util.urlEncode($context.requestId)");
    assert.equal(fields.get(attribute("owner")), "$util.urlEncode($context.authorizer.principalId)");
    assert.doesNotMatch(template, /\$input\.(json|path)|\$input\.params/, "no value is taken from inside the client's message");
  });

  it("renders the SQS request (VTL, as API Gateway does) so that no body, however hostile, can add or change a field", () => {
    const context = { connectionId: "K5wZ1cfFIAMCJmA=", requestId: "JzQ9AhW2oAMEVhA=", authorizer: { principalId: "alice" } };
    const hostile = [
      '{"action":"submit","type":"echo","input":"x&MessageAttribute.3.Value.StringValue=mallory"}',
      '{"action":"submit","type":"echo","input":"a=b&Action=DeleteQueue"}',
      '{"action":"submit","type":"echo","input":"line\\nbreak #set($x = 1) $context.requestId ${util}"}',
      `{"action":"submit","type":"echo","input":"${"é".repeat(1000)}\\u0000"}`,
      "not json & = ? %26",
    ];
    for (const body of hostile) {
      const rendered = renderMappingTemplate(SUBMIT_REQUEST_TEMPLATE, { body, context });
      const fields = new URLSearchParams(rendered);
      assert.deepEqual([...fields.keys()].length, 11, "exactly the template's fields");
      assert.equal(fields.get("Action"), "SendMessage");
      assert.equal(fields.get("MessageBody"), body, "the body arrives whole, as the message");
      assert.equal(fields.get("MessageAttribute.3.Value.StringValue"), "alice", "the owner is API Gateway's, never the body's");
      assert.equal(fields.get("MessageAttribute.2.Value.StringValue"), context.requestId);
    }
  });

  it("sends with a role that can only sqs:SendMessage to this queue", () => {
    const role = registered.one("aws:iam/role:Role", "ws-send-jobs");
    assert.equal(registered.one(INTEGRATION, "ws-submit").inputs.credentialsArn, role.state.arn);
    assert.deepEqual(JSON.parse(registered.one("aws:iam/rolePolicy:RolePolicy", "ws-send-jobs").inputs.policy).Statement, [
      { Sid: "SendJobs", Effect: "Allow", Action: "sqs:SendMessage", Resource: queue.arn },
    ]);
  });

  it("validates submit against a JSON-schema model at the edge, and acknowledges with the job id", () => {
    const submit = registered.one(ROUTE, "ws-submit").inputs;
    assert.deepEqual([submit.modelSelectionExpression, submit.requestModels], ["$request.body.action", { submit: "SubmitJob" }]);
    const model = JSON.parse(registered.one("aws:apigatewayv2/model:Model", "ws-submit").inputs.schema);
    assert.deepEqual(model.required, ["action", "type"]);
    assert.deepEqual(model.properties.type.enum, ["primes", "echo"]);
    assert.equal(submit.routeResponseSelectionExpression, "$default");
    assert.equal(registered.one("aws:apigatewayv2/routeResponse:RouteResponse", "ws-submit").inputs.routeResponseKey, "$default");
    const ack = registered.one("aws:apigatewayv2/integrationResponse:IntegrationResponse", "ws-submit-ok").inputs;
    assert.equal(ack.integrationResponseKey, "/200/");
    assert.deepEqual(JSON.parse(ack.responseTemplates.$default.replace("$context.requestId", "REQ")), { jobId: "REQ", status: "queued" });
  });

  it("refuses at the edge what the worker would refuse, and accepts what it accepts (one job schema for both)", () => {
    // ajv reads this draft-04 model as it is (no draft-04-only keywords are used); API Gateway validates with draft 4.
    const { $schema, ...model } = submitModel() as { $schema: string };
    assert.equal($schema, "http://json-schema.org/draft-04/schema#");
    const edge = new Ajv({ strict: false }).compile(model);
    const bodies: unknown[] = [
      { type: "primes", input: { max: 1000 } },
      { type: "primes", input: { max: 50_000_000 } },
      { type: "primes", input: { max: 50_000_001 } },
      { type: "primes", input: { max: 0 } },
      { type: "primes", input: { max: 1.5 } },
      { type: "primes", input: { max: "1000" } },
      { type: "primes", input: {} },
      { type: "primes", input: null },
      { type: "primes" },
      { type: "echo" },
      { type: "echo", input: null },
      { type: "echo", input: [1, { deep: ["x"] }] },
      { type: "mine-bitcoin", input: {} },
      { type: ["primes"] },
      { type: null },
      {},
    ];
    for (const body of bodies) {
      const message = { action: "submit", ...(body as object) };
      assert.equal(edge(message), parseJob(JSON.stringify(message)).ok, JSON.stringify(body));
    }
    assert.equal(edge({ action: "other", type: "echo" }), false);
  });

  it("logs only $context variables that the WebSocket API documents (API Gateway refuses others on a WebSocket stage)", () => {
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html (the variables used here)
    const documented = new Set([
      "$context.requestId",
      "$context.connectionId",
      "$context.eventType",
      "$context.routeKey",
      "$context.status",
      "$context.authorizer.principalId",
      "$context.authorizer.error",
      "$context.error.message",
      "$context.error.validationErrorString",
      "$context.integration.error",
      "$context.integrationLatency",
      "$context.requestTimeEpoch",
      "$context.identity.sourceIp",
    ]);
    const used = Object.values(JSON.parse(ACCESS_LOG_FORMAT)) as string[];
    assert.deepEqual(
      used.filter((variable) => !documented.has(variable)),
      [],
    );
    assert.equal(
      JSON.parse(registered.one("aws:apigatewayv2/stage:Stage", "ws").inputs.accessLogSettings.format).integrationError,
      "$context.integration.error",
    );
  });

  it("answers any other action with the usage", () => {
    const fallback = registered.one(ROUTE, "ws-default").inputs;
    assert.equal(fallback.routeKey, "$default");
    const usage = registered.one("aws:apigatewayv2/integrationResponse:IntegrationResponse", "ws-default-ok").inputs.responseTemplates
      .$default;
    assert.match(JSON.parse(usage).error, /Send \{"action": "submit"/);
  });

  it("has a stage with JSON access logs, execution logging at ERROR (no message bodies), throttling, and logs with retention", () => {
    const stage = registered.one("aws:apigatewayv2/stage:Stage", "ws").inputs;
    assert.equal(stage.name, "live");
    assert.ok(JSON.parse(stage.accessLogSettings.format).connectionId);
    assert.deepEqual(
      [
        stage.defaultRouteSettings.loggingLevel,
        stage.defaultRouteSettings.dataTraceEnabled,
        stage.defaultRouteSettings.throttlingBurstLimit,
        stage.defaultRouteSettings.throttlingRateLimit,
      ],
      ["ERROR", false, 100, 50],
    );
    assert.equal(registered.one("aws:cloudwatch/logGroup:LogGroup", "ws-execution").inputs.name, "API-Gateway-Execution-Logs_ws-id/live");
    assert.equal(
      registered.one("aws:apigateway/account:Account", "ws-account").inputs.cloudwatchRoleArn,
      registered.one("aws:iam/role:Role", "ws-account-logs").state.arn,
    );
  });

  it("leaves the account's log role alone when told to", async () => {
    const { registered: unmanaged } = await deploy({ manageAccountLogRole: false });
    assert.equal(unmanaged.all("aws:apigateway/account:Account").length, 0);
  });

  it("grantManageConnections allows posting to this API's connections on its stage, and nothing else", () => {
    assert.deepEqual(JSON.parse(registered.one("aws:iam/rolePolicy:RolePolicy", "worker-manage-connections").inputs.policy).Statement, [
      {
        Sid: "PostToConnections",
        Effect: "Allow",
        Action: "execute-api:ManageConnections",
        Resource: "arn:aws:execute-api:us-east-1:123456789012:ws-id/live/POST/@connections/*",
      },
    ]);
  });
});
