import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf } from "./helpers/fixtures.js";

const ROWS = 10_000;
const PAYLOAD = 4_000;

// A full garbage collection on demand, so memory retained can be told from garbage not yet collected.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;
/** Bytes retained by JS (heap, and buffers and strings held outside it) after a full collection. */
function retained(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

describeEachDialect(
  "streaming",
  (target) => {
    const { database } = target;

    const Blob = orm.Model.define(
      "Blob",
      { position: orm.Integer(), payload: orm.Text(), even: orm.Boolean() },
      { database },
    );

    beforeAll(async () => {
      await database.createAll();
      // ~40 MB of rows, in statements small enough for MariaDB's 16 MB max_allowed_packet.
      for (let start = 0; start < ROWS; start += 1000) {
        const rows = Array.from({ length: 1000 }, (_, offset) => {
          const position = start + offset;
          return { position, payload: `${position}:`.padEnd(PAYLOAD, "x"), even: position % 2 === 0 };
        });
        await Blob.objects.bulkCreate(rows);
      }
    }, 120_000);

    const poolIsWhole = () => {
      const stats = database.poolStats();
      expect(stats.waiting).toBe(0);
      // Every connection open is idle (MariaDB closes one whose stream was left early, rather than wait for the rest).
      expect(stats.idle).toBe(stats.total);
    };

    test("for await and iterate({ batchSize }) read every row, in order", async () => {
      let count = 0;
      let previous = -1;
      for await (const blob of Blob.objects.orderBy("position").iterate({ batchSize: 250 })) {
        expect(blob.position).toBe(previous + 1);
        expect(blob.payload).toHaveLength(PAYLOAD);
        previous = blob.position;
        count++;
      }
      expect(count).toBe(ROWS);
      let evens = 0;
      for await (const blob of Blob.objects.filter({ even: true })) evens += blob.even ? 1 : 0;
      expect(evens).toBe(ROWS / 2);
      poolIsWhole();
    });

    test("the first row arrives without the result being read into memory", async () => {
      // Holding every row (as all() does) costs over 40 MB; a cursor or streaming read holds one batch.
      const before = retained();
      let heldAtFirstRow = Number.NaN;
      let heldMidway = Number.NaN;
      let seen = 0;
      for await (const blob of Blob.objects.orderBy("position").iterate({ batchSize: 200 })) {
        if (seen === 0) heldAtFirstRow = retained() - before;
        if (seen === ROWS / 2) heldMidway = retained() - before;
        expect(blob.payload).toHaveLength(PAYLOAD);
        seen++;
      }
      expect(seen).toBe(ROWS);
      expect(heldAtFirstRow).toBeLessThan(10 * 1024 * 1024);
      expect(heldMidway).toBeLessThan(10 * 1024 * 1024);
      // The same read with all() holds every row: the measure can tell the two apart.
      const all = await Blob.objects.all();
      expect(retained() - before).toBeGreaterThan((ROWS * PAYLOAD) / 2);
      expect(all).toHaveLength(ROWS);
    });

    test("break after 10 rows returns at once and gives the connection back", async () => {
      let seen = 0;
      let breaking = 0;
      for await (const blob of Blob.objects.orderBy("position").iterate({ batchSize: 100 })) {
        expect(blob.position).toBe(seen);
        if (++seen === 10) {
          breaking = performance.now();
          break;
        }
      }
      expect(performance.now() - breaking).toBeLessThan(1000);
      expect(seen).toBe(10);
      poolIsWhole();
      expect(await Blob.objects.count()).toBe(ROWS);
      // Again, with values() rows and a larger batch.
      for await (const row of Blob.objects.orderBy("-position").values("position").iterate({ batchSize: 5000 })) {
        expect(row.position).toBe(ROWS - 1);
        break;
      }
      poolIsWhole();
      // Every connection of the pool serves queries again.
      const counts = await Promise.all(Array.from({ length: 4 }, () => Blob.objects.filter({ even: false }).count()));
      expect(counts).toEqual([ROWS / 2, ROWS / 2, ROWS / 2, ROWS / 2]);
      poolIsWhole();
    });

    test("an error thrown in the loop releases the connection and reaches the caller", async () => {
      const error = await errorOf(async () => {
        for await (const blob of Blob.objects.orderBy("position")) {
          if (blob.position === 3) throw new Error("stop here");
        }
      });
      expect(error.message).toBe("stop here");
      poolIsWhole();
      expect(await Blob.objects.filter({ position__lt: 5 }).count()).toBe(5);
    });

    test("inside a transaction: the stream uses its connection, and the transaction goes on after a break", async () => {
      await database.transaction(async () => {
        await Blob.objects.filter({ position: 0 }).update({ position: -1 });
        let first: number | undefined;
        for await (const blob of Blob.objects.orderBy("position").iterate({ batchSize: 50 })) {
          first = blob.position;
          break;
        }
        // The uncommitted update is visible: the stream ran on the transaction's connection.
        expect(first).toBe(-1);
        expect(await Blob.objects.filter({ position: -1 }).count()).toBe(1);
        await Blob.objects.filter({ position: -1 }).update({ position: 0 });
      });
      expect(await Blob.objects.filter({ position: 0 }).count()).toBe(1);
      poolIsWhole();
    });

    test("a bad batchSize is refused", async () => {
      const error = await errorOf(async () => {
        for await (const blob of Blob.objects.iterate({ batchSize: 0 })) expect(blob).toBeUndefined();
      });
      expect(error).toBeInstanceOf(orm.ValidationError);
    });
  },
  { pool: { max: 4 } },
);
