import { strict as assert } from "node:assert";
import { HttpApi, routeSourcePath } from "../../components/http-api";
import { evaluate } from "../mock-engine";
import { Registered } from "../registered";

const functionArn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

async function deployApi() {
  const deployment = await evaluate(() => {
    const api = new HttpApi("api", {
      routes: [
        { routeKey: "POST /hello", function: { name: "hello", arn: functionArn("hello") } },
        { routeKey: "GET /jobs/{id}", function: { name: "jobs", arn: functionArn("jobs") } },
      ],
      throttling: { burstLimit: 20, rateLimit: 10 },
      logRetentionDays: 30,
    });
    return { url: api.url };
  });
  return { registered: new Registered(deployment.resources), outputs: deployment.outputs };
}

describe("HttpApi", () => {
  it("routes each route key to its function through a Lambda proxy integration, payload 2.0", async () => {
    const { registered } = await deployApi();
    const integrations = registered.all("aws:apigatewayv2/integration:Integration");
    const routes = registered.all("aws:apigatewayv2/route:Route");
    assert.deepEqual(routes.map((route) => route.inputs.routeKey).sort(), ["GET /jobs/{id}", "POST /hello"]);
    for (const route of routes) {
      const integration = integrations.find((candidate) => route.inputs.target === `integrations/${candidate.name}-id`)!;
      assert.ok(integration, `route ${route.inputs.routeKey} targets an integration`);
      assert.equal(integration.inputs.integrationType, "AWS_PROXY");
      assert.equal(integration.inputs.payloadFormatVersion, "2.0");
    }
    const helloRoute = routes.find((route) => route.inputs.routeKey === "POST /hello")!;
    const helloIntegration = integrations.find((candidate) => helloRoute.inputs.target === `integrations/${candidate.name}-id`)!;
    assert.equal(helloIntegration.inputs.integrationUri, functionArn("hello"));
  });

  it("keeps apart routes whose keys read alike as resource names (GET /a-b, GET /a/b, GET /a_b), each to its own function", async () => {
    const keys = ["GET /a-b", "GET /a/b", "GET /a_b"];
    const { resources } = await evaluate(
      () =>
        void new HttpApi("api", {
          routes: keys.map((routeKey, index) => ({ routeKey, function: { name: `fn-${index}`, arn: functionArn(`fn-${index}`) } })),
          throttling: { burstLimit: 20, rateLimit: 10 },
        }),
    );
    const registered = new Registered(resources);
    const routes = registered.all("aws:apigatewayv2/route:Route");
    assert.deepEqual(routes.map((route) => route.inputs.routeKey).sort(), [...keys].sort());
    assert.equal(new Set(routes.map((route) => route.name)).size, 3);
    assert.equal(routes[0].name, "api-get-a-b", "the first keeps its readable name (an existing stack's routes are not replaced)");
    const permissions = registered.all("aws:lambda/permission:Permission");
    assert.deepEqual(permissions.map((permission) => permission.inputs.function).sort(), ["fn-0", "fn-1", "fn-2"]);
  });

  it("lets API Gateway invoke each function only from its own route", async () => {
    const { registered } = await deployApi();
    const api = registered.all("aws:apigatewayv2/api:Api")[0];
    const sources = registered
      .all("aws:lambda/permission:Permission")
      .map((permission) => [permission.inputs.function, permission.inputs.principal, permission.inputs.sourceArn]);
    assert.deepEqual(sources.sort(), [
      ["hello", "apigateway.amazonaws.com", `${api.state.executionArn}/*/POST/hello`],
      ["jobs", "apigateway.amazonaws.com", `${api.state.executionArn}/*/GET/jobs/*`],
    ]);
  });

  it("has an auto-deployed $default stage with JSON access logs (with retention) and default throttling", async () => {
    const { registered, outputs } = await deployApi();
    const stage = registered.all("aws:apigatewayv2/stage:Stage")[0];
    const accessLogs = registered.one("aws:cloudwatch/logGroup:LogGroup", "api-access");
    assert.equal(stage.inputs.name, "$default");
    assert.equal(stage.inputs.autoDeploy, true);
    assert.equal(stage.inputs.accessLogSettings.destinationArn, accessLogs.state.arn);
    assert.ok(JSON.parse(stage.inputs.accessLogSettings.format).requestId);
    assert.equal(accessLogs.inputs.retentionInDays, 30);
    assert.equal(stage.inputs.defaultRouteSettings.throttlingBurstLimit, 20);
    assert.equal(stage.inputs.defaultRouteSettings.throttlingRateLimit, 10);
    assert.match(outputs.url, /^https:\/\/.+\.execute-api\.us-east-1\.amazonaws\.com$/);
  });

  it("turns route keys into execute-api source paths", () => {
    assert.equal(routeSourcePath("POST /hello"), "POST/hello");
    assert.equal(routeSourcePath("GET /jobs/{id}"), "GET/jobs/*");
    assert.equal(routeSourcePath("ANY /{proxy+}"), "*/*");
    assert.throws(() => routeSourcePath("/hello"), /not "METHOD \/path"/);
  });

  describe("jobs: JWT-authorized routes and POST /jobs straight to SQS", () => {
    const queue = { url: "https://sqs.us-east-1.amazonaws.com/123456789012/jobs", arn: "arn:aws:sqs:us-east-1:123456789012:jobs" };
    const jwt = {
      issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
      audience: ["client-id"],
      scope: "aws.cognito.signin.user.admin",
    };
    async function deployJobsApi() {
      const { resources } = await evaluate(() => {
        new HttpApi("api", {
          jwt,
          routes: [
            { routeKey: "GET /primes", function: { name: "primes", arn: functionArn("primes") } },
            { routeKey: "GET /jobs/{id}", authorized: true, function: { name: "get-job", arn: functionArn("get-job") } },
            { routeKey: "POST /jobs", authorized: true, queue },
          ],
        });
      });
      return new Registered(resources);
    }

    it("checks JWTs from the Authorization header against the issuer and audience, on the authorized routes only", async () => {
      const registered = await deployJobsApi();
      const authorizer = registered.one("aws:apigatewayv2/authorizer:Authorizer", "api-jwt");
      assert.equal(authorizer.inputs.authorizerType, "JWT");
      assert.deepEqual(authorizer.inputs.identitySources, ["$request.header.Authorization"]);
      assert.deepEqual(authorizer.inputs.jwtConfiguration, { issuer: jwt.issuer, audiences: jwt.audience });
      const auth = (name: string) => registered.one("aws:apigatewayv2/route:Route", name).inputs;
      for (const name of ["api-get-jobs-id", "api-post-jobs"]) {
        assert.deepEqual([auth(name).authorizationType, auth(name).authorizerId], ["JWT", "api-jwt-id"]);
        assert.deepEqual(auth(name).authorizationScopes, [jwt.scope], "access tokens only: an ID token has no scope");
      }
      assert.equal(auth("api-get-primes").authorizationType, undefined);
    });

    it("sends the body to the queue with jobId and owner set by API Gateway, never by the client", async () => {
      const registered = await deployJobsApi();
      const integration = registered.one("aws:apigatewayv2/integration:Integration", "api-post-jobs").inputs;
      assert.deepEqual(
        [integration.integrationType, integration.integrationSubtype, integration.payloadFormatVersion],
        ["AWS_PROXY", "SQS-SendMessage", "1.0"],
      );
      assert.equal(integration.requestParameters.QueueUrl, queue.url);
      assert.equal(integration.requestParameters.MessageBody, "$request.body");
      assert.deepEqual(JSON.parse(integration.requestParameters.MessageAttributes), {
        jobId: { DataType: "String", StringValue: "${context.requestId}" },
        owner: { DataType: "String", StringValue: "${context.authorizer.claims.sub}" },
      });
      assert.doesNotMatch(
        JSON.stringify(integration.requestParameters),
        /\$request\.(body\.|header|querystring)|connectionId/,
        "nothing the client controls but the body",
      );
      assert.deepEqual(integration.responseParameters, [
        { statusCode: "200", mappings: { "overwrite:statuscode": "202", "overwrite:header.x-job-id": "$context.requestId" } },
      ]);
    });

    it("sends with a role that can only sqs:SendMessage to that queue, and only API Gateway can assume", async () => {
      const registered = await deployJobsApi();
      const role = registered.one("aws:iam/role:Role", "api-send-jobs");
      assert.equal(registered.one("aws:apigatewayv2/integration:Integration", "api-post-jobs").inputs.credentialsArn, role.state.arn);
      assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal, { Service: "apigateway.amazonaws.com" });
      assert.deepEqual(JSON.parse(registered.one("aws:iam/rolePolicy:RolePolicy", "api-send-jobs").inputs.policy).Statement, [
        { Sid: "SendJobs", Effect: "Allow", Action: "sqs:SendMessage", Resource: [queue.arn] },
      ]);
    });

    it("refuses a queue route without authorization, and an authorized route without an issuer", async () => {
      await assert.rejects(
        evaluate(() => void new HttpApi("api", { jwt, routes: [{ routeKey: "POST /jobs", queue }] })),
        /Route POST \/jobs sends to a queue; it must be authorized/,
      );
      await assert.rejects(
        evaluate(
          () =>
            void new HttpApi("api", {
              routes: [{ routeKey: "GET /jobs/{id}", authorized: true, function: { name: "f", arn: functionArn("f") } }],
            }),
        ),
        /Route GET \/jobs\/\{id\} is authorized, but the API has no jwt issuer/,
      );
    });
  });
});
