import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: { index: "lib/index.ts" },
    format: ["esm"],
    dts: true,
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
