import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each test file gets its own process: the Pulumi runtime and the policy server are process-global.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
