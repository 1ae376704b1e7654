#!/usr/bin/env node
// README examples type-check as written: every ```ts block becomes a module under
// .generated/readme/ (outside tests/: they are not tests) and tsc checks them all. A block that imports "quarry" stands alone;
// any other runs inside an async function with the models of tests/types/readme-prelude.ts in scope.
//   node scripts/check-readme.mjs
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, ".generated", "readme");
const lib = "../../lib/index.js";

const blocks = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
blocks.forEach((code, index) => {
  const source = code.includes('from "quarry"')
    ? code.replaceAll('from "quarry"', `from "${lib}"`)
    : `import * as orm from "${lib}";\nimport { sql } from "${lib}";\nimport * as models from "../../tests/types/readme-prelude.js";\n` +
      `const { database, Customer, Order, Post, Album, Track } = models;\n\n` +
      `export async function example(): Promise<void> {\n${code}}\n\nvoid orm; void sql; void database; void Customer; void Order; void Post; void Album; void Track;\n`;
  writeFileSync(join(out, `example-${index + 1}.ts`), `// README.md, \`\`\`ts block ${index + 1}: generated, do not edit.\n${source.includes("export") ? source : `${source}\nexport {};\n`}`);
});
writeFileSync(
  join(out, "tsconfig.json"),
    // Examples name results to show them (`const notes = ...`) without using them all.
  JSON.stringify(
    { extends: "../../tsconfig.json", include: ["*.ts"], exclude: [], compilerOptions: { noEmit: true, declaration: false, noUnusedLocals: false, noUnusedParameters: false } },
    null,
    2,
  ),
);
try {
  execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(out, "tsconfig.json")], { stdio: "inherit" });
  console.log(`README: ${blocks.length} TypeScript examples type-check`);
} catch {
  console.error("README: examples do not type-check (see above; files in .generated/readme/)");
  process.exit(1);
}
