import { strict as assert } from "node:assert";
import { HttpApi, routeSourcePath } from "../../components/http-api";
import { evaluate } from "../../scripts/mock-engine";
import { Registered } from "../registered";

const functionArn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

async function deployApi() {
  const deployment = await evaluate(() => {
    const api = new HttpApi("api", {
      routes: [
        { routeKey: "POST /number", function: { name: "number-fact", arn: functionArn("number-fact") } },
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
    assert.deepEqual(routes.map((route) => route.inputs.routeKey).sort(), ["GET /jobs/{id}", "POST /number"]);
    for (const route of routes) {
      const integration = integrations.find((candidate) => route.inputs.target === `integrations/${candidate.name}-id`)!;
      assert.ok(integration, `route ${route.inputs.routeKey} targets an integration`);
      assert.equal(integration.inputs.integrationType, "AWS_PROXY");
      assert.equal(integration.inputs.payloadFormatVersion, "2.0");
    }
    const numberRoute = routes.find((route) => route.inputs.routeKey === "POST /number")!;
    const numberIntegration = integrations.find((candidate) => numberRoute.inputs.target === `integrations/${candidate.name}-id`)!;
    assert.equal(numberIntegration.inputs.integrationUri, functionArn("number-fact"));
  });

  it("lets API Gateway invoke each function only from its own route", async () => {
    const { registered } = await deployApi();
    const api = registered.all("aws:apigatewayv2/api:Api")[0];
    const sources = registered
      .all("aws:lambda/permission:Permission")
      .map((permission) => [permission.inputs.function, permission.inputs.principal, permission.inputs.sourceArn]);
    assert.deepEqual(sources.sort(), [
      ["jobs", "apigateway.amazonaws.com", `${api.state.executionArn}/*/GET/jobs/*`],
      ["number-fact", "apigateway.amazonaws.com", `${api.state.executionArn}/*/POST/number`],
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
    assert.equal(routeSourcePath("POST /number"), "POST/number");
    assert.equal(routeSourcePath("GET /jobs/{id}"), "GET/jobs/*");
    assert.equal(routeSourcePath("ANY /{proxy+}"), "*/*");
    assert.throws(() => routeSourcePath("/number"), /not "METHOD \/path"/);
  });
});
