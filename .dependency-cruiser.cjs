/**
 * The direction of imports (README, "Files"): each folder may import only the folders before it
 * in data-flow order, so the governance model never depends on the pack, the pack never on the
 * program, and nothing but the CLI orchestrates. `npm test` runs this check.
 *
 *   kernel → stacks → components → (index.ts)
 *                  ↘ plan → rulebook → policies
 *   cli may use all of them; test, bench and scripts anything.
 */
const LAYERS = {
  kernel: [],
  stacks: ["kernel"],
  components: ["kernel", "stacks"],
  plan: ["kernel", "stacks"],
  rulebook: ["kernel", "stacks", "plan"],
  policies: ["kernel", "stacks", "plan", "rulebook"],
};

const layerRules = Object.entries(LAYERS).map(([layer, allowed]) => ({
  name: `${layer}-imports-only-earlier-layers`,
  comment: `${layer}/ may import ${allowed.length ? allowed.join(", ") : "nothing of the project"} (and itself)`,
  severity: "error",
  from: { path: `^${layer}/` },
  to: {
    path: "^(kernel|stacks|components|plan|rulebook|policies|cli|index\\.ts|test|bench|scripts)(/|$)",
    pathNot: `^(${[layer, ...allowed].join("|")})(/|$)`,
  },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "entry-imports-only-the-program",
      comment: "index.ts (the Pulumi entry) declares the program from the spec: kernel, stacks and components only",
      severity: "error",
      from: { path: "^index\\.ts$" },
      to: { path: "^(plan|rulebook|policies|cli|test|bench|scripts)/" },
    },
    {
      name: "cli-not-tests",
      severity: "error",
      from: { path: "^cli/" },
      to: { path: "^(test|bench|scripts)/" },
    },
    {
      name: "components-read-no-files",
      comment: "components get typed args from the entry; only their own assets are read, by components/shared/assets.ts",
      severity: "error",
      from: { path: "^components/", pathNot: "^components/shared/assets\\.ts$" },
      to: { path: "^(fs|node:fs|fs/promises|node:fs/promises)$", dependencyTypes: ["core"] },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-dev-dep",
      comment: "code that runs in coop, the program or the pack uses runtime dependencies only",
      severity: "error",
      from: { path: "^(kernel|stacks|components|plan|rulebook|policies|cli)/|^index\\.ts$" },
      to: { dependencyTypes: ["npm-dev"], pathNot: "node_modules/@types/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js", ".cjs", ".json"] },
  },
};
