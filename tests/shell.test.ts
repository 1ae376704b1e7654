import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { META } from "../lib/model/instance.js";
import { fieldCompletions, startShell } from "../lib/shell/repl.js";
import { describeEachDialect } from "./helpers/databases.js";
import { TempProject } from "./helpers/project.js";

const MODELS = `import * as orm from "quarry";
export const database = new orm.Database(process.env.NOTES_URL!);
export const Note = orm.Model.define("Note", {
  text: orm.String({ maxLength: 100 }),
  completed: orm.Boolean({ default: false }),
}, { database, tablename: "notes" });
`;

describeEachDialect("quarry shell", ({ database, url }) => {
  const Note = orm.Model.define("Note", { text: orm.String({ maxLength: 100 }), completed: orm.Boolean({ default: false }) }, { database, tablename: "notes" });
  const project = new TempProject();
  const env = { NOTES_URL: url };

  beforeAll(async () => {
    await database.createAll();
    await Note.objects.create({ text: "Call Mum.", completed: true });
    await Note.objects.create({ text: "Buy the groceries." });
    project.write("models.ts", MODELS).write("quarry.config.ts", `import { database } from "./models.js";\nexport default { database, models: ["./models.ts"] };\n`);
  });
  afterAll(() => project.destroy());

  test("driven through stdin: models in scope, top-level await prints instances in full, .sql shows each statement, the end of input closes the pool", async () => {
    const input = [
      "const note = await Note.objects.get({ pk: 1 })",
      "note",
      "String(note)",
      ".sql",
      "await Note.objects.filter({ completed: false }).count()",
      ".sql",
      "await Note.objects.orderBy('id').all()",
      "orm.Q !== undefined",
    ].join("\n");
    // No .exit: the process must end by itself once stdin ends, which it cannot while a pool is open.
    const result = await project.run(["shell"], { env, input });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.split("quarry> ").map((line) => line.trim());
    expect(lines).toContain("Note(id=1, text='Call Mum.', completed=true)");
    expect(lines).toContain("'Note(id=1)'");
    const counted = lines.find((line) => line.includes("COUNT("))!;
    expect(counted).toMatch(/^-- \d+\.\d ms: SELECT COUNT\(\*\).* FROM .notes.*\n1$/s);
    expect(lines).toContain("[\n  Note(id=1, text='Call Mum.', completed=true),\n  Note(id=2, text='Buy the groceries.', completed=false)\n]");
    // .sql toggled off again: the last query printed no statement.
    expect(lines.filter((line) => line.startsWith("-- "))).toHaveLength(1);
    expect(lines).toContain("true");
  }, 60_000);

  test("-e evaluates with top-level await and prints the value, for scripts", async () => {
    const count = await project.run(["shell", "-e", "await Note.objects.count()"], { env });
    expect(count).toEqual({ code: 0, stdout: "2\n", stderr: "" });
    const statements = await project.run(["shell", "-e", "const n = await Note.objects.get({ pk: 2 }); return n"], { env });
    expect(statements.stdout).toBe("Note(id=2, text='Buy the groceries.', completed=false)\n");
    const failing = await project.run(["shell", "-e", "await Note.objects.get({ pk: 99 })"], { env });
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/NoMatch|matching|no Note/i);
  }, 60_000);
});

describe("the shell's completion and printing", () => {
  const database = new orm.Database("sqlite::memory:");
  const Album = orm.Model.define("Album", { name: orm.String(), year: orm.Integer({ allowNull: true }) }, { database });
  const Track = orm.Model.define("Track", { album: orm.ForeignKey(Album), title: orm.String() }, { database });
  const models = [Album[META], Track[META]];
  afterAll(() => database.disconnect());

  test("field names complete inside filter(), get() and friends, relations and pk included", () => {
    expect(fieldCompletions("Track.objects.filter({ ti", models)).toEqual([["title"], "ti"]);
    expect(fieldCompletions("await Album.objects.exclude({ year__gt: 2000, ", models)).toEqual([["id", "name", "pk", "tracks", "year"], ""]);
    expect(fieldCompletions("Track.objects.orderBy('title').get({ al", models)).toEqual([["album"], "al"]);
    expect(fieldCompletions("Track.objects.fil", models)).toBeUndefined();
  });

  test("in a terminal, Tab completes manager methods and field names", async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
    let shown = "";
    output.on("data", (chunk: Buffer) => (shown += chunk.toString()));
    const closed = startShell({ database, models, input, output });
    input.write("Track.objects.selectRel\t");
    input.write("\u0015Track.objects.filter({ tit\t");
    await new Promise((resolve) => setTimeout(resolve, 100));
    input.write("\u0015.exit\r");
    await closed;
    expect(shown).toContain("Track.objects.selectRelated");
    expect(shown).toContain("Track.objects.filter({ title");
  });
});
