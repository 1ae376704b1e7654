import { afterAll, describe, expect, it } from "vitest";
import * as orm from "../lib/index.js";
import { readCatalog } from "../lib/schema/index.js";
import { describeEachDialect, placeFor } from "./helpers/databases.js";
import { runProcess, TempProject, QUARRY_BIN } from "./helpers/project.js";

const CONFIG = `import { database } from "./models.js";\nexport default { database, models: ["./models.js"] };\n`;
const models = (body: string) => `import * as orm from "quarry";\nexport const database = new orm.Database(process.env.QUARRY_DATABASE_URL ?? "sqlite:///db.sqlite");\n${body}\n`;
const TRACK_V1 = `export const Track = orm.Model.define("Track", { name: orm.String({ maxLength: 80 }), length: orm.Integer({ allowNull: true }) }, { database });`;
const TRACK_RENAMED = `export const Track = orm.Model.define("Track", { title: orm.String({ maxLength: 80 }), length: orm.Integer({ allowNull: true }) }, { database });`;

function sqliteProject(): TempProject {
  return new TempProject().write("quarry.config.js", CONFIG).write("models.js", models(TRACK_V1));
}

describe("makemigrations", () => {
  const projects: TempProject[] = [];
  const fresh = () => {
    const project = sqliteProject();
    projects.push(project);
    return project;
  };
  afterAll(() => projects.forEach((project) => project.destroy()));

  it("--check exits 1 while the models have unrecorded changes and 0 once a migration records them", async () => {
    const project = fresh();
    const before = await project.run(["makemigrations", "--check"]);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/Create model Track/);
    expect(project.files("migrations")).toEqual([]);
    expect((await project.run(["makemigrations"])).code).toBe(0);
    const after = await project.run(["makemigrations", "--check"]);
    expect(after.code).toBe(0);
    expect(after.stdout).toBe("No changes detected.\n");
  });

  it("asks about a rename rather than guess: without a terminal it fails naming the candidates and the flag", async () => {
    const project = fresh();
    await project.run(["makemigrations"]);
    project.write("models.js", models(TRACK_RENAMED));
    const result = await project.run(["makemigrations"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Did you rename Track\.name to Track\.title\?.*--rename Track\.name=title/s);
    expect(project.files("migrations")).toEqual(["0001_initial.js"]);
  });

  it("takes the answer from --rename", async () => {
    const project = fresh();
    await project.run(["makemigrations"]);
    project.write("models.js", models(TRACK_RENAMED));
    const result = await project.run(["makemigrations", "--rename", "Track.name=title"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Rename field name on Track to title/);
    expect(project.read("migrations/0002_rename_track_name_title.js")).toMatch(/new RenameField\("Track", "name", "title"\)/);
  });

  it("asks at a terminal, answered through stdin (--interactive) and through a pseudo-terminal", async () => {
    for (const answer of ["y", "n"]) {
      const project = fresh();
      await project.run(["makemigrations"]);
      project.write("models.js", models(TRACK_RENAMED));
      // "n": a removal and an addition, so the new NOT NULL field asks for the value of the rows already there.
      const result = await project.run(["makemigrations", "--interactive"], { input: answer === "y" ? "y\n" : 'n\n"untitled"\n' });
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/Did you rename Track\.name to Track\.title\? \[y\/N\]/);
      if (answer === "y") expect(result.stdout).toMatch(/Rename field name on Track to title/);
      else {
        expect(result.stderr).toMatch(/Track\.title is a new NOT NULL String without a default/);
        expect(result.stdout).toMatch(/Remove field name from Track\n.*Add field title to Track/s);
        expect(project.read(project.files("migrations").map((file) => `migrations/${file}`)[1]!)).toMatch(/new AddField\("Track", "title", \{ type: "String", maxLength: 80 \}, \{ fill: "untitled" \}\)/);
      }
    }
    const project = fresh();
    await project.run(["makemigrations"]);
    project.write("models.js", models(TRACK_RENAMED));
    // script(1) gives the command a pseudo-terminal: stdin.isTTY is true, as for a person at a shell.
    const command = `printf 'y\\n' | script -qec "${process.execPath} ${QUARRY_BIN} makemigrations" /dev/null`;
    const result = await runProcess("sh", ["-c", command], { cwd: project.root });
    expect(result.stdout).toMatch(/Did you rename Track\.name to Track\.title\? \[y\/N\]/);
    expect(project.files("migrations")).toEqual(["0001_initial.js", "0002_rename_track_name_title.js"]);
  });

  it("finds the conflict of two branches' migrations and writes the merge migration", async () => {
    const project = fresh();
    await project.run(["makemigrations"]);
    project.write("migrations/0002_a.js", `import { migration, RunSQL } from "quarry/migrations";\nexport default migration({ dependencies: ["0001_initial"], operations: [new RunSQL("SELECT 1", "SELECT 1")] });\n`);
    project.write("migrations/0002_b.js", `import { migration } from "quarry/migrations";\nexport default migration({ dependencies: ["0001_initial"], operations: [] });\n`);
    const conflict = await project.run(["migrate"]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/Conflicting migrations 0002_a and 0002_b.*makemigrations --merge/s);
    expect((await project.run(["makemigrations"])).stderr).toMatch(/Conflicting migrations 0002_a and 0002_b/);
    const merge = await project.run(["makemigrations", "--merge"]);
    expect(merge.code).toBe(0);
    expect(project.read("migrations/0003_merge_0002_0002.js")).toMatch(/dependencies: \["0002_a","0002_b"\]/);
    const migrated = await project.run(["migrate"]);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/Applying 0003_merge_0002_0002/);
  });

  it("refuses an applied migration edited since, and a reversal past an operation without a down, before running anything", async () => {
    const project = fresh();
    await project.run(["makemigrations"]);
    project.write("migrations/0002_data.js", `import { migration, RunSQL } from "quarry/migrations";\nexport default migration({ dependencies: ["0001_initial"], operations: [new RunSQL("INSERT INTO track (name) VALUES ('x')")] });\n`);
    expect((await project.run(["migrate"])).code).toBe(0);
    const back = await project.run(["migrate", "zero"]);
    expect(back.code).toBe(1);
    expect(back.stderr).toMatch(/Migration 0002_data cannot be reversed: its operation 1 \(Run SQL\) has no down\. Nothing was changed\./);
    expect((await project.run(["showmigrations"])).stdout).toBe("[X] 0001_initial\n[X] 0002_data\n");
    project.write("migrations/0001_initial.js", `${project.read("migrations/0001_initial.js")}// edited\n`);
    const edited = await project.run(["migrate"]);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toMatch(/Migration 0001_initial was applied, and its file has changed since/);
  });

  it("hands RunCode the models as the migration state has them, not as models.js has them now", async () => {
    const project = fresh();
    await project.run(["makemigrations"]);
    project.write(
      "migrations/0002_fill.js",
      `import { migration, RunCode } from "quarry/migrations";
export default migration({ dependencies: ["0001_initial"], operations: [new RunCode(async ({ models }) => {
  await models.Track.objects.create({ name: "from then", length: 3 });
}, async ({ models }) => { await models.Track.objects.filter({ name: "from then" }).delete(); })] });\n`,
    );
    project.write("models.js", models(`export const Song = orm.Model.define("Song", { title: orm.Text() }, { database });`));
    const result = await project.run(["migrate"]);
    expect(result.stderr).toBe("");
    const sql = await project.run(["sqlmigrate", "0002"]);
    expect(sql.stdout).toMatch(/-- RunCode/);
    const database = new orm.Database(`sqlite:///${project.root}/db.sqlite`);
    try {
      expect(await database.query(orm.sql`SELECT name, length FROM track`)).toEqual([{ name: "from then", length: 3 }]);
    } finally {
      await database.disconnect();
    }
    expect((await project.run(["migrate", "0001"])).code).toBe(0);
  });

  it("prints a migration's SQL forwards and backwards with sqlmigrate", async () => {
    const project = fresh();
    await project.run(["makemigrations"]);
    const forwards = await project.run(["sqlmigrate", "0001"]);
    expect(forwards.stdout).toMatch(/^CREATE TABLE IF NOT EXISTS "track"/);
    const backwards = await project.run(["sqlmigrate", "0001_initial", "--backwards"]);
    expect(backwards.stdout).toBe('DROP TABLE IF EXISTS "track";\n');
  });
});

