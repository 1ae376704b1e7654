import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { DIALECTS } from "./helpers/databases.js";
import { startOwnMariadb, type OwnMariadb } from "./helpers/own-mariadb.js";

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
