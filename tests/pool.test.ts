import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { rejectionOf, sleep, until } from "./helpers/concurrency.js";

const POOL_MAX = 10;

/** One HTTP request to the test server; `abortAfter` destroys it once the server has started on it. */
function request(
  port: number,
  method: string,
  path: string,
  options: { signal?: AbortSignal; onFirstChunk?: (req: http.ClientRequest) => void } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, agent: false, signal: options.signal }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (body === "") options.onFirstChunk?.(req);
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
      res.on("aborted", () => reject(new Error("aborted")));
    });
    req.on("error", reject);
    req.end();
  });
}

describeEachDialect(
  "pool",
  ({ database, dialect, url }) => {
    const Order = orm.Model.define(
      "PoolOrder",
      { request: orm.Integer({ unique: true }), seen: orm.Integer(), route: orm.String({ maxLength: 20 }) },
      { database, tablename: "pool_orders" },
    );
    const capacity = dialect === "sqlite" ? 1 : POOL_MAX;

    let server: http.Server;
    let port: number;
    const counters = { active: 0, maxActive: 0, maxTotal: 0, maxWaiting: 0, inTransaction: 0, finished: 0, rolledBack: 0, streamsOpen: 0, streamsClosed: 0 };
    const sample = () => {
      const stats = database.poolStats();
      counters.maxTotal = Math.max(counters.maxTotal, stats.total);
      counters.maxWaiting = Math.max(counters.maxWaiting, stats.waiting);
    };

    beforeAll(async () => {
      await database.createAll();
      const app = express();

      // The load test's handler: a transaction doing a read and a write. The first ones wait for a crowd to gather,
      // so that more run at once than the pool has connections however quickly a slow machine lets requests in.
      let crowdGathered!: () => void;
      const crowd = new Promise<void>((resolve) => (crowdGathered = resolve));
      app.post("/orders/:n", async (req, res, next) => {
        counters.maxActive = Math.max(counters.maxActive, ++counters.active);
        if (counters.active > 2 * capacity) crowdGathered();
        try {
          await crowd;
          const n = Number(req.params.n);
          const order = await database.transaction(async () => {
            sample();
            const seen = await Order.objects.filter({ route: "load" }).count();
            sample();
            await sleep(1); // a handler awaits other things while it holds its connection
            return Order.objects.create({ request: n, seen, route: "load" });
          });
          res.json(order);
        } catch (error) {
          next(error);
        } finally {
          counters.active--;
        }
      });

      // A slow handler whose client may go away while its transaction is open.
      app.post("/slow/:n", async (req, res) => {
        const gone = new AbortController();
        res.on("close", () => {
          if (!res.writableFinished) gone.abort();
        });
        try {
          await database.transaction(async () => {
            await Order.objects.filter({ route: "slow" }).count();
            counters.inTransaction++;
            if (!gone.signal.aborted) await Promise.race([once(gone.signal, "abort"), sleep(10_000)]);
            if (gone.signal.aborted) throw new Error("client disconnected");
            await Order.objects.create({ request: 100_000 + Number(req.params.n), seen: 0, route: "slow" });
          });
          res.json({ ok: true });
        } catch {
          counters.rolledBack++;
          if (!res.destroyed) res.status(499).end();
        } finally {
          counters.finished++;
        }
      });

      // Streams every order as NDJSON, stopping when the client goes away.
      app.get("/export", async (_req, res) => {
        counters.streamsOpen++;
        try {
          res.setHeader("content-type", "application/x-ndjson");
          for await (const order of Order.objects.orderBy("request").iterate({ batchSize: 20 })) {
            if (res.destroyed) break;
            if (!res.write(`${JSON.stringify(order)}\n`)) await Promise.race([once(res, "drain"), once(res, "close")]);
          }
          res.end();
        } finally {
          counters.streamsClosed++;
        }
      });

      app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).json({ error: error.message });
      });

      server = http.createServer(app);
      server.listen({ host: "127.0.0.1", port: 0, backlog: 2048 });
      await once(server, "listening");
      port = (server.address() as AddressInfo).port;
    });

    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    });

    beforeEach(async () => {
      await Order.objects.delete();
      Object.assign(counters, { active: 0, maxActive: 0, maxTotal: 0, maxWaiting: 0, inTransaction: 0, finished: 0, rolledBack: 0, streamsOpen: 0, streamsClosed: 0 });
    });

    const poolIsIdle = async () => {
      await until(() => {
        const stats = database.poolStats();
        return stats.idle === stats.total && stats.waiting === 0;
      }, 5_000, "an idle pool");
      const stats = database.poolStats();
      expect(stats.total).toBeGreaterThanOrEqual(1);
      expect(stats.total).toBeLessThanOrEqual(capacity);
      expect(stats.idle).toBe(stats.total);
      expect(stats.waiting).toBe(0);
    };

    test("1,000 concurrent Express handlers, each a transaction reading and writing, over a 10-connection pool", async () => {
      const started = performance.now();
      const responses = await Promise.allSettled(Array.from({ length: 1000 }, (_, n) => request(port, "POST", `/orders/${n}`)));
      const elapsed = performance.now() - started;
      const failures = responses.filter((response) => response.status === "rejected" || response.value.status !== 200);
      expect(failures).toEqual([]);
      // Every committed row is there, once.
      const requests = (await Order.objects.filter({ route: "load" }).orderBy("request").valuesList("request", { flat: true })) as number[];
      expect(requests).toEqual(Array.from({ length: 1000 }, (_, n) => n));
      const bodies = responses.map((response) => JSON.parse((response as PromiseFulfilledResult<{ body: string }>).value.body));
      expect(new Set(bodies.map((body) => body.id)).size).toBe(1000);
      // The handlers really did run together, more of them than the pool has connections.
      expect(counters.maxActive).toBeGreaterThan(capacity);
      expect(counters.maxWaiting).toBeGreaterThan(0);
      expect(counters.maxTotal).toBeLessThanOrEqual(capacity);
      await poolIsIdle();
      console.info(`[pool ${dialect}] 1000 handlers in ${Math.round(elapsed)} ms; at most ${counters.maxActive} at once, ${counters.maxWaiting} waiting for a connection`);
    }, 90_000);

    test("clients that disconnect mid-request: every transaction rolls back and the pool gets every connection back", async () => {
      const count = 30;
      const controllers = Array.from({ length: count }, () => new AbortController());
      const requests = controllers.map((controller, n) => request(port, "POST", `/slow/${n}`, { signal: controller.signal }).catch((error) => error));
      // Wait until the pool is saturated with open transactions (the rest wait for a connection), then hang up.
      let saturated = false;
      try {
        await until(() => counters.inTransaction >= capacity && database.poolStats().waiting > 0, 10_000, "open transactions");
        saturated = true;
      } finally {
        for (const controller of controllers) controller.abort();
      }
      expect(saturated).toBe(true);
      const outcomes = await Promise.all(requests);
      expect(outcomes.every((outcome) => outcome instanceof Error)).toBe(true);
      await until(() => counters.finished === count, 10_000, "every handler to finish");
      expect(counters.rolledBack).toBe(count);
      expect(await Order.objects.filter({ route: "slow" }).count()).toBe(0);
      await poolIsIdle();
    });

    test("a stream whose client goes away is closed and its connection released", async () => {
      await Order.objects.bulkCreate(Array.from({ length: 2000 }, (_, n) => ({ request: n, seen: 0, route: "bulk" })));
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => request(port, "GET", "/export", { onFirstChunk: (req) => req.destroy() }).catch((error) => error)),
      );
      expect(outcomes.every((outcome) => outcome instanceof Error)).toBe(true);
      await until(() => counters.streamsClosed === 5, 10_000, "every stream to close");
      expect(counters.streamsOpen).toBe(5);
      await poolIsIdle();
      // A stream read to its end works too, and also gives its connection back.
      const whole = await request(port, "GET", "/export");
      expect(whole.body.trim().split("\n")).toHaveLength(2000);
      await poolIsIdle();
    });

    test("connections come back after throws: failed statements, failed transactions, a loop broken by an error", async () => {
      const work = Array.from({ length: 30 }, async (_, n) => {
        if (n % 3 === 0) return rejectionOf(() => database.query(orm.sql`SELECT no_such_column FROM pool_orders`));
        if (n % 3 === 1) {
          return rejectionOf(() =>
            database.transaction(async () => {
              await Order.objects.create({ request: 5000 + n, seen: 0, route: "thrown" });
              throw new Error("handler failed");
            }),
          );
        }
        return rejectionOf(async () => {
          for await (const order of Order.objects.iterate({ batchSize: 2 })) throw new Error(`stop at ${order.pk}`);
          throw new Error("stop: empty");
        });
      });
      await Order.objects.bulkCreate(Array.from({ length: 10 }, (_, n) => ({ request: n, seen: 0, route: "bulk" })));
      const errors = await Promise.all(work);
      expect(errors.filter((error) => error instanceof orm.DatabaseError)).toHaveLength(10);
      expect(errors.filter((error) => (error as Error).message === "handler failed")).toHaveLength(10);
      expect(errors.filter((error) => /^stop/.test((error as Error).message))).toHaveLength(10);
      expect(await Order.objects.filter({ route: "thrown" }).count()).toBe(0);
      await poolIsIdle();
    });

    test("an exhausted pool fails an acquire with a ConnectionError once the timeout passes, then recovers", async () => {
      const small = new orm.Database(url, { pool: { max: 2, acquireTimeoutMs: 300 } });
      try {
        const holders = await Promise.all(Array.from({ length: dialect === "sqlite" ? 1 : 2 }, () => small.begin()));
        const started = performance.now();
        const error = await rejectionOf(() => small.query(orm.sql`SELECT 1 AS one`));
        const waited = performance.now() - started;
        expect(error).toBeInstanceOf(orm.ConnectionError);
        expect((error as Error).message).toMatch(/Timed out after 300 ms waiting for .*connection/);
        expect(waited).toBeGreaterThanOrEqual(250);
        expect(waited).toBeLessThan(5_000);
        expect(small.poolStats().waiting).toBe(0);
        await Promise.all(holders.map((holder) => holder.rollback()));
        expect(await small.query(orm.sql`SELECT 1 AS one`)).toHaveLength(1);
        expect(small.poolStats().idle).toBe(small.poolStats().total);
      } finally {
        await small.disconnect();
      }
    });

    test("the pool size comes from the URL too, and is never exceeded", async () => {
      const sized = new orm.Database(`${url}${url.includes("?") ? "&" : "?"}pool_max=3`);
      try {
        let maxTotal = 0;
        await Promise.all(
          Array.from({ length: 20 }, () =>
            sized.transaction(async () => {
              await sized.query(orm.sql`SELECT 1 AS one`);
              maxTotal = Math.max(maxTotal, sized.poolStats().total);
              await sleep(5);
            }),
          ),
        );
        expect(maxTotal).toBe(dialect === "sqlite" ? 1 : 3);
        expect(sized.poolStats().idle).toBe(sized.poolStats().total);
      } finally {
        await sized.disconnect();
      }
    });
  },
  { pool: { max: POOL_MAX, acquireTimeoutMs: 20_000 } },
);
