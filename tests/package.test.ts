import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, expect, test } from "vitest";
import { packedProject, repository } from "../scripts/packed-project.mjs";

const run = promisify(execFile);

// One process that requires and imports the packed package: both must be one copy of quarry.
const consumer = `
const required = require("quarry");
const requiredExpress = require("quarry/express");
(async () => {
  const imported = await import("quarry");
  const importedExpress = await import("quarry/express");
  const database = new imported.Database("sqlite::memory:");
  const Note = imported.Model.define("Note", { text: imported.String({ maxLength: 20 }) }, { database });
  const note = new Note({ text: "hi" });
  const checks = {
    sameDatabaseClass: required.Database === imported.Database,
    importedErrorIsRequiredClass: new imported.ValidationError("x") instanceof required.ValidationError,
    requiredErrorIsImportedClass: new required.IntegrityError("x") instanceof imported.OrmError,
    instanceOfRequiredModel: note instanceof required.Model,
    databaseOfRequiredClass: database instanceof required.Database,
    sameExpressMiddleware: requiredExpress.atomicRequests === importedExpress.atomicRequests,
  };
  let thrown;
  try {
    await Note.objects.get({ text__nonsense: 1 });
  } catch (error) {
    thrown = error;
  }
  checks.thrownIsRequiredClass = thrown instanceof required.OrmError;
  // What a stack trace, a log line and the REPL print: the classes' own names, not the bundler's.
  const { inspect } = require("node:util");
  checks.names = [
    new imported.ValidationError("x").name,
    String(thrown).split(":")[0],
    imported.Database.name,
    inspect(Note.objects.filter({ text: "hi" })).split(" ")[0],
    inspect(Note).split(" ").at(-1).slice(0, -1),
    imported.Q.name,
  ];
  await database.disconnect();
  console.log(JSON.stringify(checks));
})();
`;

let project: string;
// Packed through prepack, which builds: the tarball holds this checkout's code.
beforeAll(async () => {
  project = await packedProject(mkdtempSync(join(tmpdir(), "quarry-packed-")), { files: { "consumer.cjs": consumer }, links: ["better-sqlite3"], build: true });
}, 300_000);

test("require() and import of the packed package give one copy: instanceof holds both ways", async () => {
  const { stdout } = await run(process.execPath, [join(project, "consumer.cjs")], { cwd: project });
  expect(JSON.parse(stdout)).toEqual({
    sameDatabaseClass: true,
    importedErrorIsRequiredClass: true,
    requiredErrorIsImportedClass: true,
    instanceOfRequiredModel: true,
    databaseOfRequiredClass: true,
    sameExpressMiddleware: true,
    thrownIsRequiredClass: true,
    names: ["ValidationError", "UnknownFieldError", "Database", "QuerySet", "Model", "Q"],
  });
});

test("the README's examples compile in a project of their own with declaration: true, and without @types/node (TypeScript 5 and 7)", async () => {
  const { stdout } = await run(process.execPath, [join(repository, "scripts", "check-readme.mjs")], { cwd: repository });
  expect(stdout).toMatch(/README: \d+ TypeScript examples type-check with declarations emitted, \d+ of them without @types\/node too, on TypeScript and TypeScript 7/);
}, 600_000);
