/** The workflows' matrix.stack and npm start follow the fork's stacks; every other byte stays. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withMatrixStacks, withStartStack, workflowNamesStacks } from "../../../cli/edit/stack-names";
import { REPO_ROOT } from "../../helpers/repo";

describe("stack names in CI and npm start", () => {
  it("sets every matrix.stack list of a workflow, keeping the comment after it and every other line", () => {
    const text = readFileSync(join(REPO_ROOT, ".github/workflows/governance.yml"), "utf8");
    expect(workflowNamesStacks(text)).toBe(true);
    const next = withMatrixStacks(text, ["river", "river-mail"]);
    const a = text.split("\n");
    const b = next.split("\n");
    expect(b).toHaveLength(a.length);
    const changed = a.map((l, i) => [l, b[i]]).filter(([x, y]) => x !== y);
    expect(changed).toEqual([
      [
        "        stack: [prod] # one entry per stacks/<name>.yaml you deploy",
        "        stack: [river, river-mail] # one entry per stacks/<name>.yaml you deploy",
      ],
    ]);
    expect(withMatrixStacks(next, ["river", "river-mail"])).toBe(next);
  });

  it("a block list and a workflow without a matrix", () => {
    const block =
      "jobs:\n  deploy:\n    strategy:\n      matrix:\n        # ours\n        stack:\n          - prod\n          - test\n    steps: []\n";
    expect(withMatrixStacks(block, ["river"])).toBe(
      "jobs:\n  deploy:\n    strategy:\n      matrix:\n        # ours\n        stack:\n          - river\n    steps: []\n",
    );
    const none = "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n";
    expect(workflowNamesStacks(none)).toBe(false);
    expect(withMatrixStacks(none, ["river"])).toBe(none);
  });

  it("npm start moves off a stack that is gone, and only then", () => {
    const pkg = '{\n  "scripts": {\n    "start": "node bin/coop.js gate --stack example",\n    "test": "vitest"\n  }\n}\n';
    expect(withStartStack(pkg, ["prod"], "prod")).toBe(pkg.replace("--stack example", "--stack prod"));
    expect(withStartStack(pkg, ["example", "prod"], "prod")).toBe(pkg);
    const other = '{ "scripts": { "start": "node server.js" } }';
    expect(withStartStack(other, ["prod"], "prod")).toBe(other);
  });
});
