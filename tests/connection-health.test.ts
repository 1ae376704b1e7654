import { describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { DIALECTS, SERVER_URLS } from "./helpers/databases.js";
import { rejectionOf } from "./helpers/concurrency.js";

const url = SERVER_URLS.mysql;

// MariaDB only: the other two databases keep a connection open after refusing an oversized statement.
if (DIALECTS.includes("mysql")) describe("connection health [mysql]", () => {
  test("MariaDB: after a statement over max_allowed_packet (the server closes the connection) the next query gets a sound one", async () => {
    const single = new orm.Database(url, { pool: { max: 1 } });
    try {
      const [{ limit }] = (await single.query(orm.sql`SELECT @@max_allowed_packet AS ${orm.raw("`limit`")}`)) as [{ limit: number | string }];
      const tooLarge = "x".repeat(Number(limit) + 1024);
      const error = await rejectionOf(() => single.query(orm.sql`SELECT LENGTH(${tooLarge}) AS n`));
      expect(error).toBeInstanceOf(orm.OrmError);
      expect((error as Error).cause).toBeInstanceOf(Error);
      for (let n = 0; n < 3; n++) expect(await single.query(orm.sql`SELECT ${n} AS n`)).toEqual([{ n }]);
    } finally {
      await single.disconnect();
    }
  });
});
