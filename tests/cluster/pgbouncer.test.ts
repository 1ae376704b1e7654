import { describe, expect, it } from "vitest";
import * as orm from "../../lib/index.js";
import { CLUSTER } from "./cluster.js";

/** PgBouncer 1.18 in pool_mode=transaction: what ?pgbouncer=true changes. npm run test:pgbouncer runs the suite through it. */
describe("PgBouncer in transaction mode [postgresql]", () => {
  it("without ?pgbouncer=true the pooler refuses quarry's session settings; with it, repeated statements run unprepared on any server connection", async () => {
    const plain = new orm.Database(CLUSTER.pgBouncer);
    await expect(plain.query(orm.sql`SELECT 1 AS one`)).rejects.toThrow(/unsupported startup parameter: options/);
    await plain.disconnect();

    const pooled = new orm.Database(`${CLUSTER.pgBouncer}?pgbouncer=true`, { pool: { max: 8 } });
    try {
      // Each statement repeated often enough to be prepared without the setting, from 8 client connections at once.
      const results = await Promise.all(Array.from({ length: 400 }, (_, index) => pooled.query<{ n: number }>(orm.sql`SELECT ${index}::int AS n`)));
      expect(results.map((rows) => rows[0]!.n)).toEqual(Array.from({ length: 400 }, (_, index) => index));
      const prepared = await pooled.query<{ n: string }>(orm.sql`SELECT count(*)::text AS n FROM pg_prepared_statements`);
      expect(prepared).toEqual([{ n: "0" }]);
      await pooled.transaction(async (tx) => expect(await tx.query(orm.sql`SELECT current_setting('TimeZone') IS NOT NULL AS ok`)).toEqual([{ ok: true }]));
    } finally {
      await pooled.disconnect();
    }
  });

  it("refuses ?schema= with pgbouncer=true: a search_path set per session would not outlive a transaction", async () => {
    const database = new orm.Database(`${CLUSTER.pgBouncer}?pgbouncer=true&schema=app`);
    await expect(database.connect()).rejects.toThrow(/schema= sets search_path for the session.*ALTER ROLE/);
    await database.disconnect();
  });
});
