import { strict as assert } from "node:assert";
import { createServer, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import { claimsAsStrings, httpApiEvent, httpResponseOf, httpRoute } from "../../../dev/apigateway/http-api-event";

/** Sends one request, byte for byte, to a local server and returns the payload 2.0 event made of what it received. */
async function eventFor(path: string, headers: [string, string][], body = ""): Promise<any> {
  let captured: any;
  const server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    captured = httpApiEvent(request, Buffer.concat(chunks), { routeKey: "POST /jobs/{id}", pathParameters: { id: "a b" } }, "REQ");
    response.end();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", () => done()));
  try {
    const bytes = Buffer.from(body, "latin1");
    const head = [
      `POST ${path} HTTP/1.1`,
      "Host: 127.0.0.1",
      `Content-Length: ${bytes.length}`,
      "Connection: close",
      ...headers.map(([name, value]) => `${name}: ${value}`),
    ];
    await new Promise<void>((done, fail) => {
      const socket = connect((server.address() as { port: number }).port, "127.0.0.1", () =>
        socket.end(Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`), bytes])),
      );
      socket
        .on("error", fail)
        .on("close", () => done())
        .resume();
    });
  } finally {
    server.close();
  }
  return captured;
}

describe("local HTTP API: payload format 2.0 as API Gateway builds it", () => {
  it("matches routes by method and path, with {name} for one segment and {name+} for the rest", () => {
    const route = httpRoute("GET /jobs/{id}");
    assert.deepEqual(route.match("GET", "/jobs/abc%3D"), { id: "abc=" });
    assert.equal(route.match("GET", "/jobs/a/b"), undefined);
    assert.equal(route.match("POST", "/jobs/abc"), undefined);
    assert.equal(route.match("GET", "/jobs/"), undefined);
    assert.equal(route.match("GET", "/jobs/%zz"), undefined, "a malformed escape matches nothing");
    assert.deepEqual(httpRoute("ANY /files/{path+}").match("DELETE", "/files/a/b"), { path: "a/b" });
    assert.equal(httpRoute("GET /a.b").match("GET", "/aXb"), undefined, "a dot is a dot");
  });

  it("joins repeated headers and query parameters with commas, keeps cookies apart, and base64-encodes binary bodies", async () => {
    const event = await eventFor(
      "/jobs/x?max=1&max=2&empty=&q=%00",
      [
        ["X-Twice", "one"],
        ["x-twice", "two"],
        ["Cookie", "a=1; b=2"],
        ["Content-Type", "application/octet-stream"],
      ],
      "\u0000\u00ff", // two bytes: 0x00 0xff
    );
    assert.equal(event.headers["x-twice"], "one,two");
    assert.deepEqual(event.cookies, ["a=1", "b=2"]);
    assert.equal(event.headers.cookie, undefined);
    assert.deepEqual(event.queryStringParameters, { max: "1,2", empty: "", q: "\u0000" });
    assert.equal(event.rawQueryString, "max=1&max=2&empty=&q=%00");
    assert.deepEqual(event.pathParameters, { id: "a b" });
    assert.equal(event.isBase64Encoded, true);
    assert.deepEqual([...Buffer.from(event.body, "base64")], [0x00, 0xff]);
    assert.equal(event.requestContext.requestId, "REQ");
    assert.match(event.requestContext.time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it("passes JSON bodies as text and leaves out what a request does not have", async () => {
    const json = await eventFor("/jobs/x", [["content-type", "application/json; charset=utf-8"]], '{"a":"\u00c3\u00a9"}'); // é in UTF-8, sent as bytes
    assert.deepEqual([json.body, json.isBase64Encoded], ['{"a":"é"}', false]);
    const empty = await eventFor("/jobs/x", []);
    assert.deepEqual(
      [empty.body, empty.isBase64Encoded, empty.queryStringParameters, empty.cookies],
      [undefined, false, undefined, undefined],
    );
  });

  it("passes the token's claims as strings, as the JWT authorizer does", () => {
    assert.deepEqual(claimsAsStrings({ sub: "u", exp: 17, groups: ["a", "b"], nested: { x: 1 } }), {
      sub: "u",
      exp: "17",
      groups: "[a b]",
      nested: '{"x":1}',
    });
  });

  it("turns a result into the response API Gateway makes of it", () => {
    const structured = httpResponseOf({ statusCode: 201, headers: { "X-A": 1 }, body: "aGk=", isBase64Encoded: true, cookies: ["c=1"] });
    assert.deepEqual(
      [structured.statusCode, structured.headers, structured.body.toString()],
      [201, { "x-a": "1", "set-cookie": ["c=1"] }, "hi"],
    );
    const inferred = httpResponseOf({ hello: "world" });
    assert.deepEqual(
      [inferred.statusCode, inferred.headers["content-type"], inferred.body.toString()],
      [200, "application/json", '{"hello":"world"}'],
    );
    assert.equal(httpResponseOf({ statusCode: "200" }).statusCode, 500, "a statusCode that is not a number is the gateway's 500");
    assert.equal(httpResponseOf(null).body.toString(), "null");
  });
});
