import { inspect } from "node:util";
import { beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { defineNote, errorOf, expectRefusedBeforeSql, onlyFields, untyped } from "./helpers/fixtures.js";

describe("error classes", () => {
  test.each([
    orm.NoMatch,
    orm.MultipleMatches,
    orm.ValidationError,
    orm.UnknownFieldError,
    orm.UnloadedFieldError,
    orm.DatabaseError,
    orm.IntegrityError,
    orm.ConnectionError,
    orm.TransactionError,
  ])("%o extends OrmError and Error, and names itself", (ErrorClass) => {
    const error = new (ErrorClass as new (message: string, ...rest: unknown[]) => Error)("boom");
    expect(error).toBeInstanceOf(orm.OrmError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(ErrorClass.name);
    expect(String(error)).toBe(`${ErrorClass.name}: boom`);
  });

  test("IntegrityError and TransactionError are DatabaseErrors", () => {
    expect(new orm.IntegrityError("x")).toBeInstanceOf(orm.DatabaseError);
    expect(new orm.TransactionError("x", true)).toBeInstanceOf(orm.DatabaseError);
    expect(new orm.TransactionError("x", true).retryable).toBe(true);
  });
});

describeEachDialect("errors", (target) => {
  const { database } = target;
  const Note = defineNote(database);
  const Account = orm.Model.define(
    "Account",
    {
      code: orm.String({ maxLength: 10, unique: true }),
      owner: orm.String({ maxLength: 40 }),
      plan: orm.Enum(["free", "paid"], { default: "free" }),
    },
    { database },
  );

  beforeAll(async () => {
    await database.createAll();
    await Note.objects.bulkCreate([{ text: "one" }, { text: "two" }, { text: "two" }]);
  });

  test("NoMatch and MultipleMatches name the model and the lookup", async () => {
    const none = await errorOf(() => Note.objects.get({ text: "zero" }));
    expect(none).toBeInstanceOf(orm.NoMatch);
    expect(none.message).toMatch(/Note.*zero.*does not exist/);
    const many = await errorOf(() => Note.objects.get({ text: "two" }));
    expect(many).toBeInstanceOf(orm.MultipleMatches);
    expect(many.message).toMatch(/More than one Note.*two/);
  });

  test.each([
    [{}, "text", /is required/],
    [{ text: null }, "text", /may not be null/],
    [{ text: "x".repeat(101) }, "text", /101 characters long; maxLength is 100/],
    [{ text: 5 }, "text", /expects a string, got number 5/],
    [{ text: "ok", completed: "yes" }, "completed", /expects a boolean/],
    [{ text: "ok", colour: "red" }, "colour", /has no field "colour"; it has: id, text, completed/],
  ])("ValidationError for create(%j) names model, field %s and the reason, before any SQL", async (values, field, reason) => {
    const error = await expectRefusedBeforeSql(target, () => untyped(Note).create(values), orm.ValidationError);
    expect(error.message).toContain("Note");
    expect(error.message).toContain(field);
    expect(error.message).toMatch(reason);
    expect(error.model).toBe("Note");
    expect(error.field).toBe(field);
  });

  test("UnknownFieldError lists what exists, for filters, lookups and orderings", async () => {
    for (const attempt of [
      () => untyped(Note).filter({ txt: "x" }),
      () => untyped(Note).filter({ text__like: "x" }),
      () => untyped(Note).orderBy("-txt"),
      () => untyped(Note).orderBy("text__id"),
      () => untyped(Note).exclude({ "": 1 }),
    ]) {
      const error = await errorOf(attempt);
      expect(error).toBeInstanceOf(orm.UnknownFieldError);
      expect(error.message).toMatch(/Note/);
      expect(error.message).toMatch(/pk, id, text, completed|lookups are: exact, iexact/);
    }
  });

  test("UnloadedFieldError for a field a partial instance never loaded, saying how to load it", async () => {
    const stored = await Note.objects.get({ text: "one" });
    const partial = await onlyFields(Note.objects, "id").get({ pk: stored.id });
    expect(partial.pk).toBe(stored.id);
    const error = await errorOf(() => partial.text);
    expect(error).toBeInstanceOf(orm.UnloadedFieldError);
    expect(error.message).toContain("Note.text is not loaded");
    expect(error.message).toContain("load()");
    // Probes stay harmless on a partial instance.
    expect((partial as unknown as Record<string, unknown>).then).toBeUndefined();
    expect(partial.toJSON()).toEqual({ id: stored.id });
    expect(inspect(partial)).toBe(`Note(id=${stored.id})`);
    await partial.load();
    expect(partial.text).toBe("one");
  });

  test("IntegrityError for a unique violation, with the model named and the driver's error as cause", async () => {
    await Account.objects.create({ code: "A1", owner: "Ann" });
    const error = await errorOf(() => Account.objects.create({ code: "A1", owner: "Bob" }));
    expect(error).toBeInstanceOf(orm.IntegrityError);
    expect(error.message).toMatch(/^Account: /);
    expect(error.cause).toBeInstanceOf(Error);
    const viaUpdate = await errorOf(async () => {
      const other = await Account.objects.create({ code: "B2", owner: "Bob" });
      await other.update({ code: "A1" });
    });
    expect(viaUpdate).toBeInstanceOf(orm.IntegrityError);
    expect(await Account.objects.filter({ code: "A1" }).count()).toBe(1);
  });

  test("IntegrityError for a NOT NULL violation through raw SQL", async () => {
    for (const statement of [
      orm.sql`INSERT INTO account (code, owner) VALUES (${"N1"}, ${null})`,
      orm.sql`INSERT INTO account (code) VALUES (${"N2"})`,
      orm.sql`UPDATE account SET owner = ${null}`,
    ]) {
      const error = await errorOf(() => database.execute(statement));
      expect(error).toBeInstanceOf(orm.IntegrityError);
      expect(error.cause).toBeInstanceOf(Error);
    }
  });

  test("IntegrityError for an Enum's CHECK through raw SQL", async () => {
    const error = await errorOf(() => database.execute(orm.sql`INSERT INTO account (code, owner, plan) VALUES (${"C1"}, ${"x"}, ${"gold"})`));
    expect(error).toBeInstanceOf(orm.IntegrityError);
  });
});
