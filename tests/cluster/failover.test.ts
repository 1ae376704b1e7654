import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as orm from "../../lib/index.js";
import { CLUSTER, cluster, clusterAsync, eventually, port } from "./cluster.js";

/**
 * Failover on PostgreSQL's streaming replication: the primary crashes (stopped in immediate mode, as a power cut)
 * under a stream of writes, the standby is promoted, and the writes carry on through the multi-host URL.
 */
const hosts = `127.0.0.1:${port(CLUSTER.pgPrimary)},127.0.0.1:${port(CLUSTER.pgStandby)}`;
const MULTI_HOST = `postgresql://postgres@${hosts}/test?target_session_attrs=read-write`;

describe("failover with promotion [postgresql]", () => {
  const database = new orm.Database(MULTI_HOST, { pool: { max: 4, acquireTimeoutMs: 2_000 }, connectTimeoutMs: 2_000 });
  const Ack = orm.Model.define("Ack", { id: orm.Integer({ primaryKey: true }), n: orm.Integer() }, { database, tablename: "failover_acks" });
  const standby = new orm.Database(CLUSTER.pgStandby);

  beforeAll(async () => {
    await database.execute(orm.sql`DROP TABLE IF EXISTS failover_acks`);
    await database.createAll();
    await eventually("the table reaches the standby", async () => (await standby.query(orm.sql`SELECT to_regclass('failover_acks') AS t`))[0]!.t !== null);
  });

  afterAll(async () => {
    await database.disconnect();
    await standby.disconnect();
    // Both servers as they were: a primary on the first port, its standby on the second.
    cluster("pg-reset");
  });

  it("writes resume on the promoted standby without a restart; the acknowledged writes lost are counted", async () => {
    const acknowledged: number[] = [];
    let failed = 0;
    let stoppedAt = 0;
    let promotedAt = 0;
    let resumedAt = 0;
    let stop = false;
    const writer = (async () => {
      for (let n = 1; !stop; n++) {
        const started = performance.now();
        try {
          await Ack.objects.create({ n });
          acknowledged.push(n);
          // The first write sent after the promotion and acknowledged: the new primary's.
          if (promotedAt && started >= promotedAt && !resumedAt) resumedAt = performance.now();
        } catch {
          failed++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();
    await eventually("writes under way", async () => acknowledged.length >= 200);
    await clusterAsync("pg-stop", "primary", "immediate");
    stoppedAt = performance.now();
    await clusterAsync("pg-promote", "standby");
    promotedAt = performance.now();
    await eventually("writes resume", async () => resumedAt > 0, 30_000);
    const afterResume = acknowledged.length;
    await eventually("writes carry on", async () => acknowledged.length >= afterResume + 200);
    stop = true;
    await writer;

    const onNewPrimary = new Set((await Ack.objects.valuesList("n", { flat: true })) as number[]);
    const lost = acknowledged.filter((n) => !onNewPrimary.has(n));
    console.log(
      `[postgresql failover] ${acknowledged.length} writes acknowledged, ${failed} failed while no server took writes; the promotion took ${(promotedAt - stoppedAt).toFixed(0)} ms; the first write sent after it was acknowledged ${(resumedAt - promotedAt).toFixed(0)} ms after it (${(resumedAt - stoppedAt).toFixed(0)} ms after the crash); acknowledged writes lost: ${lost.length}`,
    );
    expect(Number((await database.query(orm.sql`SELECT inet_server_port() AS port`))[0]!.port)).toBe(port(CLUSTER.pgStandby));
    // No write went anywhere but the two servers: every row on the new primary was written by this stream.
    expect([...onNewPrimary].every((n) => n >= 1 && n <= acknowledged.length + failed)).toBe(true);
  });
});