describeEachDialect("two quarry migrate processes at once", (target) => {
  const project = new TempProject().write("quarry.config.js", CONFIG);
  afterAll(() => project.destroy());

  it("apply every migration exactly once: one waits for the other's lock", async () => {
    const body = Array.from({ length: 6 }, (_, index) => `export const M${index} = orm.Model.define("M${index}", { name: orm.String(), n: orm.Integer({ default: ${index} }) }, { database });`);
    project.write("models.js", models(body.join("\n")));
    expect((await project.run(["makemigrations", "--name", "first"])).code).toBe(0);
    project.write("models.js", models(body.map((line) => line.replace("orm.String()", "orm.String({ maxLength: 99 })")).join("\n")));
    expect((await project.run(["makemigrations", "--name", "second"])).code).toBe(0);
    const environment = { env: { QUARRY_DATABASE_URL: target.url } };
    const results = await Promise.all([project.run(["migrate"], environment), project.run(["migrate"], environment)]);
    for (const result of results) expect(result.stderr).toBe("");
    expect(results.map((result) => result.code)).toEqual([0, 0]);
    const applying = results.map((result) => (result.stdout.match(/Applying/g) ?? []).length).sort();
    expect(applying).toEqual([0, 2]);
    const history = await target.database.query(orm.sql`SELECT name FROM quarry_migrations ORDER BY name`);
    expect(history.map((row) => row.name)).toEqual(["0001_first", "0002_second"]);
    const catalog = await readCatalog(target.database, { exclude: ["quarry_migrations"] });
    expect(catalog.tables.map((table) => table.name)).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);
  });
});

