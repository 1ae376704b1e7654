import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { readCatalog } from "../lib/schema/index.js";
import { modelsModule } from "../lib/schema/inspect.js";
import { describeEachDialect } from "./helpers/databases.js";
import { TempProject } from "./helpers/project.js";

/** A type none of quarry's fields maps to, per database. */
const UNKNOWN_TYPE: Record<orm.DialectName, string> = { sqlite: "GEOMETRY", postgresql: "INET", mysql: "BIT(8)" };
const TIMESTAMP: Record<orm.DialectName, string> = { sqlite: "DATETIME", postgresql: "TIMESTAMP", mysql: "DATETIME" };

describeEachDialect("inspectdb's choices", ({ database, dialect, url }) => {
  const q = (name: string) => database.dialect.quote(name);
  let source: string;
  beforeAll(async () => {
    const statements = [
      `CREATE TABLE ${q("person")} (${q("id")} INTEGER PRIMARY KEY, ${q("name")} VARCHAR(50) NOT NULL, ` +
        `${q("mentor_id")} INTEGER REFERENCES ${q("person")} (${q("id")}) ON DELETE SET NULL, ` +
        `${q("manager_id")} INTEGER REFERENCES ${q("person")} (${q("id")}) ON DELETE CASCADE)`,
      `CREATE TABLE ${q("ticket_items")} (${q("id")} INTEGER PRIMARY KEY, ` +
        `${q("status")} VARCHAR(10) DEFAULT 'open' NOT NULL CHECK (${q("status")} IN ('open', 'closed')), ` +
        `${q("qty")} INTEGER DEFAULT 1 NOT NULL CHECK (${q("qty")} > 0), ${q("address")} ${UNKNOWN_TYPE[dialect]}, ` +
        `${q("created")} ${TIMESTAMP[dialect]} DEFAULT CURRENT_TIMESTAMP, ${q("code")} VARCHAR(8) NOT NULL UNIQUE, ` +
        `${q("owner")} INTEGER NOT NULL REFERENCES ${q("person")} (${q("id")}), ${q("class")} INTEGER, ${q("delete")} INTEGER, ` +
        `UNIQUE (${q("qty")}, ${q("created")}))`,
      `CREATE INDEX ${q("ticket_items_class")} ON ${q("ticket_items")} (${q("class")})`,
    ];
    for (const statement of statements) await database.execute(orm.raw(statement));
    source = modelsModule(await readCatalog(database), { url: "sqlite::memory:" });
  });

  test("two foreign keys to one model get reverse names that do not clash", () => {
    expect(source).toContain('mentor: orm.ForeignKey("self", { onDelete: "SET NULL", allowNull: true })');
    expect(source).toContain('manager: orm.ForeignKey("self", { relatedName: "personsByManager", allowNull: true })');
    expect(source).toContain("declare persons: orm.RelatedManager<Person>;");
    expect(source).toContain("declare personsByManager: orm.RelatedManager<Person>;");
  });

  test("a CHECK listing choices is an Enum; constant defaults, uniqueness and indexes are stated; names keep their columns", () => {
    expect(source).toContain('export class TicketItems extends orm.Model.define("TicketItems", {');
    // ticket_items is TicketItems' default table name, so none is given.
    expect(source).toMatch(/"TicketItems", \{\n(  .*\n)+\}, \{ database(, constraints: .*)? \}\) \{/);
    expect(source).toContain('status: orm.Enum(["open", "closed"], { default: "open" }),');
    expect(source).toContain("qty: orm.Integer({ default: 1 }),");
    expect(source).toContain("created: orm.DateTime({ allowNull: true, autoNowAdd: true }),");
    expect(source).toContain("code: orm.String({ maxLength: 8, unique: true }),");
    expect(source).toContain('owner: orm.ForeignKey(Person, { onDelete: "RESTRICT", column: "owner" }),');
    expect(source).toContain('class: orm.Integer({ allowNull: true, index: true }),');
    expect(source).toContain('deleteField: orm.Integer({ allowNull: true, column: "delete" }),');
    expect(source.indexOf("export class Person ")).toBeLessThan(source.indexOf("export class TicketItems "));
  });

  test("what quarry cannot state is said in a comment, never dropped; a composite UNIQUE is stated", () => {
    expect(source).toMatch(/\/\/ CHECK .*qty.* > .*0.* is not stated here/);
    // A composite UNIQUE is a model option, named as the database named it where that is not quarry's name.
    expect(source).toMatch(/\}, \{ database, constraints: \[\{ unique: \["qty", "created"\](, name: "\w+")? \}\] \}\) \{/);
    expect(source).toMatch(new RegExp(`// address: type ${UNKNOWN_TYPE[dialect].replace(/[()]/g, "\\$&")} has no quarry field: read as Text, a guess`, "i"));
    expect(source).toContain("address: orm.Text({ allowNull: true }),");
  });

  test("--initial-migration writes the first migration of the written models and records it as applied, so the database joins the migrations flow", async () => {
    const project = new TempProject()
      .write("inspect.config.mjs", `export default { database: ${JSON.stringify(url)}, migrations: "./migrations" };\n`)
      .write("quarry.config.mjs", `export default { database: ${JSON.stringify(url)}, models: ["./models.ts"], migrations: "./migrations" };\n`);
    try {
      expect((await project.run(["inspectdb", "--initial-migration", "--config", "inspect.config.mjs"])).code).toBe(2);
      const inspected = await project.run(["inspectdb", "--out", "models.ts", "--initial-migration", "--config", "inspect.config.mjs"]);
      expect(inspected.code, inspected.stderr).toBe(0);
      expect(project.files("migrations")).toEqual(["0001_initial.ts"]);
      expect(project.read("migrations/0001_initial.ts")).toContain("CreateModel");
      const shown = await project.run(["showmigrations"]);
      expect(shown.stdout).toMatch(/\[X\] 0001_initial/);
      const check = await project.run(["makemigrations", "--check"]);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      const nothing = await project.run(["migrate"]);
      expect(nothing.code).toBe(0);
      // Nothing ran: the tables the database had are still the only ones, with their rows' shape.
      expect((await readCatalog(database)).tables.map((table) => table.name).filter((name) => !name.startsWith("quarry_"))).toEqual(["person", "ticket_items"]);
    } finally {
      project.destroy();
      // The history table is this test's: the others read the database's tables.
      await database.execute(orm.raw(`DROP TABLE IF EXISTS ${q("quarry_migrations")}`));
    }
  });

  test("--tables limits the module; an unknown table is exit code 2 naming the tables there are", async () => {
    const project = new TempProject().write("quarry.config.mjs", `export default { database: ${JSON.stringify(url)} };\n`);
    try {
      const some = await project.run(["inspectdb", "--tables", "person"]);
      expect(some.code).toBe(0);
      expect(some.stdout).toContain('export class Person extends orm.Model.define("Person"');
      expect(some.stdout).not.toContain("TicketItems");
      const unknown = await project.run(["inspectdb", "--tables", "person,nope"]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/No table "nope" in .*; it has: person, ticket_items/);
    } finally {
      project.destroy();
    }
  });
});
