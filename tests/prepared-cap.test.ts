import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { DIALECTS } from "./helpers/databases.js";
import { startOwnMariadb, type OwnMariadb } from "./helpers/own-mariadb.js";
import { startOwnPostgresql, type OwnPostgresql } from "./helpers/own-postgresql.js";

// MariaDB's max_prepared_stmt_count is server-wide: lowered on a server of this test's own.
if (DIALECTS.includes("mysql")) {
  describe("MariaDB max_prepared_stmt_count [mysql]", () => {
    let server: OwnMariadb;
    beforeAll(async () => {
      server = await startOwnMariadb(["--max-prepared-stmt-count=20"]);
    }, 120_000);
    afterAll(() => server?.stop());

    test("once the server's cap is reached, statements run unprepared: get and create keep working", async () => {
      const database = new orm.Database(server.url, { pool: { max: 4 } });
      // Another client of the server uses up the cap, as a second app instance would.
      const hog = new orm.Database(server.url, { pool: { max: 1 } });
      try {
        const Item = orm.Model.define("CapItem", { name: orm.String({ maxLength: 40 }), rank: orm.Integer() }, { database, tablename: "cap_items" });
        await database.createAll();
        for (let shape = 0; shape < 40; shape++) {
          // Each text run twice: its second run prepares it.
          for (let run = 0; run < 2; run++) await hog.query(orm.sql`SELECT ${shape} + ${run} AS ${orm.raw(`n${shape}`)}`).catch(() => {});
        }
        const [{ used }] = (await hog.query(orm.sql`SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'`)).map((row) => ({ used: Number(row.Value) }));
        expect(used).toBe(20);
        for (let n = 0; n < 5; n++) {
          const created = await Item.objects.create({ name: `item ${n}`, rank: n });
          expect((await Item.objects.get({ pk: created.pk })).name).toBe(`item ${n}`);
          expect(await Item.objects.filter({ rank__gte: 0 }).count()).toBe(n + 1);
          expect(await Item.objects.filter({ name: `item ${n}` }).all()).toHaveLength(1);
        }
        await hog.disconnect();
        // With room again (after the pause), statements are prepared again.
        expect(await Item.objects.count()).toBe(5);
      } finally {
        await hog.disconnect();
        await database.disconnect();
      }
    });
  });
}

// A backend's memory is the server's to limit: a cluster of this test's own, each process under `ulimit -v`.
if (DIALECTS.includes("postgresql")) {
  describe("PostgreSQL out of memory for prepared statements [postgresql]", () => {
    let server: OwnPostgresql;
    beforeAll(async () => {
      server = await startOwnPostgresql(["shared_buffers = 128kB"], 250_000);
    }, 120_000);
    afterAll(() => server?.stop());

    test("a statement whose prepare fails for memory runs again unprepared, and the ones after it run too", async () => {
      const database = new orm.Database(server.url, { pool: { max: 1 } });
      // 250 computed columns: each prepared plan holds a few hundred KB of the backend's memory.
      const columns = orm.raw(Array.from({ length: 250 }, (_, index) => `$1::int + ${index} AS c${index}`).join(", "));
      try {
        for (let shape = 0; shape < 900; shape++) {
          // Each text sent twice: its second use prepares it.
          for (let run = 0; run < 2; run++) {
            const [row] = await database.query(orm.sql`SELECT ${columns}, ${orm.raw(String(shape))} AS shape WHERE ${1} > ${orm.raw(String(-shape))}`);
            expect([row!.c0, row!.c249, row!.shape]).toEqual([1, 250, shape]);
          }
        }
        // The server did run out: its log says so; no statement failed for it.
        expect(server.log()).toMatch(/ERROR: {2}out of memory/);
        expect(await database.query(orm.sql`SELECT ${2}::int AS two`)).toEqual([{ two: 2 }]);
      } finally {
        await database.disconnect();
      }
    }, 180_000);
  });
}
