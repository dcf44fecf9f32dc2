import { Signer } from "@aws-sdk/rds-signer";
import { strict as assert } from "node:assert";
import { iamAuthToken } from "../../app/data/iam-auth-token";
import { roleCredentials } from "../../app/auth/role-credentials";

const credentials = {
  accessKeyId: "ASIAEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  sessionToken: "IQoJb3JpZ2luX2Vj+/=",
};

describe("RDS IAM auth token (aws4fetch's signer in place of @aws-sdk/rds-signer)", () => {
  it("is the token @aws-sdk/rds-signer makes, for the same credentials and second, hostile user names included", async () => {
    for (const user of ["app_user", "user with spaces&Action=drop", "ünïcødé", "a".repeat(63)]) {
      const request = { host: "db-proxy.proxy-c0abc.us-east-1.rds.amazonaws.com", port: 5432, user, region: "us-east-1", credentials };
      const sdk = new Signer({ hostname: request.host, port: request.port, username: user, region: request.region, credentials });
      for (let tries = 0; ; tries++) {
        const [ours, theirs] = await Promise.all([iamAuthToken(request), sdk.getAuthToken()]);
        const dateOf = (token: string) => new URLSearchParams(token.split("?")[1]).get("X-Amz-Date");
        if (dateOf(ours) !== dateOf(theirs) && tries < 3) continue; // a second boundary fell between the two
        const params = (token: string) => Object.fromEntries(new URLSearchParams(token.split("?")[1]));
        assert.equal(ours.split("?")[0], theirs.split("?")[0]);
        assert.deepEqual(params(ours), params(theirs), user);
        assert.equal(params(ours).DBUser, user);
        break;
      }
    }
  });

  it("signs at the time given, valid for 15 minutes", async () => {
    const token = await iamAuthToken({
      host: "h",
      port: 5432,
      user: "u",
      region: "eu-west-1",
      credentials,
      at: new Date("2026-11-23T08:00:00Z"),
    });
    const query = new URLSearchParams(token.split("?")[1]);
    assert.deepEqual(
      [query.get("X-Amz-Date"), query.get("X-Amz-Expires"), query.get("X-Amz-Credential")],
      ["20261123T080000Z", "900", "ASIAEXAMPLE/20261123/eu-west-1/rds-db/aws4_request"],
    );
  });

  it("reads the role's credentials from the environment, and says what is missing", () => {
    assert.deepEqual(roleCredentials({ AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "s", AWS_SESSION_TOKEN: "" }), {
      accessKeyId: "a",
      secretAccessKey: "s",
      sessionToken: undefined,
    });
    assert.throws(() => roleCredentials({ AWS_ACCESS_KEY_ID: "a" }), /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set/);
  });
});
