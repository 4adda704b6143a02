import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // e2e suites start real daemons and children; two cores do not profit from more forks.
    maxWorkers: 2,
    // Every HTTP response a daemon under test sends is checked against openapi.yaml at the end.
    globalSetup: ["test/contract/global-setup.ts"],
  },
});
