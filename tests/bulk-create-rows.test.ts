import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { beforeAll, beforeEach, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf, expectRefusedBeforeSql, untyped } from "./helpers/fixtures.js";

const run = promisify(execFile);

/**
 * bulkCreate checks rows that give the same keys in the same order with code compiled for those keys; every other
 * row as create() checks it. Whatever a row's shape, bulkCreate must take or refuse it as create() does.
 */
describeEachDialect("bulkCreate checks each row as create() does, whatever its shape", (target) => {
  const { database } = target;
  const shared = orm.fields({
    code: orm.String({ maxLength: 8, unique: true }),
    name: orm.String({ maxLength: 20 }),
    stock: orm.Integer({ default: 5 }),
    price: orm.Decimal({ maxDigits: 6, decimalPlaces: 2, allowNull: true }),
    note: orm.Text({ default: "none" }),
  });
  const Bulk = orm.Model.define("Bulk", { ...shared }, { database });
  const Single = orm.Model.define("Single", { ...shared }, { database });
  const Reading = orm.Model.define(
    "Reading",
    { on: orm.Boolean(), at: orm.DateTime(), level: orm.Decimal({ maxDigits: 7, decimalPlaces: 2 }) },
    { database },
  );

  beforeAll(() => database.createAll());
  beforeEach(async () => {
    await Bulk.objects.delete();
    await Single.objects.delete();
    await Reading.objects.delete();
  });

  const stored = async (model: typeof Bulk) => model.objects.orderBy("code").valuesList("code", "name", "stock", "price", "note");
  /** create()'s refusal of a row, as Bulk's would read. */
  const refusalAlone = async (row: unknown) => (await errorOf(() => untyped(Single).create(row))).message.replaceAll("Single", "Bulk");
  /** The rows bulkCreate stored, and what create() stored of each one. */
  const both = async (rows: object[]) => {
    await Bulk.objects.bulkCreate(rows as never);
    for (const row of rows) await Single.objects.create(row as never);
    return [await stored(Bulk), await stored(Single)];
  };

  class Input {
    constructor(
      readonly code: string,
      readonly name: string,
    ) {}
  }

  test("rows of several shapes in one call: key orders, keys left out, undefined values, pk, null prototypes, class objects", async () => {
    const bare = Object.assign(Object.create(null) as object, { code: "n1", name: "bare", price: 2.5 });
    const rows: object[] = [
      { code: "a1", name: "first", stock: 1, price: "1.00", note: "x" },
      { code: "a2", name: "second", stock: 2, price: "2.00", note: "y" },
      { name: "reordered", code: "b1", price: 3, stock: 3, note: "z" },
      { code: "a3", name: "third", stock: 4, price: "4.50", note: "w" },
      { code: "c1", name: "defaults" },
      { code: "c2", name: "undefined stock", stock: undefined, price: undefined },
      bare,
      new Input("d1", "class"),
      { code: "a4", name: "fourth", stock: 6, price: null, note: "v" },
    ];
    const [bulk, single] = await both(rows);
    expect(bulk).toEqual(single);
    expect(bulk).toEqual([
      ["a1", "first", 1, "1.00", "x"],
      ["a2", "second", 2, "2.00", "y"],
      ["a3", "third", 4, "4.50", "w"],
      ["a4", "fourth", 6, null, "v"],
      ["b1", "reordered", 3, "3.00", "z"],
      ["c1", "defaults", 5, null, "none"],
      ["c2", "undefined stock", 5, null, "none"],
      ["d1", "class", 5, null, "none"],
      ["n1", "bare", 5, "2.50", "none"],
    ]);
  });

  test("rows in every order of their keys, more orders than a model keeps compiled checks for, in turns", async () => {
    const keys = ["code", "name", "stock", "note"] as const;
    const orders: (typeof keys)[number][][] = [[]];
    for (const key of keys) orders.splice(0, orders.length, ...orders.flatMap((order) => Array.from({ length: order.length + 1 }, (_, at) => [...order.slice(0, at), key, ...order.slice(at)])));
    expect(orders).toHaveLength(24);
    const values = (index: number) => ({ code: `o${index}`, name: `order ${index}`, stock: index, note: `n${index}` });
    const rows = [...orders, ...orders].map((order, index) => Object.fromEntries(order.map((key) => [key, values(index)[key]])));
    const [bulk, single] = await both(rows);
    expect(bulk).toEqual(single);
    expect(bulk).toHaveLength(48);
  });

  test("booleans, Dates and decimals in many-row INSERTs, more distinct decimals than SQLite's codec keeps numbers for, stored and found as given", async () => {
    // 3,000 rows, 1,500 distinct levels (each twice): past the 1,024 texts the SQLite codec keeps the numbers of,
    // every level must still be stored as itself and compare equal to itself.
    const levelOf = (index: number) => ((index % 1500) * 3.37 - 2000).toFixed(2);
    const start = Date.UTC(2026, 0, 1);
    const rows = Array.from({ length: 3000 }, (_, index) => ({
      on: index % 3 === 0,
      at: new Date(start + index * 61_001),
      level: levelOf(index),
    }));
    const made = await Reading.objects.bulkCreate(rows);
    expect(new Set(made.map((reading) => reading.pk)).size).toBe(3000);
    const stored = await Reading.objects.orderBy("id").valuesList("on", "at", "level");
    expect(stored.map(([on, at, level]) => [on, (at as Date).toISOString(), level])).toEqual(rows.map((row, index) => [row.on, row.at.toISOString(), levelOf(index)]));
    for (const index of [0, 1, 1023, 1024, 1025, 1499]) {
      expect(await Reading.objects.filter({ level: levelOf(index) }).count()).toBe(2);
      expect(await Reading.objects.filter({ level__gte: levelOf(index), level__lt: (Number(levelOf(index)) + 0.01).toFixed(2) }).count()).toBe(2);
    }
    const { total } = await Reading.objects.aggregate({ total: orm.Sum("level") });
    const expected = rows.reduce((sum, _, index) => sum + Math.round(Number(levelOf(index)) * 100), 0) / 100;
    expect(Number(total)).toBeCloseTo(expected, 2);
    expect(await Reading.objects.filter({ on: true, at__gte: new Date(start + 1500 * 61_001) }).count()).toBe(500);
  });

  test("field classes of the program's own, overriding validate() or the check it runs, check bulkCreate's rows as create()'s", async () => {
    class Shouted extends orm.StringField {
      override validate(value: unknown): string | null {
        const text = super.validate(value);
        return text === null ? null : text.toUpperCase();
      }
    }
    class Trimmed extends orm.StringField {
      protected override check(value: unknown): string {
        return super.check(typeof value === "string" ? value.trim() : value);
      }
    }
    // The field classes' constructors are typed with the options every field takes; StringField reads maxLength too.
    const options = (maxLength: number, allowNull: boolean): orm.StringOptions => ({ maxLength, allowNull });
    const fields = () => ({ label: new Shouted(options(8, false)), tag: new Trimmed(options(4, true)) });
    const Many = orm.Model.define("CustomMany", fields(), { database });
    const One = orm.Model.define("CustomOne", fields(), { database });
    await database.createAll();
    const rows = Array.from({ length: 40 }, (_, index) => ({ label: `row ${index}`, tag: index % 4 === 0 ? null : `  t${index % 10}  ` }));
    await untyped(Many).bulkCreate(rows);
    for (const row of rows) await untyped(One).create(row);
    const stored = async (model: typeof Many) => model.objects.orderBy("id").valuesList("label", "tag");
    expect(await stored(Many)).toEqual(await stored(One));
    expect((await stored(Many)).slice(0, 2)).toEqual([["ROW 0", null], ["ROW 1", "t1"]]);
    const tooLong = await errorOf(() => untyped(Many).bulkCreate([...rows, { label: "x", tag: "  long1  " }]));
    expect(tooLong.message).toBe((await errorOf(() => untyped(One).create({ label: "x", tag: "  long1  " }))).message.replaceAll("CustomOne", "CustomMany"));
    expect(tooLong.message).toMatch(/tag is 5 characters long; maxLength is 4/);
  });

  test("a bad row after many good ones of its shape is refused before any SQL with every problem it has, as create() names them", async () => {
    const good = Array.from({ length: 50 }, (_, index) => ({ code: `g${index}`, name: "good", stock: index, price: "1.00", note: "n" }));
    const bad = { code: "toolongcode", name: "bad", stock: 1.5, price: "1.00", note: "n" };
    const error = await expectRefusedBeforeSql(target, () => Bulk.objects.bulkCreate([...good, bad, ...good]), orm.ValidationError);
    expect(error.errors.map((problem) => problem.field)).toEqual(["code", "stock"]);
    expect(error.message).toBe(await refusalAlone(bad));
    expect(await Bulk.objects.count()).toBe(0);
  });

  test("an unknown key, a __proto__ key or a missing value in a row of a known shape is refused as create() refuses it", async () => {
    const row = (code: string) => ({ code, name: "n", stock: 1, price: "1.00", note: "n" });
    for (const odd of [
      { ...row("u1"), colour: "red" },
      { code: "u2", name: "n", stock: 1, price: "1.00", colour: "red" },
      { code: "u3", stock: 1, price: "1.00", note: "n" },
      { code: "u4", name: undefined, stock: 1, price: "1.00", note: "n" },
      JSON.parse('{"code": "u5", "name": "n", "stock": 1, "price": "1.00", "__proto__": {"name": "x"}}') as object,
    ]) {
      const error = await expectRefusedBeforeSql(target, () => untyped(Bulk).bulkCreate([row("k1"), row("k2"), odd]), Error);
      const alone = await errorOf(() => untyped(Single).create(odd));
      expect(error.constructor).toBe(alone.constructor);
      expect(error.message).toBe(await refusalAlone(odd));
    }
    expect(await Bulk.objects.count()).toBe(0);
  });

  test("an inherited key is no value, and a key made enumerable on Object.prototype is none either, as for create()", async () => {
    const inherits = Object.assign(Object.create({ name: "inherited" }) as object, { code: "i1", stock: 1 });
    const refused = await errorOf(() => untyped(Bulk).bulkCreate([{ code: "i0", name: "n" }, inherits]));
    expect(refused).toBeInstanceOf(orm.ValidationError);
    expect(refused.message).toBe(await refusalAlone(inherits));
    expect(refused.message).toMatch(/name is required/);

    const rows = [{ code: "p1", name: "n" }, { code: "p2" }, { code: "p3", name: "n" }];
    Object.defineProperty(Object.prototype, "name", { value: "polluted", enumerable: true, configurable: true, writable: true });
    let pending: Promise<unknown>;
    let alone: Promise<string>;
    try {
      // The rows are checked before bulkCreate's first await, while the prototype is polluted.
      pending = untyped(Bulk).bulkCreate(rows);
      alone = refusalAlone(rows[1]);
    } finally {
      delete (Object.prototype as Record<string, unknown>).name;
    }
    const error = await errorOf(() => pending);
    expect(error.message).toBe(await alone);
    expect(error.message).toMatch(/name is required/);
    expect(await Bulk.objects.count()).toBe(0);
  });
});

