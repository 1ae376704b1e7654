import { expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";

describeEachDialect("QuerySet catch() and finally()", ({ database }) => {
  const Note = orm.Model.define("PromiseNote", { text: orm.String({ maxLength: 20 }) }, { database, tablename: "promise_notes" });
  const Created = orm.Model.define("PromiseLater", { text: orm.String({ maxLength: 20 }) }, { database, tablename: "promise_later" });

  test("catch() passes the rows through and turns a failure into its handler's value; finally() runs either way", async () => {
    await database.createAll();
    await database.run(orm.sql`DROP TABLE promise_later`);
    await Note.objects.create({ text: "a" });
    const rows = await Note.objects.filter({ text: "a" }).catch(() => "failed" as const);
    expect(Array.isArray(rows) && rows.map((note) => note.text)).toEqual(["a"]);
    // Its table is gone: the SELECT fails when it runs.
    expect(await Created.objects.catch((error: unknown) => error)).toBeInstanceOf(orm.DatabaseError);
    let ran = 0;
    expect(await Note.objects.finally(() => ran++).then((notes) => notes.length)).toBe(1);
    await expect(Created.objects.filter({ text: "a" }).finally(() => ran++)).rejects.toBeInstanceOf(orm.DatabaseError);
    expect(ran).toBe(2);
  });
});
