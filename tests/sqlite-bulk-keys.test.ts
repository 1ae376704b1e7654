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
  });
}
