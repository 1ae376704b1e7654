import { defineConfig } from "vitest/config";

/**
 * tests/cluster: real replication, on the servers scripts/cluster.sh starts (npm run test:cluster; .ci/run starts
 * them first). The files stop, kill and promote those shared servers, so they run one after another.
 */
export default defineConfig({
  test: {
    include: ["tests/cluster/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { shuffle: false },
    reporters: ["default", "./tests/helpers/summary-reporter.ts"],
  },
});
