import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as orm from "../../lib/index.js";
import { CLUSTER, cluster, clusterAsync, eventually, port } from "./cluster.js";

/** MariaDB Galera, three nodes: writes on any node, certification conflicts retried, a node killed under load. */
const [node1, node2, node3] = CLUSTER.galera as [string, string, string];

const counterFields = () => ({ id: orm.Integer({ primaryKey: true }), value: orm.Integer({ default: 0 }) });
const noteFields = () => ({ id: orm.Integer({ primaryKey: true }), text: orm.String({ maxLength: 100 }) });

describe("MariaDB Galera cluster", () => {
  const first = new orm.Database(node1);
  const second = new orm.Database(node2);
  const Counter1 = orm.Model.define("Counter", counterFields(), { database: first, tablename: "galera_counters" });
  const Counter2 = orm.Model.define("Counter", counterFields(), { database: second, tablename: "galera_counters" });
  const Note1 = orm.Model.define("Note", noteFields(), { database: first, tablename: "galera_notes" });
  const Note2 = orm.Model.define("Note", noteFields(), { database: second, tablename: "galera_notes" });

  beforeAll(async () => {
    await first.execute(orm.sql`DROP TABLE IF EXISTS galera_counters`);
    await first.execute(orm.sql`DROP TABLE IF EXISTS galera_notes`);
    await first.createAll();
    await Counter1.objects.bulkCreate(Array.from({ length: 5 }, (_, index) => ({ id: index + 1, value: 0 })));
    await eventually("the rows reach node 2", async () => (await Counter2.objects.count()) === 5);
  });

  afterAll(async () => {
    await first.disconnect();
    await second.disconnect();
  });

  it("two nodes incrementing the same rows at once: certification conflicts are retried until every transaction commits", async () => {
    let attempts = 0;
    let conflicts = 0;
    const increment = (Counter: typeof Counter1, database: orm.Database, id: number) =>
      database.transaction(
        async () => {
          attempts++;
          await Counter.objects.get({ pk: id });
          // Atomic on each node (F); between nodes, Galera's certification refuses the later of two commits.
          await Counter.objects.filter({ pk: id }).update({ value: orm.F("value").add(1) });
        },
        { retries: 100 },
      );
    const worker = async (Counter: typeof Counter1, database: orm.Database, seed: number) => {
      for (let index = 0; index < 50; index++) await increment(Counter, database, ((seed + index) % 5) + 1);
    };
    // Counted apart: the conflicts a transaction without retries meets.
    const bare = async (Counter: typeof Counter1, database: orm.Database) => {
      for (let index = 0; index < 20; index++) {
        await database
          .transaction(async () => {
            await Counter.objects.get({ pk: 1 });
            await Counter.objects.filter({ pk: 1 }).update({ value: orm.F("value").add(1) });
          })
          .catch((error: unknown) => {
            expect(error).toBeInstanceOf(orm.TransactionError);
            expect((error as orm.TransactionError).retryable).toBe(true);
            conflicts++;
          });
      }
    };
    await Promise.all([bare(Counter1, first), bare(Counter2, second), bare(Counter1, first), bare(Counter2, second)]);
    const beforeRetried = await Counter1.objects.aggregate({ total: orm.Sum("value") });

    await Promise.all([0, 1, 2, 3].flatMap((seed) => [worker(Counter1, first, seed), worker(Counter2, second, seed + 2)]));
    const committed = 8 * 50;
    console.log(`[galera] without retries ${conflicts} of 80 transactions failed with a retryable conflict; with retries ${committed} committed in ${attempts} attempts`);
    expect(conflicts).toBeGreaterThan(0);
    await eventually("both nodes agree", async () => {
      const [a, b] = await Promise.all([Counter1.objects.aggregate({ total: orm.Sum("value") }), Counter2.objects.aggregate({ total: orm.Sum("value") })]);
      return a.total === b.total && Number(a.total) === Number(beforeRetried.total) + committed;
    });
    expect(attempts).toBeGreaterThanOrEqual(committed);
  });

  it("keys stay right under the cluster's auto_increment offset and step, on every node", async () => {
    const [step] = await first.query<{ step: number }>(orm.sql`SELECT @@auto_increment_increment AS step`);
    expect(Number(step!.step)).toBe(3);
    const made = [
      ...(await Note1.objects.bulkCreate(Array.from({ length: 10 }, (_, index) => ({ text: `node 1 bulk ${index}` })))),
      ...(await Note2.objects.bulkCreate(Array.from({ length: 10 }, (_, index) => ({ text: `node 2 bulk ${index}` })))),
      await Note1.objects.create({ text: "node 1 one" }),
      await Note2.objects.create({ text: "node 2 one" }),
    ];
    await eventually("node 1 has every row", async () => (await Note1.objects.count()) === made.length);
    for (const note of made) expect((await Note1.objects.get({ pk: note.id })).text).toBe(note.text);
    expect(new Set(made.map((note) => note.id)).size).toBe(made.length);
  });

  it("a node killed under load: the multi-host URL moves to the next node, the others keep serving", async () => {
    // The killed node first in the URL's order: the pool serves from it until it dies.
    const spreadDatabase = new orm.Database(`mysql://root@127.0.0.1:${port(node3)},127.0.0.1:${port(node1)},127.0.0.1:${port(node2)}/test`, { connectTimeoutMs: 2_000 });
    const SpreadNote = orm.Model.define("Note", noteFields(), { database: spreadDatabase, tablename: "galera_notes" });
    let stop = false;
    let killed = false;
    const spread = { served: 0, failed: 0, afterKill: 0 };
    const direct = { served: 0, failed: 0 };
    /** Runs `step` until the test stops it, counting what it served and what failed. */
    const load = async (counts: { served: number; failed: number }, step: (index: number) => Promise<unknown>) => {
      for (let index = 0; !stop; index++) {
        try {
          await step(index);
          counts.served++;
        } catch (error) {
          counts.failed++;
          if (counts === direct) console.error(error);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    const spreadLoad = load(spread, async (index) => {
      await SpreadNote.objects.create({ text: `spread ${index}` });
      await SpreadNote.objects.filter({ text: `spread ${index}` }).count();
      if (killed) spread.afterKill++;
    });
    const directLoad = load(direct, async (index) => {
      await Note2.objects.create({ text: `direct ${index}` });
      await Note1.objects.filter({ text: `direct ${index}` }).exists();
    });
    try {
      await eventually("load under way", async () => spread.served >= 50 && direct.served >= 50);
      expect(Number((await spreadDatabase.query<{ port: number }>(orm.sql`SELECT @@port AS port`))[0]!.port)).toBe(port(node3));
      await clusterAsync("my-stop", "galera3", "KILL");
      killed = true;
      await eventually("the multi-host URL serves again", async () => spread.afterKill >= 50, 60_000);
      const directAfter = direct.served;
      await eventually("the other nodes keep serving", async () => direct.served >= directAfter + 50);
    } finally {
      stop = true;
      await Promise.all([spreadLoad, directLoad]);
    }
    console.log(`[galera] node 3 killed under load: through the multi-host URL ${spread.served} served, ${spread.failed} failed at the switch; nodes 1 and 2 directly ${direct.served} served, ${direct.failed} failed`);
    expect(Number((await spreadDatabase.query<{ port: number }>(orm.sql`SELECT @@port AS port`))[0]!.port)).toBe(port(node1));
    expect(direct.failed).toBe(0);
    await spreadDatabase.disconnect();

    // Node 3 back for the next run: it rejoins and catches up by state transfer.
    cluster("my-start", "galera3");
    await eventually("node 3 rejoins", async () => {
      const back = new orm.Database(node3);
      try {
        return (await back.query<{ Value: string }>(orm.sql`SHOW STATUS LIKE 'wsrep_local_state_comment'`))[0]?.Value === "Synced";
      } finally {
        await back.disconnect();
      }
    }, 120_000);
  });
});
