import { afterAll, beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { rejectionOf, settledWithin, sleep, until } from "./helpers/concurrency.js";
import { startMuteServer, startProxy } from "./helpers/proxy.js";

/** Marks this file's sleeping statements apart from other test runs' on the shared servers. */
const TAG = `slept_${process.pid}_${Date.now()}`;

/** A statement that runs `seconds` on the server. */
function sleeping(dialect: orm.DialectName, seconds: number): orm.Sql {
  return dialect === "postgresql" ? orm.sql`SELECT pg_sleep(${seconds}) AS ${orm.raw(TAG)}` : orm.sql`SELECT SLEEP(${seconds}) AS ${orm.raw(TAG)}`;
}

/** Sleeping statements the server is still running, seen from another session, once a cancel has had time to land. */
async function sleepersOnServer(admin: orm.Database): Promise<number> {
  let count = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    const rows =
      admin.url.dialect === "postgresql"
        ? await admin.query(orm.sql`SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND query LIKE ${`%${TAG}%`} AND state = 'active'`)
        : await admin.query(orm.sql`SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP%' AND info LIKE ${`%${TAG}%`}`);
    if ((count = rows.length) === 0) return 0;
    await sleep(100);
  }
  return count;
}

describeEachDialect("statement timeouts and cancellation", ({ database, dialect, url }) => {
  const Note = orm.Model.define("TimeoutNote", { text: orm.String({ maxLength: 40 }) }, { database, tablename: "timeout_notes" });
  const admin = new orm.Database(url);
  beforeAll(() => database.createAll());
  afterAll(() => admin.disconnect());

  test("an AbortSignal already fired: nothing is sent, QueryCancelledError", async () => {
    const controller = new AbortController();
    controller.abort(new Error("the client went away"));
    const sent = await (async () => {
      const events: string[] = [];
      const listener = (event: orm.QueryEvent) => event.error === undefined && events.push(event.sql);
      database.on("query", listener);
      try {
        for (const call of [
          () => Note.objects.all({ signal: controller.signal }),
          () => database.query(orm.sql`SELECT 1 AS one`, { signal: controller.signal }),
          () => database.transaction(() => Note.objects.create({ text: "no" }), { signal: controller.signal }),
        ]) {
          const error = await rejectionOf(call);
          expect(error).toBeInstanceOf(orm.QueryCancelledError);
          expect(error).not.toBeInstanceOf(orm.StatementTimeoutError);
        }
      } finally {
        database.off("query", listener);
      }
      return events;
    })();
    expect(sent.filter((text) => /timeout_notes/.test(text) && /INSERT|SELECT/.test(text))).toEqual([]);
    expect(await Note.objects.count()).toBe(0);
  });

  test("a transaction whose signal fires rolls back", async () => {
    const controller = new AbortController();
    const error = await rejectionOf(() =>
      database.transaction(
        async () => {
          await Note.objects.create({ text: "rolled back" });
          controller.abort();
          await Note.objects.create({ text: "never" });
        },
        { signal: controller.signal },
      ),
    );
    expect(error).toBeInstanceOf(orm.QueryCancelledError);
    expect(await Note.objects.count()).toBe(0);
  });

  if (dialect === "sqlite") return;

  test("statementTimeoutMs cancels a slow statement on the server; the pool stays healthy", async () => {
    const bounded = new orm.Database(url, { statementTimeoutMs: 300 });
    try {
      await bounded.query(orm.sql`SELECT 1 AS one`);
      const error = await rejectionOf(() => bounded.query(sleeping(dialect, 30)));
      expect(error).toBeInstanceOf(orm.StatementTimeoutError);
      expect((error as Error).message).toMatch(/300 ms/);
      expect((error as Error).cause).toBeInstanceOf(Error);
      await until(() => bounded.poolStats().waiting === 0);
      expect(await sleepersOnServer(admin)).toBe(0);
      expect(await bounded.query(orm.sql`SELECT 2 AS two`)).toEqual([{ two: 2 }]);
      // The URL form, and a call's own limit over the database's: 0 lifts it.
      const fromUrl = new orm.Database(`${url}${url.includes("?") ? "&" : "?"}statement_timeout_ms=200`);
      try {
        expect(await rejectionOf(() => fromUrl.query(sleeping(dialect, 30)))).toBeInstanceOf(orm.StatementTimeoutError);
        expect(await fromUrl.query(sleeping(dialect, 0.4), { timeoutMs: 0 })).toHaveLength(1);
      } finally {
        await fromUrl.disconnect();
      }
    } finally {
      await bounded.disconnect();
    }
  });

  test("a per-call timeoutMs and an AbortSignal cancel on the server, inside a transaction too", async () => {
    expect(await rejectionOf(() => database.query(sleeping(dialect, 30), { timeoutMs: 200 }))).toBeInstanceOf(orm.StatementTimeoutError);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const aborted = await rejectionOf(() => database.query(sleeping(dialect, 30), { signal: controller.signal }));
    expect(aborted).toBeInstanceOf(orm.QueryCancelledError);
    expect(aborted).not.toBeInstanceOf(orm.StatementTimeoutError);
    const inTransaction = new AbortController();
    const error = await rejectionOf(() =>
      database.transaction(
        async () => {
          await Note.objects.create({ text: "rolled back" });
          setTimeout(() => inTransaction.abort(), 200);
          await database.query(sleeping(dialect, 30));
        },
        { signal: inTransaction.signal },
      ),
    );
    expect(error).toBeInstanceOf(orm.QueryCancelledError);
    expect(await Note.objects.count()).toBe(0);
    expect(await sleepersOnServer(admin)).toBe(0);
    expect(await database.query(orm.sql`SELECT 3 AS three`)).toEqual([{ three: 3 }]);
  });

  test("disconnect({ timeoutMs }) keeps its promise on a pool that has run statements: the running one is cancelled", async () => {
    const app = new orm.Database(url);
    await app.query(orm.sql`SELECT 1 AS one`);
    const slow = app.query(sleeping(dialect, 30));
    slow.catch(() => {});
    await sleep(200);
    const disconnected = app.disconnect({ timeoutMs: 500 });
    expect(await settledWithin(disconnected, 10_000)).toBe("fulfilled");
    const error = await rejectionOf(() => slow);
    expect(error).toBeInstanceOf(orm.ConnectionError);
    expect(await sleepersOnServer(admin)).toBe(0);
    expect(app.poolStats()).toEqual({ total: 0, idle: 0, waiting: 0 });
  });

  test("a network gone silent mid-statement: the statement timeout ends it, the connection is dropped", async () => {
    const port = Number(new URL(url.replace(/^(postgresql|mysql):/, "http:")).port);
    const proxy = await startProxy(port);
    const proxied = url.replace(`:${port}/`, `:${proxy.port}/`);
    const quiet = new orm.Database(proxied, { statementTimeoutMs: 500 });
    try {
      await quiet.query(orm.sql`SELECT 1 AS one`);
      proxy.silence();
      const error = await rejectionOf(() => quiet.query(orm.sql`SELECT 2 AS two`));
      expect(error).toBeInstanceOf(orm.StatementTimeoutError);
      await until(() => quiet.poolStats().total === 0, 10_000, "the silent connection dropped");
    } finally {
      await quiet.disconnect({ timeoutMs: 100 });
      await proxy.close();
    }
  });

  test("connect failures say what happened: refused, timed out, not that server's protocol; never 'in use'", async () => {
    const scheme = dialect === "postgresql" ? "postgresql://postgres:pw@" : "mysql://root:pw@";
    const mute = await startMuteServer();
    const otherKind = dialect === "postgresql" ? 3306 : 5432;
    try {
      const cases: Array<[string, RegExp]> = [
        [`${scheme}127.0.0.1:1/test`, /refused/],
        [`${scheme}127.0.0.1:${mute.port}/test`, /timed out after 700 ms connecting/],
        [`${scheme}127.0.0.1:${otherKind}/test`, dialect === "postgresql" ? /does not speak PostgreSQL.s protocol/ : /timed out after 700 ms connecting.*not MySQL/],
      ];
      for (const [target, expected] of cases) {
        const failing = new orm.Database(target, { connectTimeoutMs: 700 });
        try {
          const error = await rejectionOf(() => failing.query(orm.sql`SELECT 1 AS one`));
          expect(error, target).toBeInstanceOf(orm.ConnectionError);
          expect((error as Error).message, target).toMatch(expected);
          expect((error as Error).message, target).not.toMatch(/in use|pw@/);
          expect(failing.poolStats().waiting).toBe(0);
        } finally {
          await failing.disconnect();
        }
      }
    } finally {
      await mute.close();
    }
  });
});
