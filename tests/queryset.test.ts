import { beforeEach, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { defineNote, errorOf, untyped } from "./helpers/fixtures.js";

const TEXTS = ["Buy the groceries.", "Call Mum.", "Send invoices.", "call the plumber", "Mumble", "Zebra crossing"];

describeEachDialect("queryset", (target) => {
  const { database } = target;
  const Note = defineNote(database);
  const Counter = orm.Model.define("Counter", { value: orm.Integer(), label: orm.String({ maxLength: 20 }) }, { database });

  beforeEach(async () => {
    await database.createAll();
    await Note.objects.delete();
    await Note.objects.bulkCreate(TEXTS.map((text, index) => ({ text, completed: index % 2 === 1 })));
  });

  const texts = (notes: readonly { text: string }[]) => notes.map((note) => note.text);

  test("all(), and await of a QuerySet gives the same array", async () => {
    expect(texts(await Note.objects.all())).toEqual(TEXTS);
    expect(texts(await Note.objects)).toEqual(TEXTS);
    expect(texts(await Note.objects.filter({ completed: true }))).toEqual(["Call Mum.", "call the plumber", "Zebra crossing"]);
  });

  test("filter() and exclude() chain, and exclude negates the whole of its conditions", async () => {
    expect(texts(await Note.objects.exclude({ completed: true }))).toEqual(["Buy the groceries.", "Send invoices.", "Mumble"]);
    expect(texts(await Note.objects.filter({ text__icontains: "mum" }).exclude({ completed: false }))).toEqual(["Call Mum."]);
    expect(texts(await Note.objects.exclude({ completed: true, text__startswith: "Call" }))).toEqual(TEXTS.filter((text) => text !== "Call Mum."));
    expect(texts(await Note.objects.filter().exclude())).toEqual(TEXTS);
  });

  test("get(): the one row, NoMatch for none, MultipleMatches for more; get() alone needs exactly one row", async () => {
    expect((await Note.objects.get({ text: "Call Mum." })).completed).toBe(true);
    expect((await Note.objects.filter({ text: "Mumble" }).get()).text).toBe("Mumble");
    const none = await errorOf(() => Note.objects.get({ text: "nothing" }));
    expect(none).toBeInstanceOf(orm.NoMatch);
    expect(none.message).toContain("Note");
    expect(none.message).toContain("nothing");
    const many = await errorOf(() => Note.objects.get({ completed: true }));
    expect(many).toBeInstanceOf(orm.MultipleMatches);
    expect(many.message).toContain("Note");
    expect(await errorOf(() => Note.objects.get())).toBeInstanceOf(orm.MultipleMatches);
  });

  test("first() and last(): by primary key unless ordered; null when empty", async () => {
    expect((await Note.objects.first())?.text).toBe(TEXTS[0]);
    expect((await Note.objects.last())?.text).toBe(TEXTS.at(-1));
    expect((await Note.objects.orderBy("text").first())?.text).toBe("Buy the groceries.");
    expect((await Note.objects.orderBy("text").last())?.text).toBe("call the plumber");
    expect((await Note.objects.orderBy("-text").last())?.text).toBe("Buy the groceries.");
    expect(await Note.objects.filter({ text: "nothing" }).first()).toBeNull();
    expect(await Note.objects.filter({ text: "nothing" }).last()).toBeNull();
  });

  test('orderBy(): ascending, "-field" descending, several keys, and the last call wins', async () => {
    const ids = async (qs: orm.QuerySet<InstanceType<typeof Note>>) => (await qs).map((note) => note.id);
    const all = await Note.objects.all();
    expect(await ids(Note.objects.orderBy("-id"))).toEqual(all.map((note) => note.id).reverse());
    expect(texts(await Note.objects.orderBy("completed", "-text"))).toEqual([
      "Send invoices.", "Mumble", "Buy the groceries.", "call the plumber", "Zebra crossing", "Call Mum.",
    ]);
    expect(texts(await Note.objects.orderBy("-completed", "pk"))).toEqual(["Call Mum.", "call the plumber", "Zebra crossing", "Buy the groceries.", "Send invoices.", "Mumble"]);
    expect(await ids(Note.objects.orderBy("text").orderBy("-pk"))).toEqual(all.map((note) => note.id).reverse());
  });

  test("limit() incl. limit(0), and offset()", async () => {
    expect(texts(await Note.objects.limit(2))).toEqual(TEXTS.slice(0, 2));
    expect(await Note.objects.limit(0)).toEqual([]);
    expect(await Note.objects.limit(0).count()).toBe(0);
    expect(texts(await Note.objects.orderBy("id").offset(4))).toEqual(TEXTS.slice(4));
    expect(texts(await Note.objects.orderBy("id").offset(1).limit(2))).toEqual(TEXTS.slice(1, 3));
    expect(await Note.objects.offset(100)).toEqual([]);
    expect(await Note.objects.offset(4).count()).toBe(2);
    for (const bad of [-1, 1.5, Number.NaN, "2" as unknown as number]) {
      expect(() => Note.objects.limit(bad)).toThrow(orm.ValidationError);
      expect(() => Note.objects.offset(bad)).toThrow(orm.ValidationError);
    }
  });

  test("count() and exists()", async () => {
    expect(await Note.objects.count()).toBe(6);
    expect(await Note.objects.filter({ completed: true }).count()).toBe(3);
    expect(await Note.objects.filter({ text: "nothing" }).count()).toBe(0);
    expect(await Note.objects.exists()).toBe(true);
    expect(await Note.objects.filter({ text: "nothing" }).exists()).toBe(false);
    expect(await Note.objects.offset(6).exists()).toBe(false);
    expect(await Note.objects.limit(3).count()).toBe(3);
  });

  test("update() sets every matching row in one statement and returns the count", async () => {
    const statements = await target.statementsDuring(async () => {
      expect(await Note.objects.filter({ completed: false }).update({ completed: true })).toBe(3);
    });
    expect(statements).toHaveLength(1);
    expect(await Note.objects.filter({ completed: true }).count()).toBe(6);
    expect(await Note.objects.filter({ text: "nothing" }).update({ text: "x" })).toBe(0);
    expect(await Note.objects.orderBy("-id").limit(2).update({ text: "last two" })).toBe(2);
    expect(texts(await Note.objects.orderBy("id"))).toEqual([...TEXTS.slice(0, 4), "last two", "last two"]);
    expect(await errorOf(() => untyped(Note).update({ text: null }))).toBeInstanceOf(orm.ValidationError);
    expect(await errorOf(() => untyped(Note).update({ nope: 1 }))).toBeInstanceOf(orm.ValidationError);
  });

  test("count(), exists(), update() and delete() again with other values: each binds its own", async () => {
    // Every second call of a shape reuses the text compiled at the first: only the values change.
    for (const [text, expected] of [["Mumble", 1], ["nothing", 0], ["Call Mum.", 1]] as const) {
      expect(await Note.objects.filter({ text }).count()).toBe(expected);
    }
    expect(await Note.objects.filter({ completed: false }).exclude({ text: "Mumble" }).count()).toBe(2);
    expect(await Note.objects.filter({ completed: true }).exclude({ text: "Mumble" }).count()).toBe(3);
    expect(await Note.objects.filter({ text__in: ["Mumble"] }).count()).toBe(1);
    expect(await Note.objects.filter({ text__in: ["Mumble", "Call Mum."] }).count()).toBe(2);
    expect(await Note.objects.filter({ text__in: ["nothing"] }).exists()).toBe(false);
    expect(await Note.objects.filter({ text__in: ["Mumble"] }).exists()).toBe(true);
    expect(await Note.objects.filter({ text: "Mumble" }).update({ text: "Mumble 2" })).toBe(1);
    expect(await Note.objects.filter({ text: "Mumble 2" }).update({ text: "Mumble 3" })).toBe(1);
    // Another set of fields is a statement of its own; the same fields given in another order are the same one.
    expect(await Note.objects.filter({ text: "Mumble 3" }).update({ text: "Mumble 4", completed: true })).toBe(1);
    expect(await Note.objects.filter({ text: "Mumble 4" }).update({ completed: false, text: "Mumble 5" })).toBe(1);
    expect(await Note.objects.filter({ text: "Mumble 5" }).get()).toMatchObject({ text: "Mumble 5", completed: false });
    expect(await Note.objects.filter({ text: "Zebra crossing" }).delete()).toBe(1);
    expect(await Note.objects.filter({ text: "Mumble 5" }).delete()).toBe(1);
    expect(texts(await Note.objects.orderBy("id"))).toEqual(TEXTS.slice(0, 4));
  });

  test("delete() removes the matching rows and returns how many", async () => {
    expect(await Note.objects.filter({ completed: true }).delete()).toBe(3);
    expect(texts(await Note.objects)).toEqual(["Buy the groceries.", "Send invoices.", "Mumble"]);
    expect(await Note.objects.filter({ text: "nothing" }).delete()).toBe(0);
    expect(await Note.objects.orderBy("-id").limit(1).delete()).toBe(1);
    expect(await Note.objects.delete()).toBe(2);
    expect(await Note.objects.count()).toBe(0);
  });

  test("create() inserts, applies defaults and returns the saved instance", async () => {
    const note = await Note.objects.create({ text: "new" });
    expect(note.completed).toBe(false);
    expect(typeof note.id).toBe("number");
    expect((await Note.objects.get({ pk: note.pk })).text).toBe("new");
  });

  test("bulkCreate() of 10,000 rows: every key right, in as few statements as the database allows", async () => {
    await Counter.objects.delete();
    const rows = Array.from({ length: 10_000 }, (_, index) => ({ value: index, label: `row ${index}` }));
    let created: InstanceType<typeof Counter>[] = [];
    const statements = await target.statementsDuring(async () => {
      created = await Counter.objects.bulkCreate(rows);
    });
    // SQLite runs in-process: statements of at most 2,048 values insert faster than larger ones (1,024 rows of
    // two columns here), in one transaction, after one read of the largest key.
    expect(statements.length).toBeLessThanOrEqual(target.dialect === "sqlite" ? Math.ceil(10_000 / 1024) + 3 : 4);
    expect(created).toHaveLength(10_000);
    expect(await Counter.objects.count()).toBe(10_000);
    expect(new Set(created.map((counter) => counter.pk)).size).toBe(10_000);
    const stored = new Map((await Counter.objects.all()).map((counter) => [counter.pk, counter.value]));
    expect(created.every((counter, index) => counter.value === index && stored.get(counter.pk) === index)).toBe(true);
    expect(await Counter.objects.bulkCreate([])).toEqual([]);
  });

  test("bulkCreate() of more data than a server takes in one message (MariaDB's 16 MiB packet) splits it, all or none", async () => {
    const Page = orm.Model.define("BulkPage", { body: orm.Text(), position: orm.Integer() }, { database });
    await database.createAll();
    // 3,000 rows of 8,000 characters: 24 MB of text, the last row's quote and backslash escaped like the rest.
    const rows = Array.from({ length: 3_000 }, (_, position) => ({ body: `${position}:`.padEnd(7_990, "x") + "'\\%_;", position }));
    const created = await Page.objects.bulkCreate(rows);
    expect(created.map((page) => page.position)).toEqual(rows.map((row) => row.position));
    const stored = await Page.objects.orderBy("position").all();
    expect(stored.map((page) => page.pk)).toEqual(created.map((page) => page.pk));
    expect(stored.every((page, index) => page.body === rows[index]!.body)).toBe(true);

    await Page.objects.delete();
    const Numbered = orm.Model.define("BulkNumberedPage", { body: orm.Text(), position: orm.Integer({ unique: true }) }, { database });
    await database.createAll();
    // The database refuses the last row, statements after the first: none is written.
    const clash = [...rows.slice(0, -1), { ...rows[0]!, body: "again" }];
    expect(await errorOf(() => Numbered.objects.bulkCreate(clash))).toBeInstanceOf(orm.IntegrityError);
    expect(await Numbered.objects.count()).toBe(0);
  });

  test("bulkCreate() after a gap in the keys: every key right, bigint keys too", async () => {
    await Counter.objects.delete();
    await Counter.objects.create({ id: 5_000, value: -1, label: "high" });
    const rows = Array.from({ length: 123 }, (_, index) => ({ value: index, label: `row ${index}` }));
    const created = await Counter.objects.bulkCreate(rows);
    const stored = new Map((await Counter.objects.all()).map((counter) => [counter.pk, counter.value]));
    expect(created.map((counter) => stored.get(counter.pk))).toEqual(rows.map((row) => row.value));
    expect(Math.min(...created.map((counter) => counter.pk))).toBeGreaterThan(5_000);

    const Ledger = orm.Model.define("BigLedger", { id: orm.BigInteger({ primaryKey: true }), amount: orm.Integer() }, { database });
    await database.createAll();
    await Ledger.objects.create({ id: 2n ** 40n, amount: -1 });
    const entries = await Ledger.objects.bulkCreate(Array.from({ length: 77 }, (_, amount) => ({ amount })));
    const amounts = new Map((await Ledger.objects.all()).map((entry) => [entry.pk, entry.amount]));
    expect(entries.map((entry) => typeof entry.pk)).toEqual(entries.map(() => "bigint"));
    expect(entries.map((entry) => amounts.get(entry.pk))).toEqual(Array.from({ length: 77 }, (_, amount) => amount));
  });

  test("bulkCreate() keys are right whatever step the key generator takes (auto_increment_increment 3, as on a Galera cluster)", async () => {
    // One connection, so that a session setting holds for every statement.
    const stepping = new orm.Database(target.url, { pool: { max: 1 } });
    const Stepped = orm.Model.define("SteppedCounter", { value: orm.Integer() }, { database: stepping, tablename: "stepped_counter" });
    try {
      await stepping.connect();
      await stepping.createAll();
      if (target.dialect === "mysql") await stepping.execute(orm.sql`SET SESSION auto_increment_increment = 3`);
      if (target.dialect === "postgresql") await stepping.execute(orm.sql`ALTER TABLE stepped_counter ALTER COLUMN id SET INCREMENT BY 3`);
      await Stepped.objects.create({ value: -1 });
      const created = await Stepped.objects.bulkCreate(Array.from({ length: 10 }, (_, value) => ({ value })));
      const stored = new Map((await Stepped.objects.all()).map((row) => [row.pk, row.value]));
      expect(stored.size).toBe(11);
      expect(created.map((row) => stored.get(row.pk))).toEqual(created.map((row) => row.value));
      const steps = new Set(created.slice(1).map((row, index) => row.pk - created[index]!.pk));
      expect(steps).toEqual(new Set([target.dialect === "sqlite" ? 1 : 3]));
    } finally {
      await stepping.execute(orm.sql`DROP TABLE stepped_counter`).catch(() => undefined);
      await stepping.disconnect();
    }
  });

  test("bulkCreate() is all or nothing: one invalid row writes none", async () => {
    await Counter.objects.delete();
    const error = await errorOf(() => Counter.objects.bulkCreate([{ value: 1, label: "ok" }, { value: "two" as never, label: "bad" }]));
    expect(error).toBeInstanceOf(orm.ValidationError);
    expect(await Counter.objects.count()).toBe(0);
  });

  test("bulkCreate() that the database refuses at row 5,001 writes none, alone or inside a transaction", async () => {
    const Tag = orm.Model.define("BulkTag", { label: orm.String({ maxLength: 20, unique: true }) }, { database });
    await database.createAll();
    const rows = Array.from({ length: 10_000 }, (_, index) => ({ label: `tag ${index === 5_000 ? 10 : index}` }));
    expect(await errorOf(() => Tag.objects.bulkCreate(rows))).toBeInstanceOf(orm.IntegrityError);
    expect(await Tag.objects.count()).toBe(0);
    const failed = await errorOf(() =>
      database.transaction(async () => {
        await Tag.objects.create({ label: "before" });
        await Tag.objects.bulkCreate(rows);
      }),
    );
    expect(failed).toBeInstanceOf(orm.IntegrityError);
    expect(await Tag.objects.count()).toBe(0);
    const made = await Tag.objects.bulkCreate(rows.slice(0, 5_000));
    expect(made.map((tag) => tag.label)).toEqual(rows.slice(0, 5_000).map((row) => row.label));
    expect(await Tag.objects.count()).toBe(5_000);
    await Tag.objects.delete();
  });

  test("getOrCreate(): finds, or creates from the lookup's plain values plus defaults", async () => {
    const [found, foundCreated] = await Note.objects.getOrCreate({ text: "Call Mum." }, { completed: false });
    expect(foundCreated).toBe(false);
    expect(found.completed).toBe(true);
    const [made, madeCreated] = await Note.objects.getOrCreate({ text: "Brand new" }, { completed: true });
    expect(madeCreated).toBe(true);
    expect(await Note.objects.get({ pk: made.pk })).toMatchObject({ text: "Brand new", completed: true });
    const [again, againCreated] = await Note.objects.getOrCreate({ text__exact: "Brand new" });
    expect(againCreated).toBe(false);
    expect(again.pk).toBe(made.pk);
    expect(await errorOf(() => Note.objects.getOrCreate({ completed: true }))).toBeInstanceOf(orm.MultipleMatches);
  });

  test("updateOrCreate(): updates the match with the defaults, or creates it", async () => {
    const [updated, created] = await Note.objects.updateOrCreate({ text: "Mumble" }, { completed: true });
    expect(created).toBe(false);
    expect(updated.completed).toBe(true);
    expect((await Note.objects.get({ text: "Mumble" })).completed).toBe(true);
    const [made, madeCreated] = await Note.objects.updateOrCreate({ text: "Other" }, { completed: true });
    expect(madeCreated).toBe(true);
    expect((await Note.objects.get({ pk: made.pk })).completed).toBe(true);
  });

  test("search(): icontains over every String and Text field, OR-ed; an empty term matches everything", async () => {
    expect(texts(await Note.objects.search("mum"))).toEqual(["Call Mum.", "Mumble"]);
    expect(texts(await Note.objects.search("THE"))).toEqual(["Buy the groceries.", "call the plumber"]);
    expect(await Note.objects.search("").count()).toBe(6);
    expect(await Note.objects.filter({ completed: true }).search("mum").count()).toBe(1);
    expect(await Note.objects.search("%").count()).toBe(0);
  });

  test("inBulk(): a Map from pk to instance; missing keys are absent", async () => {
    const [a, b] = await Note.objects.orderBy("id").limit(2);
    const found = await Note.objects.inBulk([a!.pk, b!.pk, 999_999]);
    expect([...found.keys()].sort()).toEqual([a!.pk, b!.pk].sort());
    expect(found.get(b!.pk)?.text).toBe(b!.text);
    expect((await Note.objects.inBulk([])).size).toBe(0);
  });

  test("iterate() and for await stream every row, in order, and stop early on break", async () => {
    const streamed: string[] = [];
    for await (const note of Note.objects.orderBy("id").iterate({ batchSize: 2 })) streamed.push(note.text);
    expect(streamed).toEqual(TEXTS);
    const looped: string[] = [];
    for await (const note of Note.objects.filter({ completed: true })) looped.push(note.text);
    expect(looped).toEqual(["Call Mum.", "call the plumber", "Zebra crossing"]);
    let seen = 0;
    for await (const note of Note.objects.orderBy("id").iterate({ batchSize: 1 })) {
      expect(note.text).toBe(TEXTS[seen]);
      if (++seen === 2) break;
    }
    // The connection is back in the pool: further queries run.
    expect(await Note.objects.count()).toBe(6);
  });

  test("a derived QuerySet never changes its parent", async () => {
    const parent = Note.objects.filter({ completed: true });
    const children = [
      parent.filter({ text__startswith: "Call" }),
      parent.exclude({ text: "Zebra crossing" }),
      parent.orderBy("-id"),
      parent.limit(1),
      parent.offset(2),
      parent.distinct(),
    ];
    for (const child of children) expect(child).not.toBe(parent);
    expect(texts(await parent)).toEqual(["Call Mum.", "call the plumber", "Zebra crossing"]);
    expect(texts(await children[0]!)).toEqual(["Call Mum."]);
    expect(texts(await children[2]!)).toEqual(["Zebra crossing", "call the plumber", "Call Mum."]);
    expect(await parent.count()).toBe(3);
    expect(await Note.objects.count()).toBe(6);
  });
});
