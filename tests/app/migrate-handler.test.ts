import type { Context } from "aws-lambda";
import { strict as assert } from "node:assert";
import { LAMBDA_ENVIRONMENT } from "./lambda-environment";
import { lambdaContext } from "./lambda-context";

describe("migrate handler", () => {
  const saved = { ...process.env };
  let handler: (event: unknown, context: Context) => Promise<unknown>;

  before(() => {
    // What Database.grantConnect and the image give it; INIT builds the pool but does not connect.
    Object.assign(process.env, LAMBDA_ENVIRONMENT);
    ({ handler } = require("../../app/handlers/migrate"));
  });
  after(() => (process.env = saved));

  it("refuses an event without the app role, naming what is missing and never echoing the event", async () => {
    const verifier = "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy";
    await assert.rejects(handler({ appRole: { passwordVerifier: verifier } }, lambdaContext()), (error: Error) => {
      assert.match(error.message, /^migrate expects \{"appRole": \{"name", "passwordVerifier"\}\} from the stack; appRole\.name: /);
      assert.ok(!error.message.includes(verifier));
      return true;
    });
    await assert.rejects(handler(undefined, lambdaContext()), /from the stack; the event: /);
  });

  it("fails at INIT, naming the variable, when it is not attached to the database", () => {
    const module = require.resolve("../../app/handlers/migrate");
    delete require.cache[module];
    const host = process.env.DB_HOST;
    delete process.env.DB_HOST;
    try {
      assert.throws(() => require(module), /DB_HOST is missing or malformed: .*Database\.grantConnect/);
    } finally {
      process.env.DB_HOST = host;
      delete require.cache[module];
    }
  });
});