test("bulkCreate checks and encodes rows where code cannot be compiled from strings (node --disallow-code-generation-from-strings)", async () => {
  const directory = mkdtempSync(join(tmpdir(), "quarry-no-eval-"));
  try {
    const script = join(directory, "check.mts");
    writeFileSync(
      script,
      `import * as orm from ${JSON.stringify(resolve("lib/index.ts"))};
const database = new orm.Database("sqlite://:memory:");
const Box = orm.Model.define("Box", { label: orm.String({ maxLength: 5 }) }, { database });
const Item = orm.Model.define("Item", {
  name: orm.String({ maxLength: 5 }), n: orm.Integer({ default: 1 }), box: orm.ForeignKey(Box, { allowNull: true }),
  on: orm.Boolean({ default: false }), at: orm.DateTime({ allowNull: true }), price: orm.Decimal({ maxDigits: 6, decimalPlaces: 2, allowNull: true }),
}, { database });
await database.createAll();
const box = await Box.objects.create({ label: "x" });
const at = new Date("2026-01-02T03:04:05.678Z");
const made = await Item.objects.bulkCreate([{ name: "a", n: 2, box, on: true, at, price: "1.50" }, { name: "b", box: box.pk }, { n: 3, name: "c", price: null }]);
let refused = "";
try { await Item.objects.bulkCreate([{ name: "ok" }, { name: "toolong" }]); } catch (error) { refused = error.message; }
const stored = (await Item.objects.orderBy("name").values("name", "n", "box", "on", "at", "price")).map((row) => ({ ...row, at: row.at?.toISOString() ?? null }));
console.log(JSON.stringify({ made: made.map((item) => [item.name, item.n]), stored, count: await Item.objects.count(), refused }));
await database.disconnect();
`,
    );
    const { stdout } = await run(process.execPath, ["--disallow-code-generation-from-strings", "--import", "tsx", script], { cwd: resolve(".") });
    expect(JSON.parse(stdout)).toEqual({
      made: [["a", 2], ["b", 1], ["c", 3]],
      // Encoded for SQLite without compiled code: a related row and a key, a boolean, a Date, a decimal, nulls.
      stored: [
        { name: "a", n: 2, box: 1, on: true, at: "2026-01-02T03:04:05.678Z", price: "1.50" },
        { name: "b", n: 1, box: 1, on: false, at: null, price: null },
        { name: "c", n: 3, box: null, on: false, at: null, price: null },
      ],
      count: 3,
      refused: expect.stringMatching(/Item\.name is 7 characters long; maxLength is 5/),
    });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}, 60_000);
