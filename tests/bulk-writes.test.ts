import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { expectRefusedBeforeSql } from "./helpers/fixtures.js";

describeEachDialect("bulk writes: upserts and bulkUpdate", (target) => {
  const { database } = target;
  const Product = orm.Model.define(
    "Product",
    {
      sku: orm.String({ maxLength: 20, unique: true }),
      name: orm.String({ maxLength: 40 }),
      stock: orm.Integer({ default: 0 }),
      price: orm.Decimal({ maxDigits: 8, decimalPlaces: 2 }),
      seen: orm.DateTime({ allowNull: true }),
    },
    { database },
  );

  beforeAll(() => database.createAll());

  const skus = (count: number, from = 0) => Array.from({ length: count }, (_, index) => `sku-${from + index}`);
  const rowsOf = async () => (await Product.objects.orderBy("sku").values("sku", "name", "stock", "price")).map((row) => [row.sku, row.name, row.stock, row.price]);

  test('onConflict: "ignore" inserts the new rows and leaves the clashing ones as they were, in one statement', async () => {
    await Product.objects.delete();
    await Product.objects.bulkCreate(skus(3).map((sku) => ({ sku, name: "old", price: "1.00" })));
    const statements = await target.statementsDuring(() =>
      Product.objects.bulkCreate(skus(5).map((sku) => ({ sku, name: "new", price: "2.00" })), { onConflict: "ignore" }),
    );
    expect(statements.filter((event) => event.sql.startsWith("INSERT"))).toHaveLength(1);
    expect(await rowsOf()).toEqual([
      ["sku-0", "old", 0, "1.00"],
      ["sku-1", "old", 0, "1.00"],
      ["sku-2", "old", 0, "1.00"],
      ["sku-3", "new", 0, "2.00"],
      ["sku-4", "new", 0, "2.00"],
    ]);
  });

  test("onConflict: { target, update } overwrites only the named fields of the rows that clash (an upsert)", async () => {
    await Product.objects.delete();
    await Product.objects.bulkCreate(skus(2).map((sku) => ({ sku, name: "kept", stock: 1, price: "1.00" })));
    const created = await Product.objects.bulkCreate(
      skus(4).map((sku, index) => ({ sku, name: "fresh", stock: 10 + index, price: "3.50" })),
      { onConflict: { target: ["sku"], update: ["stock", "price"] } },
    );
    expect(created).toHaveLength(4);
    expect(await rowsOf()).toEqual([
      ["sku-0", "kept", 10, "3.50"],
      ["sku-1", "kept", 11, "3.50"],
      ["sku-2", "fresh", 12, "3.50"],
      ["sku-3", "fresh", 13, "3.50"],
    ]);
    expect(await Product.objects.count()).toBe(4);
  });

  test("10,000 rows upserted over 5,000 existing ones: every row once, new values everywhere", async () => {
    await Product.objects.delete();
    await Product.objects.bulkCreate(skus(5000).map((sku) => ({ sku, name: "a", stock: 0, price: "1.00" })));
    await Product.objects.bulkCreate(
      skus(10_000).map((sku, index) => ({ sku, name: "b", stock: index, price: "2.00" })),
      { onConflict: { target: ["sku"], update: ["stock", "price"] } },
    );
    expect(await Product.objects.count()).toBe(10_000);
    expect(await Product.objects.filter({ price: "2.00" }).count()).toBe(10_000);
    expect(await Product.objects.filter({ name: "a" }).count()).toBe(5000);
    expect(await Product.objects.aggregate({ total: orm.Sum("stock") })).toEqual({ total: (9999 * 10_000) / 2 });
  }, 60_000);

  test("a bad row is refused before any SQL with its own problems only; an instance is no row of values", async () => {
    const error = await expectRefusedBeforeSql(target, () => Product.objects.bulkCreate([{ sku: "ok", name: "n", price: "1.00" }, { sku: "x".repeat(21), name: "n", price: "1.00" }]), orm.ValidationError);
    expect(error.errors.map((problem) => problem.field)).toEqual(["sku"]);
    expect(error.message).not.toMatch(/required/);
    const instance = await expectRefusedBeforeSql(target, () => Product.objects.bulkCreate([new Product({ sku: "i", name: "n", price: "1.00" })]), orm.ValidationError);
    expect(instance.message).toMatch(/item 0 is a model instance/);
  });

  test("one call naming the same target twice: an upsert is refused before any SQL on every database; ignore keeps the first", async () => {
    await Product.objects.delete();
    await Product.objects.bulkCreate([{ sku: "dup", name: "old", price: "1.00" }]);
    const rows = [
      { sku: "fresh", name: "a", price: "1.00" },
      { sku: "dup", name: "b", price: "2.00" },
      { sku: "other", name: "c", price: "3.00" },
      { sku: "dup", name: "d", price: "4.00" },
    ];
    const error = await expectRefusedBeforeSql(target, () => Product.objects.bulkCreate(rows, { onConflict: { target: ["sku"], update: ["name", "price"] } }), orm.ValidationError);
    expect(error.message).toMatch(/rows 1 and 3 both have sku the string "dup"/);
    // Rows in the order of their targets, the repeat next to its twin: found all the same.
    const sorted = [{ sku: "a", name: "a", price: "1.00" }, { sku: "b", name: "b", price: "1.00" }, { sku: "b", name: "c", price: "1.00" }];
    const adjacent = await expectRefusedBeforeSql(target, () => Product.objects.bulkCreate(sorted, { onConflict: { target: ["sku"], update: ["name"] } }), orm.ValidationError);
    expect(adjacent.message).toMatch(/rows 1 and 2 both have sku the string "b"/);
    // Dates are compared by their time, and a null target clashes with nothing.
    const seen = (iso: string | null) => (iso === null ? null : new Date(iso));
    const Stamp = orm.Model.define("Stamp", { at: orm.DateTime({ unique: true, allowNull: true }), n: orm.Integer() }, { database });
    await database.createAll();
    await expectRefusedBeforeSql(target, () => Stamp.objects.bulkCreate([{ at: seen("2024-01-01T00:00:00Z"), n: 1 }, { at: seen("2024-01-01T00:00:00.000Z"), n: 2 }], { onConflict: { target: ["at"], update: ["n"] } }), orm.ValidationError);
    await Stamp.objects.bulkCreate([{ at: null, n: 1 }, { at: null, n: 2 }, { at: seen("2024-01-02T00:00:00Z"), n: 3 }], { onConflict: { target: ["at"], update: ["n"] } });
    expect(await Stamp.objects.count()).toBe(3);
    expect(await rowsOf()).toEqual([["dup", "old", 0, "1.00"]]);
    await Product.objects.bulkCreate(rows, { onConflict: "ignore" });
    expect(await rowsOf()).toEqual([
      ["dup", "old", 0, "1.00"],
      ["fresh", "a", 0, "1.00"],
      ["other", "c", 0, "3.00"],
    ]);
    await Product.objects.delete();
    await Product.objects.bulkCreate(rows.slice(1), { onConflict: "ignore" });
    expect(await rowsOf()).toEqual([
      ["dup", "b", 0, "2.00"],
      ["other", "c", 0, "3.00"],
    ]);
  });

  test("a bad onConflict is refused before any SQL, naming what was wrong", async () => {
    const row = [{ sku: "x", name: "x", price: "1.00" }];
    await expectRefusedBeforeSql(target, () => Product.objects.bulkCreate(row, { onConflict: { target: ["nope" as never], update: ["stock"] } }), orm.UnknownFieldError);
    await expectRefusedBeforeSql(target, () => Product.objects.bulkCreate(row, { onConflict: { target: [], update: ["stock"] } }), orm.ValidationError);
    await expectRefusedBeforeSql(target, () => Product.objects.bulkCreate(row, { onConflict: "replace" as never }), orm.ValidationError);
    // The key is never overwritten: the existing row would take the new row's key (and its references would break).
    await expectRefusedBeforeSql(target, () => Product.objects.bulkCreate(row, { onConflict: { target: ["sku"], update: ["id" as never] } }), orm.ValidationError);
    // A target that is not unique could clash with nothing (SQLite and PostgreSQL refuse it; MySQL would match another key).
    const notUnique = await expectRefusedBeforeSql(target, () => Product.objects.bulkCreate(row, { onConflict: { target: ["name"], update: ["stock"] } }), orm.ValidationError);
    expect(notUnique.message).toMatch(/no unique field, constraint or index of Product is exactly \(name\)/);
  });

  test("each onConflict writes what it names, given again or among more specs than are kept, by names of any kind", async () => {
    // Every order of every set of fields to update (65 specs, past the 64 kept per model), each given twice.
    const fields = ["name", "stock", "price", "seen"] as const;
    const arrangements = (left: readonly (typeof fields)[number][]): (typeof fields)[number][][] =>
      [[], ...left.flatMap((field) => arrangements(left.filter((other) => other !== field)).map((rest) => [field, ...rest]))];
    const specs = arrangements(fields);
    expect(specs).toHaveLength(65);
    const seen = new Date("2026-01-02T03:04:05Z");
    for (const [round, update] of [...specs, ...specs].entries()) {
      await Product.objects.delete();
      await Product.objects.create({ sku: "a", name: "old", stock: 1, price: "1.00", seen: null });
      await Product.objects.bulkCreate([{ sku: "a", name: "new", stock: 2, price: "2.00", seen }], { onConflict: { target: ["sku"], update: [...update] } });
      const row = await Product.objects.get({ sku: "a" });
      const expected = { name: update.includes("name") ? "new" : "old", stock: update.includes("stock") ? 2 : 1, price: update.includes("price") ? "2.00" : "1.00", seen: update.includes("seen") ? seen.getTime() : null };
      expect({ name: row.name, stock: row.stock, price: row.price, seen: row.seen?.getTime() ?? null }, `round ${round}: update ${update.join(", ")}`).toEqual(expected);
    }
    // Names that are no strings are read as their text, and checked each time; a refused spec stays refused.
    await Product.objects.bulkCreate([{ sku: "a", name: "boxed", price: "1.00" }], { onConflict: { target: [new String("sku") as never], update: [new String("name") as never] } });
    expect((await Product.objects.get({ sku: "a" })).name).toBe("boxed");
    for (let attempt = 0; attempt < 2; attempt++) {
      await expectRefusedBeforeSql(target, () => Product.objects.bulkCreate([{ sku: "a", name: "x", price: "1.00" }], { onConflict: { target: ["sku"], update: ["__proto__" as never] } }), orm.UnknownFieldError);
    }
  });

  test("bulkUpdate writes each instance's own values in one UPDATE and returns the rows matched", async () => {
    await Product.objects.delete();
    const products = await Product.objects.bulkCreate(skus(500).map((sku) => ({ sku, name: "n", stock: 0, price: "1.00" })));
    const when = new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 250));
    products.forEach((product, index) => {
      product.stock = index * 2;
      product.price = `${index % 7}.25`;
      product.seen = index % 2 === 0 ? when : null;
      product.name = "not written";
    });
    let matched = 0;
    const statements = await target.statementsDuring(async () => {
      matched = await Product.objects.bulkUpdate(products, ["stock", "price", "seen"]);
    });
    expect(matched).toBe(500);
    expect(statements.map((event) => event.sql.split(" ")[0])).toEqual(["UPDATE"]);
    const rows = await Product.objects.orderBy("id").values("stock", "price", "seen", "name");
    expect(rows).toEqual(products.map((_, index) => ({ stock: index * 2, price: `${index % 7}.25`, seen: index % 2 === 0 ? when : null, name: "n" })));
  });

  test("bulkUpdate of more rows than one statement binds runs several UPDATEs in one transaction", async () => {
    await Product.objects.delete();
    const products = await Product.objects.bulkCreate(skus(12_000).map((sku) => ({ sku, name: "n", stock: 0, price: "1.00" })));
    for (const product of products) product.stock = 7;
    const statements = await target.statementsDuring(() => Product.objects.bulkUpdate(products, ["stock", "price"]));
    expect(statements.filter((event) => event.sql.startsWith("UPDATE")).length).toBe(2);
    expect(await Product.objects.filter({ stock: 7 }).count()).toBe(12_000);
  }, 60_000);

  test("bulkUpdate refuses unsaved instances, unknown fields and the primary key before any SQL", async () => {
    await Product.objects.delete();
    const [saved] = await Product.objects.bulkCreate([{ sku: "s", name: "n", price: "1.00" }]);
    await expectRefusedBeforeSql(target, () => Product.objects.bulkUpdate([new Product({ sku: "u", name: "n", price: "1.00" })], ["stock"]), orm.ValidationError);
    await expectRefusedBeforeSql(target, () => Product.objects.bulkUpdate([saved!], ["nope" as never]), orm.UnknownFieldError);
    await expectRefusedBeforeSql(target, () => Product.objects.bulkUpdate([saved!], ["id" as never]), orm.ValidationError);
    await expectRefusedBeforeSql(target, () => Product.objects.bulkUpdate([saved!], []), orm.ValidationError);
    const notInstance = await expectRefusedBeforeSql(target, () => Product.objects.bulkUpdate([saved!, { ...saved!.toJSON() } as never], ["stock"]), orm.ValidationError);
    expect(notInstance.message).toMatch(/item 1 is not a Product instance/);
    await expectRefusedBeforeSql(target, () => Product.objects.bulkUpdate([null as never], ["stock"]), orm.ValidationError);
    const sliced = await expectRefusedBeforeSql(target, () => Product.objects.orderBy("pk").limit(1).bulkUpdate([saved!], ["stock"]), orm.ValidationError);
    expect(sliced.message).toMatch(/cannot write through a sliced QuerySet/);
    expect(await Product.objects.bulkUpdate([], ["stock"])).toBe(0);
  });

  test("bulkUpdate on a filtered QuerySet writes only the rows it holds, as in Django", async () => {
    await Product.objects.delete();
    const products = await Product.objects.bulkCreate(skus(10).map((sku, index) => ({ sku, name: index % 2 === 0 ? "even" : "odd", stock: index, price: "1.00" })));
    for (const product of products) product.price = "9.99";
    expect(await Product.objects.filter({ name: "even" }).exclude({ stock: 4 }).bulkUpdate(products, ["price"])).toBe(4);
    const repriced = await Product.objects.filter({ price: "9.99" }).orderBy("stock").valuesList("stock", { flat: true });
    expect(repriced).toEqual([0, 2, 6, 8]);
    expect(await Product.objects.filter(orm.Q.or({ stock__lt: 2 }, { sku: "sku-9" })).bulkUpdate(products, ["name"])).toBe(3);
  });

  test("bulkUpdate across a relation's filter, an instance given twice (its last values), every kind of value", async () => {
    const Shelf = orm.Model.define("Shelf", { label: orm.String({ maxLength: 10 }) }, { database });
    const Stock = orm.Model.define(
      "Stock",
      { shelf: orm.ForeignKey(Shelf), count: orm.Integer(), price: orm.Decimal({ maxDigits: 8, decimalPlaces: 2 }), seen: orm.DateTime({ allowNull: true }), open: orm.Boolean({ default: true }), note: orm.String({ maxLength: 20, allowNull: true }) },
      { database },
    );
    await database.createAll();
    const [top, bottom] = await Shelf.objects.bulkCreate([{ label: "top" }, { label: "bottom" }]);
    const stocks = await Stock.objects.bulkCreate(Array.from({ length: 6 }, (_, index) => ({ shelf: index % 2 === 0 ? top! : bottom!, count: index, price: "1.00" })));
    const when = new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    for (const stock of stocks) Object.assign(stock, { count: stock.count * 10, price: "12.34", seen: when, open: false, note: "it's \"quoted\"" });
    const again = await Stock.objects.get({ pk: stocks[0]!.pk });
    again.count = 777;
    const fields = ["count", "price", "seen", "open", "note"] as const;
    expect(await Stock.objects.filter({ shelf__label: "top" }).bulkUpdate([...stocks, again], [...fields])).toBe(3);
    const rows = await Stock.objects.orderBy("id").values("count", "price", "seen", "open", "note");
    expect(rows).toEqual(
      stocks.map((_, index) =>
        // The first row's last instance is the one read again: its own values, and the count set on it.
        index === 0
          ? { count: 777, price: "1.00", seen: null, open: true, note: null }
          : index % 2 === 0
            ? { count: index * 10, price: "12.34", seen: when, open: false, note: "it's \"quoted\"" }
            : { count: index, price: "1.00", seen: null, open: true, note: null },
      ),
    );
    for (const stock of stocks) Object.assign(stock, { seen: null, note: null });
    expect(await Stock.objects.bulkUpdate(stocks, ["seen", "note"])).toBe(6);
    expect(await Stock.objects.filter({ seen: null, note: null }).count()).toBe(6);
  });
});
