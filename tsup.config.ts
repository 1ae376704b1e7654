import { defineConfig } from "tsup";

export default defineConfig([
  {
    // One ESM build with shared chunks: the `quarry` command and "quarry/cli" use the very classes a project's
    // models were defined with (the same Database, Field and META), not a second copy.
    entry: { index: "lib/index.ts", cli: "lib/cli/index.ts", migrations: "lib/migrations/index.ts", "quarry-bin": "lib/cli/main.ts" },
    format: ["esm"],
    dts: { entry: { index: "lib/index.ts", cli: "lib/cli/index.ts", migrations: "lib/migrations/index.ts" } },
    sourcemap: true,
    clean: true,
    target: "node20",
  },
  {
    // sql-template-tag ships ESM only: bundle it so `require("quarry")` works on every Node 20.
    entry: { index: "lib/index.ts" },
    format: ["cjs"],
    dts: true,
    sourcemap: true,
    target: "node20",
    noExternal: ["sql-template-tag"],
  },
]);
