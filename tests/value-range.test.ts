import { beforeAll, beforeEach, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf } from "./helpers/fixtures.js";

describeEachDialect("values every database stores alike", ({ database }) => {
  const Entry = orm.Model.define(
    "RangeEntry",
    { label: orm.String({ maxLength: 40 }), body: orm.Text({ allowNull: true }), data: orm.JSON({ allowNull: true }), expiresAt: orm.DateTime({ allowNull: true }) },
    { database, tablename: "range_entries" },
  );
  beforeAll(() => database.createAll());
  beforeEach(() => Entry.objects.delete());

  test("a DateTime outside the years 1 to 9999 is a ValidationError; the extremes round-trip and sort", async () => {
    const never = new Date(8.64e15); // +275760-09-13: "never expires"
    for (const at of [never, new Date("+010000-01-01T00:00:00Z"), new Date("0000-12-31T23:59:59Z"), new Date(-8.64e15)]) {
      const error = await errorOf(() => Entry.objects.create({ label: "out", expiresAt: at }));
      expect(error, at.toISOString()).toBeInstanceOf(orm.ValidationError);
      expect(error.message).toMatch(/years 1 and 9999/);
      expect(await errorOf(() => Entry.objects.filter({ expiresAt__lt: at }).count())).toBeInstanceOf(orm.ValidationError);
    }
    const last = new Date("9999-12-31T23:59:59.999Z");
    const first = new Date("0001-01-01T00:00:00.000Z");
    await Entry.objects.create({ label: "last", expiresAt: last });
    await Entry.objects.create({ label: "first", expiresAt: first });
    await Entry.objects.create({ label: "now", expiresAt: new Date("2026-01-01T00:00:00Z") });
    expect(await Entry.objects.orderBy("expiresAt").valuesList("label", { flat: true })).toEqual(["first", "now", "last"]);
    expect((await Entry.objects.get({ label: "last" })).expiresAt).toEqual(last);
    expect((await Entry.objects.get({ label: "first" })).expiresAt).toEqual(first);
    expect(await Entry.objects.filter({ expiresAt__lt: new Date("2027-01-01T00:00:00Z") }).delete()).toBe(2);
    expect(await Entry.objects.valuesList("label", { flat: true })).toEqual(["last"]);
  });

  test("a lone UTF-16 surrogate is a ValidationError in String, Text and JSON; pairs and escaped text are stored as given", async () => {
    for (const values of [{ label: "ab\ud800" }, { label: "x", body: "\udc00tail" }, { label: "x", data: { note: "half \ud83d" } }, { label: "x", data: ["\udfff"] }]) {
      const error = await errorOf(() => Entry.objects.create(values));
      expect(error, JSON.stringify(Object.keys(values))).toBeInstanceOf(orm.ValidationError);
      expect(error.message).toMatch(/lone UTF-16 surrogate/);
    }
    expect(await errorOf(() => Entry.objects.filter({ label: "a\ud800" }).count())).toBeInstanceOf(orm.ValidationError);
    const kept = await Entry.objects.create({ label: "😀 pair", body: "\\ud800 as text", data: { text: "\\ud800 and \\u0000 as text", emoji: "😀" } });
    const read = await Entry.objects.get({ pk: kept.pk });
    expect([read.label, read.body, read.data]).toEqual(["😀 pair", "\\ud800 as text", { text: "\\ud800 and \\u0000 as text", emoji: "😀" }]);
    expect(await Entry.objects.count()).toBe(1);
  });
});
