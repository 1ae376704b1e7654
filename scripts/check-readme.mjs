#!/usr/bin/env node
// README examples type-check as written, the way a user's project compiles them: every ```ts block becomes a module
// of a new project with the packed package installed (.generated/readme/app), checked with `declaration: true` (what
// libraries and composite projects use: every type an inferred model type names must be exported by quarry) and
// `types: []`. A block that imports "quarry" stands alone (its top-level declarations exported, as a library's
// models are); any other runs inside an async function with the models of tests/types/readme-prelude.ts in scope.
// The blocks that need no other package are checked again in a project with no @types at all
// (.generated/readme/portable): quarry's .d.ts must not need @types/node, and `database.on` stays typed there.
// TypeScript 7 (@typescript/native-preview's tsgo) checks both projects too. Run `npm run build` first.
//   node scripts/check-readme.mjs
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packedProject, repository } from "./packed-project.mjs";

const out = join(repository, ".generated", "readme");
const blocks = [...readFileSync(join(repository, "README.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);

const examples = blocks.map((code, index) => {
  // Imports go on top of the module, the rest inside the function.
  const imports = code.match(/^import .*;$/gm) ?? [];
  const body = code.replace(/^import .*;\n/gm, "");
  const source = code.includes('from "quarry"')
    ? code.replace(/^(const|let|class|function|async function) /gm, "export $1 ")
    : `import * as orm from "quarry";\nimport { sql } from "quarry";\nimport * as models from "./prelude.js";\n${imports.join("\n")}\n` +
      `const { database, Customer, Order, Post, Album, Track } = models;\n\n` +
      `export async function example(): Promise<void> {\n${body}}\n\nvoid orm; void sql; void database; void Customer; void Order; void Post; void Album; void Track;\n`;
  return {
    name: `example-${index + 1}.ts`,
    text: `// README.md, \`\`\`ts block ${index + 1}: generated, do not edit.\n${source.includes("export") ? source : `${source}\nexport {};\n`}`,
    // Needs nothing but quarry: no other package, no Node global (process, Buffer, AbortController) that a project
    // gets from @types/node.
    onlyQuarry: imports.every((line) => /from "quarry"/.test(line)) && !/\b(process\.|Buffer\.|AbortController\b|AbortSignal\b)/.test(code),
  };
});

const prelude = readFileSync(join(repository, "tests", "types", "readme-prelude.ts"), "utf8").replace('from "../../lib/index.js"', 'from "quarry"');
const typedEvents = `import * as orm from "quarry";
export const database = new orm.Database("sqlite::memory:");
database.on("query", (event) => {
  const text: string = event.sql;
  const milliseconds: number = event.durationMs;
  void text;
  void milliseconds;
});
// @ts-expect-error an event the database does not have
database.on("no such event", () => {});
`;
const tsconfig = (include) =>
  JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2023"],
      types: [],
      strict: true,
      declaration: true,
      emitDeclarationOnly: true,
      outDir: "declarations",
      // quarry's own .d.ts is checked too.
      skipLibCheck: false,
    },
    include,
  });
const filesOf = (chosen, extra = {}) => ({
  ...Object.fromEntries(chosen.map((example) => [example.name, example.text])),
  "prelude.ts": prelude,
  ...extra,
});

const portable = examples.filter((example) => example.onlyQuarry);
const projects = [
  await packedProject(join(out, "app"), { files: filesOf(examples, { "tsconfig.json": tsconfig(["*.ts"]) }), links: ["express", "@types"] }),
  await packedProject(join(out, "portable"), {
    // The examples print with console, which a project without @types/node or the DOM library declares itself.
    files: filesOf(portable, { "events.ts": typedEvents, "console.d.ts": "declare const console: { log(...data: unknown[]): void };\n", "tsconfig.json": tsconfig(["*.ts"]) }),
  }),
];

const compilers = [["TypeScript", join(repository, "node_modules", "typescript", "bin", "tsc")]];
const tsgo = join(repository, "node_modules", "@typescript", "native-preview", "bin", "tsgo");
if (existsSync(tsgo)) compilers.push(["TypeScript 7 (tsgo)", tsgo]);
let failed = false;
for (const [compiler, bin] of compilers) {
  for (const project of projects) {
    try {
      execFileSync(process.execPath, [bin, "-p", project], { stdio: "inherit" });
    } catch {
      failed = true;
      console.error(`README: ${compiler} refused ${project} (see above)`);
    }
  }
}
if (failed) process.exit(1);
console.log(
  `README: ${blocks.length} TypeScript examples type-check with declarations emitted, ${portable.length} of them without @types/node too, on ${compilers.map(([name]) => name).join(" and ")}`,
);
