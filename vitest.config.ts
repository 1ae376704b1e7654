import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Replication tests need the servers of scripts/cluster.sh: npm run test:cluster.
    exclude: [...configDefaults.exclude, "tests/cluster/**"],
    testTimeout: 30_000,
    reporters: ["default", "./tests/helpers/summary-reporter.ts"],
    hookTimeout: 60_000,
    // Each file owns its schema or database, so files run in parallel safely.
    fileParallelism: true,
    typecheck: { enabled: true, include: ["tests/types/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
  },
});
