import { strict as assert } from "node:assert";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connectionNotifier, managementClient } from "../../app/jobs/connection-notifier";
import { freePort } from "../../dev/postgres/embedded-postgres";

describe("connection notifier: PostToConnection signed with aws4fetch, bounded and retried once", () => {
  const saved = { ...process.env };
  let server: Server;
  let answers: number[];
  const requests: { path: string; authorization?: string; body: string }[] = [];
  const endpoint = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/live`;

  before(async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "token" });
    server = createServer(async (request, response) => {
      let body = "";
      for await (const chunk of request) body += chunk;
      requests.push({ path: request.url!, authorization: request.headers.authorization, body });
      response.writeHead(answers.shift() ?? 200).end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  beforeEach(() => (requests.length = 0));
  after(() => {
    server.close();
    process.env = saved;
  });

  const notify = (connectionId: string, endpointUrl = endpoint()) =>
    connectionNotifier(managementClient(endpointUrl, "us-east-1")).notify(connectionId, { jobId: "j" }, AbortSignal.timeout(10_000));

  it("posts the message to @connections/{id} (the id encoded), signed for execute-api in the region", async () => {
    answers = [200];
    assert.equal(await notify("L0SM9cOFvHcCIhw="), "delivered");
    assert.equal(requests[0].path, "/live/@connections/L0SM9cOFvHcCIhw%3D");
    assert.match(requests[0].authorization!, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/execute-api\/aws4_request, /);
    assert.deepEqual(JSON.parse(requests[0].body), { jobId: "j" });
  });

  it("410 is a gone client; a 5xx or 429 is tried once more; any other answer is an error, not retried", async () => {
    answers = [410];
    assert.equal(await notify("c"), "gone");
    answers = [500, 200];
    assert.equal(await notify("c"), "delivered");
    assert.equal(requests.length, 3);
    answers = [429, 503];
    await assert.rejects(notify("c"), /PostToConnection answered 503/);
    answers = [400];
    await assert.rejects(notify("c"), /PostToConnection answered 400/);
    assert.equal(requests.length, 6);
  });

  it("a refused connection is tried once more, then fails", async () => {
    await assert.rejects(notify("c", `http://127.0.0.1:${await freePort()}/live`), /fetch failed/);
  });
});
