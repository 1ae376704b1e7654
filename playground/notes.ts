// The seed example of the Python `orm` package, in TypeScript. Runs unchanged on every database:
//   npm run demo                                   (SQLite file, no server)
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test npm run demo
//   DATABASE_URL=mysql://root@127.0.0.1:3306/test npm run demo
import assert from "node:assert/strict";
import * as orm from "../lib/index.js";

const database = new orm.Database(process.env.DATABASE_URL ?? "sqlite:///playground/notes.sqlite");

const Note = orm.Model.define(
  "Note",
  {
    id: orm.Integer({ primaryKey: true }),
    text: orm.String({ maxLength: 100 }),
    completed: orm.Boolean({ default: false }),
  },
  { database, tablename: "notes" },
);

await database.dropAll();
await database.createAll();

// .create()
await Note.objects.create({ text: "Buy the groceries.", completed: false });
await Note.objects.create({ text: "Call Mum.", completed: true });
await Note.objects.create({ text: "Send invoices.", completed: true });

// .all()
const notes = await Note.objects.all();
console.log("all:", notes.map(String));

// .filter()
const completed = await Note.objects.filter({ completed: true }).all();
console.log("completed:", completed.map((note) => note.text));

// exact, iexact, contains, icontains, lt, lte, gt, gte, in
const mum = await Note.objects.filter({ text__icontains: "mum" }).all();
console.log("icontains 'mum':", mum.map((note) => note.text));

// .get()
const note = await Note.objects.get({ id: 1 });
console.log("get id=1:", note, note.toJSON());

// .update()
await note.update({ completed: true });

// .delete()
await note.delete();

// 'pk' always refers to the primary key
const second = await Note.objects.get({ pk: 2 });
assert.equal(second.pk, 2);
console.log("get pk=2:", String(second), "pk =", second.pk);
console.log("count after delete:", await Note.objects.count());

await database.disconnect();
