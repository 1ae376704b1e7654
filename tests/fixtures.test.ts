import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadChinookWithPlainSql } from "./helpers/chinook.js";
import { DIALECTS, describeEachDialect, placeFor } from "./helpers/databases.js";
import { TempProject } from "./helpers/project.js";

const MODELS = `import * as orm from "quarry";
export const database = new orm.Database(process.env.QUARRY_DATABASE_URL!);
export const Department = orm.Model.define("Department", { name: orm.String({ maxLength: 40 }), budget: orm.BigInteger() }, { database });
export const Employee = orm.Model.define("Employee", {
  name: orm.String({ maxLength: 40 }),
  department: orm.ForeignKey(Department),
  boss: orm.ForeignKey("self", { allowNull: true, onDelete: "SET NULL", relatedName: "reports" }),
  hired: orm.DateTime(),
  salary: orm.Decimal({ maxDigits: 9, decimalPlaces: 2 }),
  notes: orm.JSON({ allowNull: true }),
}, { database });
`;
const CONFIG = `import { database } from "./models.js";\nexport default { database, models: ["./models.ts"] };\n`;

describeEachDialect("dumpdata and loaddata", ({ url }) => {
  const project = new TempProject().write("models.ts", MODELS).write("quarry.config.ts", CONFIG);
  const env = { QUARRY_DATABASE_URL: url };

  /** What `quarry shell -e` prints for `code`, in the project. */
  const evaluate = async (code: string) => {
    const result = await project.run(["shell", "-e", code], { env });
    expect(result.stderr).toBe("");
    return result.stdout.trim();
  };

  beforeAll(async () => {
    // The boss is created after the report, so key order alone would load a row before the row it points at.
    await evaluate(`await database.createAll();
      const sales = await Department.objects.create({ name: "Sales", budget: 9007199254740993n });
      const report = await Employee.objects.create({ name: "Ann", department: sales, hired: new Date("1999-12-31T23:59:59.123Z"), salary: "1200.50", notes: { tags: ["x"] } });
      const boss = await Employee.objects.create({ name: "Bob", department: sales, hired: new Date("1960-02-29T00:00:00Z"), salary: "99.99" });
      await report.update({ boss });`);
  }, 60_000);
  afterAll(() => project.destroy());

  test("a dump loaded into the emptied tables gives the same rows back, and create() then gets a fresh key", async () => {
    const dumped = await project.run(["dumpdata", "--out", "fixture.json"], { env });
    expect(dumped.stderr).toMatch(/Wrote 3 rows of 2 models to .*fixture\.json/);
    const fixture = JSON.parse(project.read("fixture.json"));
    expect(fixture[0]).toEqual({ model: "Department", pk: 1, fields: { name: "Sales", budget: "9007199254740993" } });
    expect(fixture[1]).toEqual({ model: "Employee", pk: 1, fields: { name: "Ann", department: 1, boss: 2, hired: "1999-12-31T23:59:59.123Z", salary: "1200.50", notes: { tags: ["x"] } } });

    await evaluate("await Employee.objects.filter({ pk__gte: 0 }).delete(); await Department.objects.filter({ pk__gte: 0 }).delete()");
    const loaded = await project.run(["loaddata", "fixture.json"], { env });
    expect(loaded.stderr).toBe("");
    expect(loaded.stdout).toMatch(/Installed 3 rows of 2 models from .*fixture\.json/);
    expect((await project.run(["dumpdata"], { env })).stdout).toBe(project.read("fixture.json"));
    expect(await evaluate(`(await Employee.objects.create({ name: "Cy", department: 1, hired: new Date(), salary: "1.00" })).pk`)).toBe("3");
  }, 60_000);

  test("a fixture that cannot go in is refused whole: nothing is written", async () => {
    const count = "[await Department.objects.count(), await Employee.objects.count()]";
    const before = await evaluate(count);
    project.write(
      "broken.json",
      JSON.stringify([
        { model: "Department", pk: 50, fields: { name: "Legal", budget: "1" } },
        { model: "Employee", pk: 60, fields: { name: "Dan", department: 999, boss: null, hired: "2000-01-01T00:00:00.000Z", salary: "1.00", notes: null } },
      ]),
    );
    const result = await project.run(["loaddata", "broken.json"], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/foreign key|FOREIGN KEY|violates|constraint/i);
    expect(await evaluate(count)).toBe(before);
    project.write("unknown.json", JSON.stringify([{ model: "Nope", pk: 1, fields: {} }]));
    const unknown = await project.run(["loaddata", "unknown.json"], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/"Nope", which is not a model here; the models are: Department, Employee/);
  }, 60_000);
});

// Chinook dumped from PostgreSQL and loaded into SQLite and MariaDB, each made by Chinook's own script without rows.
// The source is always PostgreSQL (the case): with it down this block fails, as any test of an unreachable server does.
const targets = DIALECTS.filter((dialect) => dialect !== "postgresql");
describe("Chinook from PostgreSQL to the other databases", () => {
  const source = placeFor("postgresql", "fixtures chinook");
  const places = targets.map((dialect) => ({ dialect, place: placeFor(dialect, "fixtures target") }));
  const project = new TempProject();

  beforeAll(async () => {
    await source.create();
    await loadChinookWithPlainSql("postgresql", source.url);
    for (const { dialect, place } of places) {
      await place.create();
      await loadChinookWithPlainSql(dialect, place.url, { rows: false });
    }
    project.write("inspect.config.mjs", `export default { database: ${JSON.stringify(source.url)} };\n`).write("quarry.config.ts", CONFIG);
    const inspected = await project.run(["inspectdb", "--out", "models.ts", "--config", "inspect.config.mjs"]);
    expect(inspected.code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    project.destroy();
    await source.destroy();
    for (const { place } of places) await place.destroy();
  });

  test.each(targets)("into %s: every table's rows equal, and create() afterwards gets a fresh key", async (dialect) => {
    const target = places.find((candidate) => candidate.dialect === dialect)!.place;
    const dumped = await project.run(["dumpdata", "--out", "chinook.json"], { env: { QUARRY_DATABASE_URL: source.url } });
    expect(dumped.stderr).toMatch(/Wrote 15607 rows of 11 models/);
    const loaded = await project.run(["loaddata", "chinook.json"], { env: { QUARRY_DATABASE_URL: target.url } });
    expect(loaded.stderr).toBe("");
    expect(loaded.stdout).toMatch(/Installed 15607 rows of 11 models/);
    const again = await project.run(["dumpdata"], { env: { QUARRY_DATABASE_URL: target.url } });
    expect(again.stdout === project.read("chinook.json")).toBe(true);
    const created = await project.run(
      ["shell", "-e", "[(await Artist.objects.create({ name: 'New' })).pk, (await Invoice.objects.create({ customer: 1, invoiceDate: new Date(), total: '1.00' })).pk]"],
      { env: { QUARRY_DATABASE_URL: target.url } },
    );
    expect(created.stderr).toBe("");
    expect(created.stdout).toBe("[ 276, 413 ]\n");
  }, 120_000);
});
