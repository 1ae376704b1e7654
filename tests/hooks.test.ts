import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf, expectRefusedBeforeSql } from "./helpers/fixtures.js";

// Issue 20, findings 7, 8 (delete() of an unsaved instance) and 12 (hooks, validators, clean()).
describeEachDialect("hooks and validation", (target) => {
  const { database } = target;
  const log: string[] = [];

  const Base = orm.Model.define(
    "Event",
    {
      title: orm.String({ maxLength: 20, validators: [(title) => (title.trim() === title ? undefined : "may not start or end with spaces")] }),
      seats: orm.Integer({ minimum: 0, validators: [(seats) => (seats % 2 === 0 ? undefined : "must be even (seats come in pairs)")] }),
      starts: orm.Integer({ default: 0 }),
      ends: orm.Integer({ default: 0 }),
      slug: orm.String({ default: "" }),
      big: orm.BigInteger({ default: 0n }),
    },
    { database },
  );
  class Event extends Base {
    declare static objects: orm.Manager<Event>;
    override clean() {
      if (this.ends < this.starts) return { ends: "must not be before starts" };
    }
    override async beforeSave() {
      log.push(`beforeSave ${this.title} in transaction=${database.currentTransaction !== undefined}`);
      this.slug = this.title.toLowerCase().replace(/\W+/g, "-");
    }
    override async afterSave(created: boolean) {
      log.push(`afterSave ${this.title} created=${created} rows=${await Event.objects.filter({ title: this.title }).count()}`);
      if (this.title === "Fails after") throw new Error("afterSave refused");
    }
    override beforeDelete() {
      log.push(`beforeDelete ${this.title}`);
    }
    override async afterDelete() {
      log.push(`afterDelete ${this.title} rows=${await Event.objects.filter({ title: this.title }).count()}`);
    }
  }
  const Plain = orm.Model.define("Plain", { n: orm.Integer(), flag: orm.Boolean({ default: false }) }, { database });

  beforeAll(() => database.createAll());

  test("beforeSave and afterSave run inside the save's transaction, around its write", async () => {
    log.length = 0;
    const event = await Event.objects.create({ title: "Launch Day", seats: 10 });
    expect(event.slug).toBe("launch-day");
    expect(log).toEqual(["beforeSave Launch Day in transaction=true", "afterSave Launch Day created=true rows=1"]);
    log.length = 0;
    event.seats = 12;
    await event.save();
    expect(log).toEqual(["beforeSave Launch Day in transaction=true", "afterSave Launch Day created=false rows=1"]);
    expect((await Event.objects.get({ pk: event.pk })).slug).toBe("launch-day");
  });

  test("an afterSave that throws rolls the INSERT back and leaves the instance unsaved", async () => {
    const event = new Event({ title: "Fails after", seats: 2 });
    const error = await errorOf(() => event.save());
    expect(error.message).toBe("afterSave refused");
    expect(await Event.objects.filter({ title: "Fails after" }).exists()).toBe(false);
    expect(event.pk).toBeUndefined();
  });

  test("beforeDelete and afterDelete run inside the delete's transaction", async () => {
    const event = await Event.objects.create({ title: "Gone", seats: 4 });
    log.length = 0;
    await event.delete();
    expect(log).toEqual(["beforeDelete Gone", "afterDelete Gone rows=0"]);
  });

  test("validators and clean() refuse before any SQL, and the error lists every failing field", async () => {
    const event = new Event({ title: "Fine", seats: 2, starts: 5, ends: 1 });
    const unclean = await expectRefusedBeforeSql(target, () => event.save(), orm.ValidationError);
    expect(unclean.errors).toEqual([{ field: "ends", message: "Event.ends must not be before starts" }]);
    const many = await expectRefusedBeforeSql(target, () => Event.objects.create({ title: " padded ", seats: 3, big: "x" as never }), orm.ValidationError);
    expect(many.errors.map((problem) => problem.field)).toEqual(["big", "title", "seats"]);
    expect(many.message).toMatch(/^Event has 3 problems \(big, title, seats\): Event\.big expects/);
    expect(many.errors[1]!.message).toBe("Event.title may not start or end with spaces");
    expect(many.errors[2]!.message).toBe("Event.seats must be even (seats come in pairs)");
    const update = await Event.objects.create({ title: "Updated", seats: 2 });
    await expectRefusedBeforeSql(target, () => update.update({ seats: 7 }), orm.ValidationError);
    await expectRefusedBeforeSql(target, () => Event.objects.filter({ pk: update.pk }).update({ seats: 9 }), orm.ValidationError);
  });

  test("a model without hooks saves with no transaction around it", async () => {
    const statements = await target.statementsDuring(() => Plain.objects.create({ n: 1 }));
    expect(statements).toHaveLength(1);
    expect(statements[0]!.sql).toMatch(/^INSERT/);
  });

  test("assignments are checked at assignment (finding 7), as foreign keys were", async () => {
    const row = await Plain.objects.create({ n: 1 });
    const error = await errorOf(() => {
      (row as unknown as { flag: unknown }).flag = "yes";
    });
    expect(error).toBeInstanceOf(orm.ValidationError);
    expect(error.message).toBe('Plain.flag expects a boolean, got the string "yes"');
    expect(row.flag).toBe(false);
    expect(() => ((row as unknown as { n: unknown }).n = null)).toThrow(/may not be null/);
  });

  test("Integer and BigInteger lookups take the canonical text of an integer, and refuse any other text", async () => {
    const row = await Plain.objects.create({ n: 41 });
    expect((await Plain.objects.get({ pk: String(row.pk) as never })).n).toBe(41);
    expect(await Plain.objects.filter({ n__in: ["41", "-3"] as never }).count()).toBe(1);
    const event = await Event.objects.create({ title: "Big", seats: 2, big: 12345678901234567n });
    expect((await Event.objects.get({ big: "12345678901234567" as never })).pk).toBe(event.pk);
    for (const bad of ["12abc", "012", " 12", "1e3", "1.0", "-0", ""]) {
      const error = await errorOf(() => Plain.objects.get({ pk: bad as never }));
      expect(error, bad).toBeInstanceOf(orm.ValidationError);
      expect(error.message).toMatch(/Plain\.id expects an integer, got the string/);
    }
  });

  test("delete() of an unsaved instance says it was never saved (finding 8)", async () => {
    const error = await expectRefusedBeforeSql(target, () => new Plain({ n: 1 }).delete(), orm.ValidationError);
    expect(error.message).toBe("Plain cannot be deleted: it was never saved (it has no id); save() it first, or leave it unsaved");
  });
});
