import { createHook } from "node:async_hooks";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { DIALECTS, placeFor } from "./helpers/databases.js";

// SQLite only: its many-row INSERTs report their last key, from which bulkCreate works out the others, and a table
// without AUTOINCREMENT (one quarry did not create) gets random keys once its largest is 2^63-1.
if (DIALECTS.includes("sqlite")) {
  describe("bulkCreate's keys on SQLite, worked out from each statement's last one [sqlite]", () => {
    const place = placeFor("sqlite", "bulk_keys");
    const database = new orm.Database(place.url);
    const Entry = orm.Model.define("BulkKeyEntry", { id: orm.BigInteger({ primaryKey: true }), label: orm.String({ maxLength: 20 }) }, { database, tablename: "entry" });

    beforeAll(async () => {
      await place.create();
      await database.execute(orm.sql`CREATE TABLE entry (id INTEGER PRIMARY KEY, label VARCHAR(20) NOT NULL)`);
    });
    afterAll(async () => {
      await database.disconnect();
      await place.destroy();
    });

    const rows = (count: number, tag: string) => Array.from({ length: count }, (_, index) => ({ label: `${tag} ${index}` }));
    const storedLabels = async () => new Map((await Entry.objects.all()).map((entry) => [entry.pk, entry.label]));

    test("in several statements, after a gap in the keys: each instance holds its own row's key", async () => {
      await Entry.objects.create({ id: 1000n, label: "high" });
      const created = await Entry.objects.bulkCreate(rows(1_500, "gap"));
      const stored = await storedLabels();
      expect(created.map((entry) => stored.get(entry.pk))).toEqual(created.map((entry) => entry.label));
      expect(created[0]!.pk).toBe(1001n);
    });

    test("past a largest key of 2^63-1, where SQLite picks keys at random: each instance still holds its own row's key", async () => {
      await Entry.objects.delete();
      await Entry.objects.create({ id: 2n ** 63n - 1n, label: "top" });
      const created = await Entry.objects.bulkCreate(rows(700, "random"));
      const stored = await storedLabels();
      expect(stored.size).toBe(701);
      expect(created.map((entry) => stored.get(entry.pk))).toEqual(created.map((entry) => entry.label));
    });

    /** The promises `work` makes: while any async hook is enabled (AsyncLocalStorage is one), each costs a call into it. */
    const promisesOf = async (work: () => Promise<unknown>) => {
      let made = 0;
      const hook = createHook({ init: (_id, type) => void (type === "PROMISE" && made++) });
      hook.enable();
      try {
        await work();
      } finally {
        hook.disable();
      }
      return made;
    };

    test("its statements are answered at once: the promises a bulkCreate or bulkUpdate makes do not grow with its statements", async () => {
      await Entry.objects.delete();
      const perStatement = database.dialect.valuesPerInsert!;
      const few = await promisesOf(() => Entry.objects.bulkCreate(rows(2 * perStatement, "few")));
      const many = await promisesOf(() => Entry.objects.bulkCreate(rows(20 * perStatement, "many")));
      expect(many - few).toBeLessThan(5);
      // Inside the caller's transaction, in a savepoint of its own.
      const inTransaction = (count: number) => promisesOf(() => database.transaction(() => Entry.objects.bulkCreate(rows(count, "nested"))));
      expect((await inTransaction(20 * perStatement)) - (await inTransaction(2 * perStatement))).toBeLessThan(5);
      expect(await Entry.objects.count()).toBe(44 * perStatement);

      const entries = await Entry.objects.orderBy("id").all();
      for (const entry of entries) entry.label = `${entry.label}!`;
      // Two UPDATEs (of 15,000 rows each at most), then six.
      const updateFew = await promisesOf(() => Entry.objects.bulkUpdate(entries.slice(0, 15_001), ["label"]));
      const updateMany = await promisesOf(() => Entry.objects.bulkUpdate(entries, ["label"]));
      expect(updateMany - updateFew).toBeLessThan(5);
      expect(await Entry.objects.filter({ label__endswith: "!" }).count()).toBe(entries.length);
    });
  });
}
