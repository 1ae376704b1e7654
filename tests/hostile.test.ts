import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { defineNote, expectRefusedBeforeSql, untyped } from "./helpers/fixtures.js";

const HOSTILE = [
  "'; DROP TABLE note; --",
  "\" OR 1=1 --",
  "' OR ''='",
  "\\'; DROP TABLE note; --",
  "`; DROP TABLE note; --`",
  "line one\nline two; DELETE FROM note",
  "\\",
  "?",
  "$1",
  ":text",
  "%s %d",
  "’ smart quote; 🎉'--",
  "/* comment */ SELECT 1",
];

describeEachDialect("hostile input", (target) => {
  const { database } = target;
  const Note = defineNote(database);
  const Canary = orm.Model.define("Canary", { name: orm.String() }, { database });

  beforeAll(async () => {
    await database.createAll();
    await Canary.objects.create({ name: "still here" });
  });

  test.each(HOSTILE)("%j goes through create, get, filter, update and getOrCreate as a plain value", async (value) => {
    const created = await Note.objects.create({ text: value });
    expect((await Note.objects.get({ text: value })).pk).toBe(created.pk);
    expect((await Note.objects.get({ pk: created.pk })).text).toBe(value);
    for (const op of ["exact", "iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"]) {
      expect(await Note.objects.filter({ [`text__${op}`]: value, pk: created.pk }).count(), op).toBe(1);
    }
    expect(await Note.objects.filter({ text__in: [value, "x"] }).count()).toBe(1);
    expect(await Note.objects.filter({ pk: created.pk }).search(value).count()).toBe(1);

    const [found, wasCreated] = await Note.objects.getOrCreate({ text: value });
    expect(wasCreated).toBe(false);
    expect(found.pk).toBe(created.pk);

    const changed = `${value} (edited)`;
    expect(await Note.objects.filter({ text: value }).update({ text: changed })).toBe(1);
    await created.load();
    expect(created.text).toBe(changed);
    await created.update({ text: value });
    const [again] = await Note.objects.updateOrCreate({ text: value }, { completed: true });
    expect(again.pk).toBe(created.pk);

    expect(await Note.objects.filter({ text: value }).count()).toBe(1);
    expect((await Canary.objects.get({ pk: 1 })).name).toBe("still here");
  });

  test("every hostile value is stored once, as given, and the table is intact", async () => {
    const stored = (await Note.objects.orderBy("id")).map((note) => note.text);
    expect(stored).toEqual(HOSTILE);
    expect(await Canary.objects.count()).toBe(1);
  });

  test("NUL is a ValidationError everywhere, before any SQL", async () => {
    const nul = "before\u0000after";
    await expectRefusedBeforeSql(target, () => Note.objects.create({ text: nul }), orm.ValidationError);
    await expectRefusedBeforeSql(target, () => Note.objects.filter({ text: nul }).count(), orm.ValidationError);
    await expectRefusedBeforeSql(target, () => Note.objects.filter({ text__icontains: nul }).count(), orm.ValidationError);
    await expectRefusedBeforeSql(target, () => Note.objects.get({ text: nul }), orm.ValidationError);
    await expectRefusedBeforeSql(target, () => Note.objects.update({ text: nul }), orm.ValidationError);
    await expectRefusedBeforeSql(target, () => Note.objects.getOrCreate({ text: nul }), orm.ValidationError);
  });

  test.each([
    ["filter({ id: { $gt: 1 } })", () => untyped(Note).filter({ id: { $gt: 1 } }).count()],
    ['get({ text: ["a"] })', () => untyped(Note).get({ text: ["a"] })],
    ['filter({ text: { toString: ... } })', () => untyped(Note).filter({ text: { toString: () => "x" } }).count()],
    ["filter({ text__contains: [] })", () => untyped(Note).filter({ text__contains: [] }).count()],
    ["filter({ id__in: [{}] })", () => untyped(Note).filter({ id__in: [{}] }).count()],
    ["filter({ id__lt: [1] })", () => untyped(Note).filter({ id__lt: [1] }).count()],
    ['create({ text: ["a"] })', () => untyped(Note).create({ text: ["a"] })],
    ['update({ text: { $set: "x" } })', () => untyped(Note).update({ text: { $set: "x" } })],
    ['getOrCreate({ text: { $ne: "" } })', () => untyped(Note).getOrCreate({ text: { $ne: "" } })],
    ["filter(null)", () => untyped(Note).filter(null).count()],
    ['filter(["text", "x"])', () => untyped(Note).filter(["text", "x"]).count()],
  ])("an object or array where a scalar belongs: %s is a ValidationError and sends no SQL", async (_, attempt) => {
    await expectRefusedBeforeSql(target, attempt, orm.ValidationError);
  });

  test.each([
    ['orderBy("text; DROP TABLE note")', () => untyped(Note).orderBy("text; DROP TABLE note").count()],
    ['orderBy("-id DESC, (SELECT 1)")', () => untyped(Note).orderBy("-id DESC, (SELECT 1)").count()],
    ['orderBy("`text`")', () => untyped(Note).orderBy("`text`").count()],
    ['filter({ "text; --": 1 })', () => untyped(Note).filter({ "text; --": 1 }).count()],
    ['filter({ "text\\" OR 1=1 --": "x" })', () => untyped(Note).filter({ 'text" OR 1=1 --': "x" }).count()],
    ['filter({ "text__contains; --": "x" })', () => untyped(Note).filter({ "text__contains; --": "x" }).count()],
    ['exclude({ "1=1 OR text": "x" })', () => untyped(Note).exclude({ "1=1 OR text": "x" }).count()],
    ['get({ "id\\u0000": 1 })', () => untyped(Note).get({ "id\u0000": 1 })],
    // A key that reaches the prototype is refused as an unknown field in values too (issue 17).
    ['create(JSON with "__proto__")', () => untyped(Note).create(JSON.parse('{"text": "x", "__proto__": {"admin": true}}'))],
  ])("names are checked against the model before anything is quoted: %s is an UnknownFieldError", async (_, attempt) => {
    await expectRefusedBeforeSql(target, attempt, orm.UnknownFieldError);
  });

  test("a hostile field name in create() or update() is a ValidationError naming it", async () => {
    const error = await expectRefusedBeforeSql(target, () => untyped(Note).create({ text: "x", "text) VALUES ('y'); --": "z" }), orm.ValidationError);
    expect(error.message).toContain("text) VALUES");
    await expectRefusedBeforeSql(target, () => untyped(Note).update({ "completed = 1, text": "x" }), orm.ValidationError);
    expect(await Canary.objects.count()).toBe(1);
  });
});
