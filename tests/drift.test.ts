import { afterAll, beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { readCatalog } from "../lib/schema/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { TempProject } from "./helpers/project.js";

const MODELS = `import * as orm from "quarry";
export const database = new orm.Database(process.env.QUARRY_DATABASE_URL!);
export const Author = orm.Model.define("Author", { name: orm.String({ maxLength: 80 }) }, { database });
export const Note = orm.Model.define("Note", {
  author: orm.ForeignKey(Author),
  text: orm.String({ maxLength: 100, index: true }),
  done: orm.Boolean({ default: false }),
}, { database, tablename: "notes" });
`;

describeEachDialect("quarry diff (drift)", ({ database, url }) => {
  const project = new TempProject()
    .write("models.ts", MODELS)
    .write("quarry.config.ts", `import { database } from "./models.js";\nexport default { database, models: ["./models.ts"], migrations: "./migrations" };\n`);
  const env = { QUARRY_DATABASE_URL: url };
  const q = (name: string) => database.dialect.quote(name);

  beforeAll(async () => {
    expect((await project.run(["makemigrations"], { env })).code).toBe(0);
    const migrated = await project.run(["migrate"], { env });
    expect(migrated.stderr).toBe("");
    expect(migrated.code).toBe(0);
  }, 60_000);
  afterAll(() => project.destroy());

  test("on a database as its migrations left it: exit 0", async () => {
    const result = await project.run(["diff"], { env });
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/No drift: .* is the schema its 1 applied migrations make/);
    expect(result.code).toBe(0);
  }, 60_000);

  test("a column added and an index dropped by hand are both named, exit 1, and nothing is changed", async () => {
    const index = (await readCatalog(database, { tables: ["notes"] })).tables[0]!.indexes.find((candidate) => candidate.columns[0] === "text")!;
    await database.execute(orm.raw(`ALTER TABLE ${q("notes")} ADD COLUMN ${q("priority")} INTEGER`));
    await database.execute(orm.raw(database.dialect.name === "mysql" ? `DROP INDEX ${q(index.name)} ON ${q("notes")}` : `DROP INDEX ${q(index.name)}`));
    const before = await readCatalog(database);
    const result = await project.run(["diff"], { env });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("column notes.priority (integer) was added");
    expect(result.stdout).toContain(`index ${index.name} on notes (text) is missing`);
    expect(result.stdout.trim().split("\n")).toHaveLength(3);
    const json = JSON.parse((await project.run(["diff", "--json"], { env })).stdout);
    expect(json.differences.map((difference: { kind: string; change: string }) => `${difference.kind} ${difference.change}`)).toEqual(["column added", "index missing"]);
    expect(await readCatalog(database)).toEqual(before);
  }, 60_000);
});
