import { expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";

describeEachDialect("seed example", ({ database }) => {
  const Note = orm.Model.define(
    "Note",
    {
      id: orm.Integer({ primaryKey: true }),
      text: orm.String({ maxLength: 100 }),
      completed: orm.Boolean({ default: false }),
    },
    { database, tablename: "notes" },
  );

  test("runs as the Python original's README shows", async () => {
    await database.createAll();
    await Note.objects.create({ text: "Buy the groceries.", completed: false });
    await Note.objects.create({ text: "Call Mum.", completed: true });
    await Note.objects.create({ text: "Send invoices.", completed: true });

    expect((await Note.objects.all()).map((note) => note.text)).toEqual(["Buy the groceries.", "Call Mum.", "Send invoices."]);
    expect((await Note.objects.filter({ completed: true }).all()).map((note) => note.id)).toEqual([2, 3]);
    expect((await Note.objects.filter({ text__icontains: "mum" }).all()).map((note) => note.text)).toEqual(["Call Mum."]);

    const note = await Note.objects.get({ id: 1 });
    expect(String(note)).toBe("Note(id=1)");
    await note.update({ completed: true });
    expect((await Note.objects.get({ id: 1 })).completed).toBe(true);
    await note.delete();
    expect(await Note.objects.count()).toBe(2);

    const second = await Note.objects.get({ pk: 2 });
    expect(second.pk).toBe(2);
  });
});
