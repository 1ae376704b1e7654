import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { DIALECTS } from "./helpers/databases.js";
import { sleep, until } from "./helpers/concurrency.js";
import { startOwnMariadb, type OwnMariadb } from "./helpers/own-mariadb.js";

// The server is killed (SIGKILL) and restarted under load: a server of this test's own, never the shared one.
if (DIALECTS.includes("mysql")) {
  describe("server crash and restart under 200 concurrent transactions [mysql]", () => {
    let server: OwnMariadb;
    beforeAll(async () => {
      server = await startOwnMariadb();
    }, 120_000);
    afterAll(() => server?.stop());

    test("every committed row is there, no rejected row is, and the pool recovers without a restart of the process", async () => {
      const database = new orm.Database(server.url, { pool: { max: 20, acquireTimeoutMs: 60_000 }, connectTimeoutMs: 2_000 });
      const Ledger = orm.Model.define("Ledger", { tag: orm.String({ maxLength: 40, unique: true }), amount: orm.Integer() }, { database, tablename: "ledger" });
      await database.createAll();
      const committed = new Set<string>();
      const rejected = new Set<string>();
      /** COMMIT was sent and got no answer: the one outcome the client cannot know (README: Reliability). */
      const inDoubt = new Set<string>();
      let stopping = false;
      let crashed = false;
      const worker = async (id: number) => {
        for (let round = 0; !stopping; round++) {
          const tag = `w${id}-r${round}`;
          let committing = false;
          try {
            const tx = await database.begin();
            try {
              await tx.run(async () => {
                await Ledger.objects.create({ tag, amount: round });
                await Ledger.objects.filter({ tag }).update({ amount: round + 1 });
              });
              committing = true;
              await tx.commit();
            } finally {
              await tx.rollback();
            }
            committed.add(tag);
          } catch (error) {
            expect(error).toBeInstanceOf(orm.OrmError);
            (committing ? inDoubt : rejected).add(tag);
            await sleep(50);
          }
        }
      };
      const workers = Array.from({ length: 200 }, (_, id) => worker(id));
      await until(() => committed.size >= 400, 120_000, "400 commits before the crash");
      await server.crash();
      crashed = true;
      await sleep(500);
      await server.start();
      const atRestart = committed.size;
      await until(() => committed.size >= atRestart + 400, 120_000, "400 commits after the restart");
      stopping = true;
      await Promise.all(workers);
      expect(crashed).toBe(true);
      expect(rejected.size).toBeGreaterThan(0);

      const stored = new Map((await Ledger.objects.values("tag", "amount")).map((row) => [row.tag, row.amount]));
      const lost = [...committed].filter((tag) => !stored.has(tag));
      const phantom = [...rejected].filter((tag) => stored.has(tag));
      expect(lost).toEqual([]);
      expect(phantom).toEqual([]);
      // Whatever was stored is whole: both statements of its transaction, or neither.
      for (const [tag, amount] of stored) expect(amount, tag).toBe(Number(tag.split("-r")[1]) + 1);
      for (const tag of stored.keys()) expect(committed.has(tag) || inDoubt.has(tag), tag).toBe(true);

      // The pool is healthy: 100 queries, 50 at once, then every connection idle and nobody waiting.
      for (let n = 0; n < 50; n++) expect(await Ledger.objects.filter({ amount: -1 }).count()).toBe(0);
      expect(await Promise.all(Array.from({ length: 50 }, () => Ledger.objects.filter({ amount: -1 }).count()))).toEqual(new Array(50).fill(0));
      await until(() => database.poolStats().idle === database.poolStats().total, 5_000, "an idle pool");
      expect(database.poolStats().waiting).toBe(0);
      console.log(`[restart] committed ${committed.size}, rejected ${rejected.size}, COMMIT in doubt ${inDoubt.size}`);
      await database.disconnect();
    }, 300_000);
  });
}
