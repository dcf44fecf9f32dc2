import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildContextHash } from "../../components/build-context-hash";

describe("buildContextHash", () => {
  let context: string;
  const write = (file: string, text: string) => {
    mkdirSync(join(context, file, ".."), { recursive: true });
    writeFileSync(join(context, file), text);
  };
  const hash = () => buildContextHash(context, join(context, "app/Dockerfile"));

  beforeEach(() => {
    context = mkdtempSync(join(tmpdir(), "context-"));
    write(".dockerignore", "*\n!package.json\n!app/\napp/dist/\n");
    write("package.json", "{}");
    write("app/Dockerfile", "FROM scratch\n");
    write("app/handler.ts", "export const a = 1;\n");
    write("README.md", "docs");
    write("app/dist/bundle.mjs", "built");
    write("node_modules/x/index.js", "dependency");
  });
  afterEach(() => rmSync(context, { recursive: true, force: true }));

  it("is stable for unchanged sources", () => assert.equal(hash(), hash()));

  it("changes when a file the build sees changes, or a new one appears", () => {
    const before = hash();
    write("app/handler.ts", "export const a = 2;\n");
    const edited = hash();
    assert.notEqual(edited, before);
    write("app/core/new.ts", "export {};\n");
    assert.notEqual(hash(), edited);
  });

  it("changes when the Dockerfile changes", () => {
    const before = hash();
    write("app/Dockerfile", 'FROM scratch\nCMD ["x"]\n');
    assert.notEqual(hash(), before);
  });

  it("ignores what .dockerignore excludes, as Docker does", () => {
    const before = hash();
    write("README.md", "changed docs");
    write("app/dist/bundle.mjs", "rebuilt");
    write("node_modules/x/index.js", "upgraded");
    assert.equal(hash(), before);
  });
});
