import { describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf } from "./helpers/fixtures.js";

// Finding 5 and the definition half of finding 8 (issue 20): mistakes in a definition are refused where they are written.
describe("Model.define refuses what would fail later", () => {
  const database = new orm.Database("sqlite::memory:");

  test("a field called id that is not the primary key is refused, not doubled", async () => {
    const error = await errorOf(() => orm.Model.define("Dup", { id: orm.Integer(), text: orm.String() }, { database }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/Dup\.id.*primaryKey: true/);
  });

  test("two primary keys are refused", async () => {
    const error = await errorOf(() => orm.Model.define("TwoKeys", { a: orm.Integer({ primaryKey: true }), b: orm.UUID({ primaryKey: true }) }, { database }));
    expect(error.message).toMatch(/a and b are both primaryKey/);
  });

  test("two models on one table are refused, also when the default names meet", async () => {
    orm.Model.define("UserProfile", { name: orm.String() }, { database });
    const error = await errorOf(() => orm.Model.define("User_Profile", { name: orm.String() }, { database }));
    expect(error.message).toMatch(/User_Profile and UserProfile both use the table "user_profile"/);
    orm.Model.define("Second", { name: orm.String() }, { database, tablename: "second" });
    expect((await errorOf(() => orm.Model.define("Other", { name: orm.String() }, { database, tablename: "SECOND" }))).message).toMatch(/tablename/);
  });

  test("a URL string passed as database says to make a Database, without the password", async () => {
    const error = await errorOf(() => orm.Model.define("Url", {}, { database: "postgresql://app:hunter2@db/x" as never }));
    expect(error.message).toMatch(/needs \{ database: new orm\.Database\(url\) \}, got the string "postgresql:\/\/app:\*\*\*@db\/x"/);
    expect(error.message).not.toContain("hunter2");
  });

  test("a field constructor that was not called names the call", async () => {
    const error = await errorOf(() => orm.Model.define("Uncalled", { text: orm.String as never }, { database }));
    expect(error.message).toBe("Uncalled.text must be a field: call it, orm.String(); got the function String itself");
  });

  test("unknown define options and field options are refused, naming the one meant", async () => {
    const table = await errorOf(() => orm.Model.define("Opt", {}, { database, tableName: "x" } as never));
    expect(table.message).toMatch(/"tableName"; did you mean "tablename"\?/);
    const length = await errorOf(() => orm.String({ max_length: 10 } as never));
    expect(length.message).toMatch(/orm\.String\(\) has no option "max_length"; did you mean "maxLength"\?/);
    const fk = await errorOf(() => orm.ForeignKey("Opt", { related_name: "x" } as never));
    expect(fk.message).toMatch(/did you mean "relatedName"/);
  });

  test("autoNow and autoNowAdd together are refused", async () => {
    // @ts-expect-error -- the two exclude each other
    const error = await errorOf(() => orm.DateTime({ autoNow: true, autoNowAdd: true }));
    expect(error.message).toMatch(/exclude each other/);
  });

  test("a model defined twice on one database (a REPL re-run) says how to go on", async () => {
    orm.Model.define("Again", { text: orm.String() }, { database });
    const error = await errorOf(() => orm.Model.define("Again", { text: orm.String() }, { database }));
    expect(error.message).toMatch(/already defined.*make a new orm\.Database\(url\)/is);
  });
});

describeEachDialect("define then use", ({ database }) => {
  test("the id the user declared as key is the only id: createAll and create work", async () => {
    const Keyed = orm.Model.define("Keyed", { id: orm.Integer({ primaryKey: true }), text: orm.String() }, { database });
    await database.createAll();
    const row = await Keyed.objects.create({ text: "x" });
    expect(Object.keys(Keyed.fields)).toEqual(["id", "text"]);
    expect(row.id).toBeTypeOf("number");
  });
});
