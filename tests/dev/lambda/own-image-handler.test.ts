import { strict as assert } from "node:assert";
import { join } from "node:path";
import type { OwnImageFunctionConfig } from "../../../config";
import { localHandlerOf } from "../../../dev/lambda/own-image-handler";

const own = (settings: Partial<OwnImageFunctionConfig>): OwnImageFunctionConfig => ({
  name: "f",
  context: "tests/fixtures/own-image",
  dockerfile: "tests/fixtures/own-image/Dockerfile",
  authorized: false,
  architecture: "arm64",
  compareArchitectures: false,
  memory: 128,
  timeout: 30,
  environment: {},
  permissions: [],
  ...settings,
});
const fixture = join(__dirname, "..", "..", "fixtures", "own-image");

describe("which functions with their own image run locally, and from which module", () => {
  it("runs a function on the Lambda Node.js base image from its handler's module in the build context", () => {
    assert.deepEqual(localHandlerOf(own({})), { bundle: join(fixture, "handler.mjs"), exportName: "handler" }, "the Dockerfile's CMD");
    assert.deepEqual(localHandlerOf(own({ command: ["handler.other"] })), { bundle: join(fixture, "handler.mjs"), exportName: "other" });
  });

  it("says why any other function runs on a stack only", () => {
    const reasons = [
      own({ dockerfile: "tests/fixtures/own-image/Dockerfile.python" }),
      own({ entryPoint: ["/bin/sh"] }),
      own({ command: ["reduce.handler"] }),
      own({ command: ["handler"] }),
      own({ command: ["../../../etc/passwd.handler"] }),
      own({ command: ["handler.handler; rm -rf /"] }),
    ].map((fn) => {
      const handler = localHandlerOf(fn);
      assert.ok("runsOnAStackOnly" in handler, JSON.stringify(fn.command));
      return handler.runsOnAStackOnly;
    });
    assert.deepEqual(reasons, [
      "its image is built FROM public.ecr.aws/lambda/python:3.13, not the AWS Lambda Node.js base image",
      "it sets its own entryPoint",
      "its handler's module reduce.js, .mjs or .cjs is not in tests/fixtures/own-image (does a build step make it?)",
      'its handler (command, or the Dockerfile\'s CMD) is not "<file>.<export>": handler',
      'its handler (command, or the Dockerfile\'s CMD) is not "<file>.<export>": ../../../etc/passwd.handler',
      'its handler (command, or the Dockerfile\'s CMD) is not "<file>.<export>": handler.handler; rm -rf /',
    ]);
  });
});
