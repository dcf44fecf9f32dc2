import { strict as assert } from "node:assert";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareStateFolder } from "../../dev/local-endpoints";

describe("npm run dev's state folder", () => {
  let parent: string;
  beforeEach(() => (parent = mkdtempSync(join(tmpdir(), "state-folder-"))));
  afterEach(() => rmSync(parent, { recursive: true, force: true }));
  const root = process.getuid?.() === 0;

  it(`is its owner's only${root ? ", but for passing through to PostgreSQL's data as root (0711)" : " (0700)"}, however it was left`, () => {
    chmodSync(parent, 0o711); // a place the postgres user can pass through, as the repository's folder is
    const state = join(parent, "nested", "state");
    prepareStateFolder(state);
    assert.equal(statSync(state).mode & 0o777, root ? 0o711 : 0o700);
    chmodSync(state, 0o777); // left open by something else
    prepareStateFolder(state);
    assert.equal(statSync(state).mode & 0o777, root ? 0o711 : 0o700);
  });

  it("refuses, untouched, a folder that holds anything else (GRAVITON_DEV_STATE_DIR=/tmp, say)", () => {
    const shared = join(parent, "shared");
    mkdirSync(shared, { mode: 0o1777 });
    chmodSync(shared, 0o1777);
    writeFileSync(join(shared, "someone-elses.txt"), "");
    assert.throws(() => prepareStateFolder(shared), /holds files that are not npm run dev's \(someone-elses\.txt\)/);
    assert.equal(statSync(shared).mode & 0o7777, 0o1777, "its permissions are as they were");
    // What a previous run left is the platform's own.
    chmodSync(parent, 0o711); // a place the postgres user can pass through
    const previous = join(parent, "previous");
    mkdirSync(join(previous, "postgres"), { recursive: true });
    writeFileSync(join(previous, "endpoints.json"), "{}");
    prepareStateFolder(previous);
  });

  (root ? it : it.skip)("as root, names a folder above it PostgreSQL's user cannot pass through, and what to do", () => {
    chmodSync(parent, 0o700);
    assert.throws(
      () => prepareStateFolder(join(parent, "state")),
      (error: Error) =>
        error.message.includes(`cannot enter ${parent}`) && /GRAVITON_DEV_STATE_DIR=\/tmp\/graviton-dev npm run dev/.test(error.message),
    );
  });
});
