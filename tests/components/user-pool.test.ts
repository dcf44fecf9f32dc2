import { strict as assert } from "node:assert";
import { UserPool } from "../../components/user-pool";
import { evaluate, evaluateStack } from "../mock-engine";
import { readStackConfig } from "../../config";
import { Registered } from "../registered";

describe("UserPool, and where the APIs' tokens come from", () => {
  it("is a Cognito pool with email sign-in and strong passwords, and a public client (no secret) whose ID tokens the APIs accept", async () => {
    const { resources, outputs } = await evaluate(() => {
      const users = new UserPool("users", { deletionProtection: true });
      return { issuer: users.issuer, audience: users.audience };
    });
    const registered = new Registered(resources);
    const pool = registered.one("aws:cognito/userPool:UserPool", "users").inputs;
    assert.deepEqual(pool.usernameAttributes, ["email"]);
    assert.ok(pool.passwordPolicy.minimumLength >= 12);
    assert.equal(pool.deletionProtection, "ACTIVE");
    const client = registered.one("aws:cognito/userPoolClient:UserPoolClient", "users-client").inputs;
    assert.equal(client.generateSecret, false);
    assert.deepEqual(client.explicitAuthFlows, ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]);
    assert.equal(outputs.issuer, "https://cognito-idp.us-east-1.amazonaws.com/users-id");
    assert.deepEqual(outputs.audience, ["users-client-id"]);
  });

  it("the stack uses its own pool by default, and an external OIDC issuer (no pool) when graviton-platform:auth is set", async () => {
    const own = new Registered((await evaluateStack("dev")).resources);
    assert.equal(own.all("aws:cognito/userPool:UserPool").length, 1);
    assert.equal(
      own.one("aws:apigatewayv2/authorizer:Authorizer", "api-jwt").inputs.jwtConfiguration.issuer,
      "https://cognito-idp.us-east-1.amazonaws.com/users-id",
    );

    const external = { issuer: "https://login.example.com/", audience: ["graviton-app"], scope: "jobs" };
    const config = { ...readStackConfig("dev"), "graviton-platform:auth": JSON.stringify(external) };
    const { resources, outputs } = await evaluateStack("dev", config);
    const registered = new Registered(resources);
    assert.equal(registered.all("aws:cognito/userPool:UserPool").length, 0);
    assert.deepEqual(registered.one("aws:apigatewayv2/authorizer:Authorizer", "api-jwt").inputs.jwtConfiguration, {
      issuer: external.issuer,
      audiences: external.audience,
    });
    assert.deepEqual(registered.one("aws:apigatewayv2/route:Route", "api-post-jobs").inputs.authorizationScopes, ["jobs"]);
    assert.deepEqual([outputs.auth.issuer, outputs.auth.audience], [external.issuer, external.audience]);
  });
});
