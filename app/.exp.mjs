import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
const cases = {
  bare: `export const x = 1;`,
  tls: `import tls from "node:tls"; export const x = tls;`,
  net: `import net from "node:net"; export const x = net;`,
  crypto: `import c from "node:crypto"; export const x = c;`,
  https: `import c from "node:https"; export const x = c;`,
  pgcore: `import Client from "pg/lib/client.js"; export const x = Client;`,
  pg: `import pg from "pg"; export const x = pg.Pool;`,
  pgzod: `import pg from "pg"; import * as z from "zod/mini"; export const x = [pg.Pool, z.object];`,
  powertools: `import { Logger } from "@aws-lambda-powertools/logger"; import { Metrics } from "@aws-lambda-powertools/metrics"; export const l = new Logger(); export const m = new Metrics({namespace:"x"});`,
  logger: `import { Logger } from "@aws-lambda-powertools/logger"; export const l = new Logger();`,
  signer: `import { Signer } from "@aws-sdk/rds-signer"; export const s = Signer;`,
  sigv4: `import { SignatureV4 } from "@smithy/signature-v4"; export const s = SignatureV4;`,
};
const only = process.argv.slice(2);
const NODE = process.env.NODE_BIN ?? process.execPath;
const t = (args) => {
  const s = process.hrtime.bigint();
  const r = spawnSync(NODE, args, { stdio: "inherit" });
  if (r.status) throw new Error("fail " + args);
  return Number(process.hrtime.bigint() - s) / 1e6;
};
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
const out = {};
for (const [name, src] of Object.entries(cases)) {
  if (only.length && !only.includes(name) && name !== "bare") continue;
  writeFileSync(`/tmp/exp/${name}.ts`, src);
  try {
    await build({
      entryPoints: [`/tmp/exp/${name}.ts`],
      outfile: `/tmp/exp/${name}.mjs`,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node22",
      minify: true,
      nodePaths: [process.cwd() + "/node_modules", process.cwd() + "/../node_modules"],
      banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
      logLevel: "error",
    });
    out[name] = { bytes: statSync(`/tmp/exp/${name}.mjs`).size, t: [] };
  } catch (e) {
    console.log(name, "build failed", e.message.slice(0, 200));
  }
}
const bare = [];
for (let i = 0; i < 15; i++) {
  bare.push(t(["-e", "0"]));
  for (const n of Object.keys(out)) out[n].t.push(t(["--input-type=module", "-e", `await import("/tmp/exp/${n}.mjs")`]));
}
const b = med(bare);
console.log("bare", b.toFixed(1));
for (const [n, o] of Object.entries(out)) console.log(n.padEnd(12), String(o.bytes).padStart(8), (med(o.t) / b).toFixed(2) + "x");
