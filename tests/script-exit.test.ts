import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { describeEachDialect } from "./helpers/databases.js";
import { readmeBlock, runScript } from "./helpers/scripts.js";

describeEachDialect("scripts exit by themselves", ({ url, dialect }) => {
  const script = `
    import * as orm from "quarry";
    const database = new orm.Database(process.env.DATABASE_URL!);
    const Note = orm.Model.define("Note", { text: orm.String({ maxLength: 40 }) }, { database, tablename: "exit_notes" });
    await database.createAll();
    await Note.objects.create({ text: "hello" });
    // A statement still running when the script's last line has run: its connection must keep the process alive.
    const sleep = ${JSON.stringify(dialect === "postgresql" ? "SELECT pg_sleep(0.3)" : dialect === "mysql" ? "SELECT SLEEP(0.3)" : "SELECT 1")};
    void database.query(orm.raw(sleep)).then(() => console.log("the running statement finished"));
    void Note.objects.count().then((count) => console.log("notes:", count));
    process.on("exit", () => console.log("pool at exit:", JSON.stringify(database.poolStats())));
  `;

  test("a script that never calls disconnect() ends once its work is done, its pooled connections still open", async () => {
    const output = await runScript(tmpdir(), script, { DATABASE_URL: url });
    expect(output).toContain("the running statement finished");
    expect(output).toMatch(/notes: [1-9]/);
    if (dialect !== "sqlite") {
      // It ended while its connections sat idle, not after an idle timeout closed them.
      const stats = JSON.parse(output.match(/pool at exit: (.*)/)![1]!) as { total: number; idle: number };
      expect(stats.total).toBeGreaterThan(0);
      expect(stats.idle).toBe(stats.total);
    }
  }, 90_000);
});

test("the README's \"A taste\" runs, and runs again on the file it left behind", async () => {
  const taste = readmeBlock("## A taste");
  const directory = mkdtempSync(join(tmpdir(), "quarry-taste-"));
  const marked = `${taste}\nconsole.log("taste ran");\n`;
  expect(await runScript(directory, marked)).toContain("taste ran");
  expect(await runScript(directory, marked)).toContain("taste ran");
}, 120_000);
