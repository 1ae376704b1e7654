import { defineConfig } from "tsup";

// One ESM build with shared chunks: the `quarry` command, "quarry/cli", "quarry/migrations", "quarry/express" and "quarry/admin" use
// the very classes a project's models were defined with (the same Database, Field and META), not a second copy. The
// CommonJS entry points load this build through require(esm) (scripts/cjs-entries.mjs), never a second copy either.
export default defineConfig({
  entry: {
    index: "lib/index.ts",
    cli: "lib/cli/index.ts",
    migrations: "lib/migrations/index.ts",
    express: "lib/express/index.ts",
    admin: "lib/admin/index.ts",
    "quarry-bin": "lib/cli/main.ts",
  },
  format: ["esm"],
  dts: { entry: { index: "lib/index.ts", cli: "lib/cli/index.ts", migrations: "lib/migrations/index.ts", express: "lib/express/index.ts", admin: "lib/admin/index.ts" } },
  sourcemap: true,
  clean: true,
  target: "node20",
  // Bundling renames a class that refers to itself (class _QuerySet): without this, errors print as "_ValidationError"
  // and the REPL shows _QuerySet. Measured free: get-by-pk, fk-loads and select-related CPU on SQLite within noise.
  keepNames: true,
});
