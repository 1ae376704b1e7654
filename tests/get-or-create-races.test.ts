import { beforeEach, beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { barrier } from "./helpers/concurrency.js";

describeEachDialect("getOrCreate and updateOrCreate under concurrency", ({ database, dialect }) => {
  const Slot = orm.Model.define("RaceSlot", { key: orm.String({ maxLength: 20, unique: true }), hits: orm.Integer({ default: 0 }) }, { database, tablename: "race_slots" });
  beforeAll(() => database.createAll());
  beforeEach(() => Slot.objects.delete());

  test("50 concurrent updateOrCreate calls with one key: all succeed, one creates, one row", async () => {
    const meet = barrier(50);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, async (_, n) => {
        await meet();
        return Slot.objects.updateOrCreate({ key: "one" }, { hits: n });
      }),
    );
    const failures = results.filter((result) => result.status === "rejected").map((result) => String((result as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
    expect(results.filter((result) => result.status === "fulfilled" && result.value[1])).toHaveLength(1);
    expect(await Slot.objects.filter({ key: "one" }).count()).toBe(1);
  }, 60_000);

  for (const isolation of [undefined, "repeatable read", "serializable"] as const) {
    test(`getOrCreate inside 40 concurrent transactions (${isolation ?? "default isolation"}): the winner's row, or a retryable error, never a bare IntegrityError`, async () => {
      const meet = barrier(40);
      const attempt = () =>
        Promise.allSettled(
          Array.from({ length: 40 }, async () => {
            await meet();
            return database.transaction(() => Slot.objects.getOrCreate({ key: "shared" }, { hits: 1 }), { isolation });
          }),
        );
      const results = await attempt();
      for (const result of results) {
        if (result.status === "fulfilled") continue;
        expect(result.reason, String(result.reason)).toBeInstanceOf(orm.TransactionError);
        expect((result.reason as orm.TransactionError).retryable).toBe(true);
      }
      expect(results.filter((result) => result.status === "fulfilled" && result.value[1])).toHaveLength(1);
      // Run again, as the error says: every caller gets the one row.
      await Slot.objects.delete();
      const retried = await Promise.all(
        Array.from({ length: 40 }, () => database.transaction(() => Slot.objects.getOrCreate({ key: "again" }, { hits: 1 }), { isolation, retries: 10 })),
      );
      expect(new Set(retried.map(([slot]) => slot.pk)).size).toBe(1);
      expect(await Slot.objects.count()).toBe(1);
    }, 60_000);
  }
  void dialect;
});