describe("a MariaDB migration whose third operation fails", () => {
  const place = placeFor("mysql", "resume");
  const project = new TempProject().write("quarry.config.js", CONFIG).write("models.js", models(""));
  afterAll(async () => {
    await place.destroy();
    project.destroy();
  });

  it("names the operation, records the first two, and resumes once the cause is fixed", async () => {
    await place.create();
    project.write(
      "migrations/0001_steps.js",
      `import { migration, CreateModel, AddField, RunSQL } from "quarry/migrations";
export default migration({ dependencies: [], operations: [
  new CreateModel("Album", { id: { type: "Integer", primaryKey: true }, name: { type: "String", maxLength: 50 } }, { table: "album" }),
  new AddField("Album", "year", { type: "Integer", allowNull: true }),
  new RunSQL("INSERT INTO album_source (name) VALUES ('x')", "DELETE FROM album_source"),
  new AddField("Album", "label", { type: "String", maxLength: 20, allowNull: true }),
] });\n`,
    );
    const environment = { env: { QUARRY_DATABASE_URL: place.url } };
    const failed = await project.run(["migrate"], environment);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Migration 0001_steps failed at operation 3 \(Run SQL\): .*album_source/);
    expect(failed.stderr).toMatch(/Operations 1-2 of 0001_steps ran and are recorded \(2 of 4 done\).*resume at operation 3/s);
    expect((await project.run(["showmigrations"], environment)).stdout).toBe("[~] 0001_steps (2 of 4 operations applied)\n");
    const database = new orm.Database(place.url);
    try {
      await database.execute(orm.sql`CREATE TABLE album_source (name VARCHAR(10))`);
      const resumed = await project.run(["migrate"], environment);
      expect(resumed.stderr).toBe("");
      expect(resumed.stdout).toMatch(/Applying 0001_steps \(resuming at operation 3\)/);
      const columns = (await readCatalog(database, { tables: ["album"] })).tables[0]!.columns.map((column) => column.name);
      expect(columns).toEqual(["id", "name", "year", "label"]);
      expect(await database.query(orm.sql`SELECT name FROM album_source`)).toEqual([{ name: "x" }]);
      expect(await database.query(orm.sql`SELECT name, progress FROM quarry_migrations`)).toEqual([{ name: "0001_steps", progress: null }]);
    } finally {
      await database.disconnect();
    }
  });
});

describe("playground/migrations.ts", () => {
  it("walks a model through three changes and back", async () => {
    const result = await runProcess(process.execPath, ["--import", "tsx", "playground/migrations.ts"], { cwd: process.cwd() });
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/Rename field title on Track to name/);
    expect(result.stdout).toMatch(/\[X\] 0004_alter_track_name/);
    expect(result.stdout).toMatch(/Unapplying 0001_initial/);
  }, 90_000);
});
