import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, test } from "vitest";
import { readme, readmeBlock, runScript } from "./helpers/scripts.js";

const repository = resolve(import.meta.dirname, "..");
const packageJson = JSON.parse(readFileSync(join(repository, "package.json"), "utf8")) as { license: string; files: string[] };

test("every file the README links to is in the repository; the contract and the licence are in the package too", () => {
  const links = [...readme.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)].map((match) => match[1]!);
  expect(links).toEqual(expect.arrayContaining(["docs/SPEC.md", "LICENSE"]));
  for (const link of links) expect(existsSync(join(repository, link)), link).toBe(true);
  for (const packed of ["docs/SPEC.md", "LICENSE"]) {
    expect(packageJson.files.some((entry) => packed === entry || packed.startsWith(`${entry}/`)), `${packed} is packed`).toBe(true);
  }
});

test("the README says which driver package each database needs", () => {
  const install = readme.slice(readme.indexOf("## Install"), readme.indexOf("\n## ", readme.indexOf("## Install") + 1));
  for (const driver of ["better-sqlite3", "pg", "mysql2"]) expect(install).toContain(`npm install quarry ${driver}`);
});

test("the README documents the features users found working but unwritten", () => {
  for (const feature of ["dropAll()", "unique", "index", "autoNow", "minimum", "updateOrCreate(", "search(", "inBulk(", "new Product(", "save()"]) {
    expect(readme, feature).toContain(feature);
  }
});

test("there is a LICENSE, and it is the licence package.json names", () => {
  expect(packageJson.license).toBe("MIT");
  expect(readFileSync(join(repository, "LICENSE"), "utf8")).toMatch(/^MIT License/);
});

test("the README's \"At a glance\" example runs as written", async () => {
  const output = await runScript(mkdtempSync(join(tmpdir(), "quarry-glance-")), `${readmeBlock("### At a glance")}\nconsole.log(JSON.stringify({ created, made, found: found.length, name: byKey.get(pen.pk)?.name, stock: same.stock }));\n`);
  expect(JSON.parse(output)).toEqual({ created: true, made: false, found: 1, name: "Pen", stock: 4 });
}, 90_000);
