#!/usr/bin/env node
// One copy of the code whatever the import style: each `require` entry point loads the ES module build
// through Node's require(esm) (on by default since Node 20.19), so classes and errors are the same for both.
//   node scripts/cjs-entries.mjs   (run by `npm run build`, after tsup)
import { writeFileSync } from "node:fs";

for (const name of ["index", "express", "admin"]) {
  writeFileSync(`dist/${name}.cjs`, `"use strict";\n// The ES module build, through require(esm): one copy of quarry for import and require.\nmodule.exports = require("./${name}.js");\n`);
  writeFileSync(`dist/${name}.d.cts`, `export * from "./${name}.js";\n`);
}
