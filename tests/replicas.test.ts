import { afterAll, beforeAll, expect, it, vi } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect, placeFor, type TestDatabase } from "./helpers/databases.js";

/**
 * Routing decisions, on every database, without replication: the "replica" is a second empty database holding
 * other rows than the primary, so every read shows where it ran. tests/cluster/ checks the same on real replicas.
 */
const DOWN_URL = { sqlite: "sqlite:////nonexistent-quarry-dir/replica.db", postgresql: "postgresql://postgres@127.0.0.1:1/test", mysql: "mysql://root@127.0.0.1:1/test" };

const fields = () => ({ id: orm.Integer({ primaryKey: true }), text: orm.String({ maxLength: 100 }) });

describeEachDialect("replicas", (target: TestDatabase) => {
  const replicaPlace = placeFor(target.dialect, "replica");
  const replicaSide = new orm.Database(replicaPlace.url);
  const ReplicaNote = orm.Model.define("Note", fields(), { database: replicaSide, tablename: "notes" });
  const primarySide = target.database;
  const PrimaryNote = orm.Model.define("Note", fields(), { database: primarySide, tablename: "notes" });

  let routed: orm.Database;
  let Note: typeof PrimaryNote;

  beforeAll(async () => {
    await replicaPlace.create();
    await replicaSide.createAll();
    await ReplicaNote.objects.create({ id: 1, text: "replica" });
    await primarySide.createAll();
    await PrimaryNote.objects.create({ id: 1, text: "primary" });
    routed = new orm.Database(target.url, { replicas: [replicaPlace.url] });
    Note = orm.Model.define("Note", fields(), { database: routed, tablename: "notes" });
  });

  afterAll(async () => {
    await routed.disconnect();
    await replicaSide.disconnect();
    await replicaPlace.destroy();
  });

  const texts = async (rows: PromiseLike<Array<{ text: string }>>) => (await rows).map((row) => row.text);

  it("sends quarry's reads outside a transaction to the replica: all, get, count, exists, values, aggregate, iterate", async () => {
    expect(await texts(Note.objects.all())).toEqual(["replica"]);
    expect((await Note.objects.get({ pk: 1 })).text).toBe("replica");
    expect(await Note.objects.filter({ text: "replica" }).count()).toBe(1);
    expect(await Note.objects.filter({ text: "replica" }).exists()).toBe(true);
    expect(await Note.objects.valuesList("text", { flat: true })).toEqual(["replica"]);
    expect(await Note.objects.filter({ text: "replica" }).aggregate({ n: orm.Count("id") })).toEqual({ n: 1 });
    const streamed: string[] = [];
    for await (const note of Note.objects.iterate()) streamed.push(note.text);
    expect(streamed).toEqual(["replica"]);
  });

  it("reports the replica in the query event of a routed read, and nothing for the primary's statements", async () => {
    const events: orm.QueryEvent[] = [];
    const listener = (event: orm.QueryEvent) => events.push(event);
    routed.on("query", listener);
    try {
      await Note.objects.get({ pk: 1 });
      await routed.query(orm.sql`SELECT 1 AS one`);
    } finally {
      routed.off("query", listener);
    }
    expect(events.map((event) => event.replica)).toEqual([String(new orm.DatabaseURL(replicaPlace.url)), undefined]);
  });

  it("sends writes to the primary, and every statement inside a transaction", async () => {
    const created = await Note.objects.create({ id: 2, text: "written" });
    expect(await PrimaryNote.objects.filter({ pk: 2 }).count()).toBe(1);
    expect(await ReplicaNote.objects.filter({ pk: 2 }).count()).toBe(0);
    await routed.transaction(async () => {
      expect(await texts(Note.objects.orderBy("id"))).toEqual(["primary", "written"]);
    });
    await created.delete();
    expect(await PrimaryNote.objects.filter({ pk: 2 }).count()).toBe(0);
  });

  it("reads a scope's own writes from the primary for the rest of the scope; other scopes still read the replica", async () => {
    await routed.scope(async () => {
      expect((await Note.objects.get({ pk: 1 })).text).toBe("replica");
      await Note.objects.filter({ pk: 1 }).update({ text: "primary" });
      expect((await Note.objects.get({ pk: 1 })).text).toBe("primary");
      await routed.scope(async () => expect((await Note.objects.get({ pk: 1 })).text).toBe("primary"));
    });
    await routed.scope(async () => expect((await Note.objects.get({ pk: 1 })).text).toBe("replica"));
  });

  it("counts a transaction as a write for read-your-writes", async () => {
    await routed.scope(async () => {
      await routed.transaction(async () => Note.objects.count());
      expect((await Note.objects.get({ pk: 1 })).text).toBe("primary");
    });
  });

  it("with stickyMs, reads from the replica again once that long has passed since the scope's last write", async () => {
    const sticky = new orm.Database(target.url, { replicas: [replicaPlace.url], stickyMs: 1 });
    const StickyNote = orm.Model.define("Note", fields(), { database: sticky, tablename: "notes" });
    try {
      await sticky.scope(async () => {
        await StickyNote.objects.filter({ pk: 1 }).update({ text: "primary" });
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect((await StickyNote.objects.get({ pk: 1 })).text).toBe("replica");
      });
    } finally {
      await sticky.disconnect();
    }
  });

  it("reads from the primary when asked: qs.using(\"primary\") and database.onPrimary(fn)", async () => {
    expect((await Note.objects.using("primary").get({ pk: 1 })).text).toBe("primary");
    expect(await texts(Note.objects.using("primary").filter({ pk: 1 }))).toEqual(["primary"]);
    const streamed: string[] = [];
    for await (const note of Note.objects.using("primary").iterate()) streamed.push(note.text);
    expect(streamed).toEqual(["primary"]);
    expect(await routed.onPrimary(() => texts(Note.objects.all()))).toEqual(["primary"]);
    expect(() => Note.objects.using("replica" as "primary")).toThrow(orm.ValidationError);
  });

  it("sends a raw statement to the primary unless it is said to be readOnly", async () => {
    const table = orm.raw(routed.dialect.quote("notes"));
    expect(await routed.query(orm.sql`SELECT text FROM ${table}`)).toEqual([{ text: "primary" }]);
    expect(await routed.query(orm.sql`SELECT text FROM ${table}`, { readOnly: true })).toEqual([{ text: "replica" }]);
  });

  it("never fails a read because a replica is down: it reads from the primary and takes the replica out", async () => {
    const withDown = new orm.Database(target.url, { replicas: [DOWN_URL[target.dialect]] });
    const DownNote = orm.Model.define("Note", fields(), { database: withDown, tablename: "notes" });
    try {
      for (let attempt = 0; attempt < 5; attempt++) expect((await DownNote.objects.get({ pk: 1 })).text).toBe("primary");
      const [status] = withDown.replicaStatus();
      expect(status).toMatchObject({ healthy: false });
      expect(status!.failures).toBeGreaterThan(0);
    } finally {
      await withDown.disconnect();
    }
  });

  it("a replica that stays down is retried at least every 5 s: a read and the background check failing together count once", async () => {
    // The backoff is measured on performance.now(), faked here alone; no background check runs during the test.
    vi.useFakeTimers({ toFake: ["performance"] });
    const withDown = new orm.Database(target.url, { replicas: [DOWN_URL[target.dialect]], checkIntervalMs: 3_600_000 });
    const DownNote = orm.Model.define("Note", fields(), { database: withDown, tablename: "notes" });
    try {
      await DownNote.objects.get({ pk: 1 });
      const first = withDown.replicaStatus()[0]!.failures;
      expect(first).toBeGreaterThan(0);
      // Each round lets the replica's backoff run out, then a read and a check find it down at once.
      for (let round = 1; round <= 6; round++) {
        vi.advanceTimersByTime(5_001);
        await Promise.all([DownNote.objects.get({ pk: 1 }), withDown.checkReplicas()]);
        expect(withDown.replicaStatus()[0]!.failures, `round ${round}`).toBe(first + round);
        await withDown.checkReplicas();
        expect(withDown.replicaStatus()[0]!.failures, "a check while taken out tries nothing").toBe(first + round);
      }
    } finally {
      vi.useRealTimers();
      await withDown.disconnect();
    }
  });

  it("refuses replica options that would turn a guarantee off quietly", () => {
    const refused: Array<[object, RegExp]> = [
      [{ replicas: replicaPlace.url }, /replicas must be an array of database URLs, got string/],
      [{ replicas: { url: replicaPlace.url } }, /replicas must be an array/],
      [{ replicas: [replicaPlace.url], stickyMs: Number.NaN }, /stickyMs must be a number of milliseconds of at least 0, got NaN/],
      [{ replicas: [replicaPlace.url], stickyMs: -1 }, /stickyMs/],
      [{ replicas: [replicaPlace.url], maxLagMs: -5 }, /maxLagMs/],
      [{ replicas: [replicaPlace.url], maxLagMs: "1000" }, /maxLagMs .* got string/],
      [{ replicas: [replicaPlace.url], checkIntervalMs: 0 }, /checkIntervalMs must be a number of milliseconds of at least 100/],
    ];
    for (const [options, message] of refused) expect(() => new orm.Database(target.url, options as orm.DatabaseOptions), JSON.stringify(options)).toThrow(message);
    for (const [options] of refused) expect(() => new orm.Database(target.url, options as orm.DatabaseOptions)).toThrow(TypeError);
  });

  it("with maxLagMs, gives no reads to a server that does not report replicating (unknown lag)", async () => {
    const lagged = new orm.Database(target.url, { replicas: [replicaPlace.url], maxLagMs: 1000 });
    const LaggedNote = orm.Model.define("Note", fields(), { database: lagged, tablename: "notes" });
    try {
      await LaggedNote.objects.count(); // starts the background checks
      // SQLite has no replication to ask about: its replicas count as caught up.
      const expected = target.dialect === "sqlite" ? "replica" : "primary";
      await lagged.checkReplicas();
      expect((await LaggedNote.objects.get({ pk: 1 })).text).toBe(expected);
    } finally {
      await lagged.disconnect();
    }
  });

  it("refuses a replica of another dialect, naming both", () => {
    const other = target.dialect === "sqlite" ? "postgresql://u:secret@127.0.0.1/x" : "sqlite::memory:";
    expect(() => new orm.Database(target.url, { replicas: [other] })).toThrow(/is not a .* database/);
    expect(() => new orm.Database(target.url, { replicas: [other] })).not.toThrow(/secret/);
  });
});
