// { signal, timeoutMs } on every method that sends statements, not only all(): each is cancelled on the server.
import { afterAll, beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { rejectionOf, sleep, until } from "./helpers/concurrency.js";

/** A call of one method with bounds: what a user writes to bound that method's statements. */
type BoundedCall = (bounds: orm.StatementOptions) => Promise<unknown>;

describeEachDialect("statement bounds on every method", ({ database, dialect, url, statementsDuring }) => {
  const Note = orm.Model.define("BoundedNote", { text: orm.String({ maxLength: 40 }) }, { database, tablename: "bounded_notes" });
  const Tag = orm.Model.define("BoundedTag", { name: orm.String({ maxLength: 40 }), notes: orm.ManyToMany(Note, { relatedName: "tags" }) }, { database, tablename: "bounded_tags" });
  // A view of bounded_notes whose every read sleeps 30 s on the server (PostgreSQL, MariaDB); not created by createAll.
  const reader = new orm.Database(url);
  const Slow = orm.Model.define("BoundedSlowNote", { text: orm.String({ maxLength: 40 }) }, { database: reader, tablename: "bounded_slow" });
  const admin = new orm.Database(url);
  let note: InstanceType<typeof Note>;
  let tag: InstanceType<typeof Tag>;

  beforeAll(async () => {
    await database.createAll();
    if (dialect === "postgresql") await database.execute(orm.sql`CREATE VIEW bounded_slow AS SELECT n.id, n.text FROM bounded_notes n, pg_sleep(30)`);
    if (dialect === "mysql") await database.execute(orm.sql`CREATE VIEW bounded_slow AS SELECT id, text FROM bounded_notes WHERE SLEEP(30) = 0`);
    note = await Note.objects.create({ text: "first" });
    tag = await Tag.objects.create({ name: "t" });
    await tag.notes.add(note);
  });
  afterAll(() => Promise.all([admin.disconnect(), reader.disconnect()]));

  /** The rows as beforeAll left them: a cancelled write wrote nothing. */
  async function expectUnchanged(): Promise<void> {
    expect(await Note.objects.valuesList("text", { flat: true })).toEqual(["first"]);
    expect(await Tag.objects.valuesList("name", { flat: true })).toEqual(["t"]);
    expect(await tag.notes.valuesList("id", { flat: true })).toEqual([note.pk]);
  }

  /** Every method of a QuerySet, a manager or an instance that sends a statement, called with bounds. */
  const reads: Record<string, (model: typeof Note) => BoundedCall> = {
    "count()": (model) => (bounds) => model.objects.count(bounds),
    "get()": (model) => (bounds) => model.objects.bounded(bounds).get({ pk: note.pk }),
    "get() of a filter": (model) => (bounds) => model.objects.bounded(bounds).filter({ text: "first" }).get(),
    "await qs": (model) => async (bounds) => await model.objects.bounded(bounds).filter({ text: "first" }),
    "first()": (model) => (bounds) => model.objects.first(bounds),
    "last()": (model) => (bounds) => model.objects.last(bounds),
    "exists()": (model) => (bounds) => model.objects.exists(bounds),
    "aggregate()": (model) => (bounds) => model.objects.aggregate({ n: orm.Count("id") }, bounds),
    "values().all()": (model) => (bounds) => model.objects.values("text").all(bounds),
    "valuesList() awaited": (model) => async (bounds) => await model.objects.bounded(bounds).valuesList("id", { flat: true }),
    "inBulk()": (model) => (bounds) => model.objects.inBulk([note.pk], bounds),
    "explain()": (model) => (bounds) => model.objects.explain(bounds),
  };
  const writes: Record<string, BoundedCall> = {
    "update()": (bounds) => Note.objects.filter({ pk: note.pk }).update({ text: "changed" }, bounds),
    "delete()": (bounds) => Note.objects.filter({ text: "none such" }).delete(bounds),
    "create()": (bounds) => Note.objects.create({ text: "created" }, bounds),
    "bulkCreate()": (bounds) => Note.objects.bulkCreate([{ text: "a" }, { text: "b" }], bounds),
    "bulkUpdate()": (bounds) => Note.objects.bulkUpdate([note], ["text"], bounds),
    "getOrCreate()": (bounds) => Note.objects.getOrCreate({ text: "made" }, {}, bounds),
    "updateOrCreate()": (bounds) => Note.objects.updateOrCreate({ text: "made" }, {}, bounds),
    "instance save()": (bounds) => new Note({ text: "saved" }).save(bounds),
    "instance update()": (bounds) => note.update({ text: "updated" }, bounds),
    "instance delete()": (bounds) => new Note({ id: note.pk as number, text: "x" }).delete(bounds),
    "related create()": (bounds) => tag.notes.create({ text: "linked" }, bounds),
    "many-to-many add()": (bounds) => tag.notes.add(note, bounds),
    "many-to-many remove()": (bounds) => tag.notes.remove(note, bounds),
    "many-to-many set()": (bounds) => tag.notes.set([], bounds),
    "many-to-many clear()": (bounds) => tag.notes.clear(bounds),
  };

  test("a signal already fired: every method rejects with QueryCancelledError and sends nothing", async () => {
    const controller = new AbortController();
    controller.abort(new Error("the client went away"));
    const calls: [string, BoundedCall][] = [
      ...Object.entries(reads).map(([name, call]) => [name, call(Note)] as [string, BoundedCall]),
      ...Object.entries(writes),
      ["instance load()", (bounds) => note.load(bounds)],
    ];
    const sent = await statementsDuring(async () => {
      for (const [name, call] of calls) {
        const error = await rejectionOf(() => call({ signal: controller.signal }));
        expect(error, name).toBeInstanceOf(orm.QueryCancelledError);
        expect(error, name).not.toBeInstanceOf(orm.StatementTimeoutError);
      }
    });
    expect(sent.filter((event) => !event.error && /bounded_/.test(event.sql)).map((event) => event.sql)).toEqual([]);
    await expectUnchanged();
  });

  test("a bad time limit is a ValidationError before any SQL", async () => {
    expect(await rejectionOf(() => Note.objects.count({ timeoutMs: -1 }))).toBeInstanceOf(orm.ValidationError);
    expect(await rejectionOf(() => new Note({ text: "x" }).save({ timeoutMs: Number.NaN }))).toBeInstanceOf(orm.ValidationError);
    expect(() => Note.objects.bounded({ timeoutMs: -5 })).toThrow(orm.ValidationError);
  });

  test("a bounded QuerySet is not streamed (its cursor's reads would not be cancelled): iterate() says so", async () => {
    const error = await rejectionOf(async () => {
      for await (const row of Note.objects.bounded({ timeoutMs: 1_000 })) void row;
    });
    expect(error).toBeInstanceOf(orm.ValidationError);
    expect((error as Error).message).toMatch(/all\(\{ signal, timeoutMs \}\)/);
  });

  if (dialect === "sqlite") {
    // SQLite runs a statement to its end inside one call; what a bound stops there is the wait for another connection's lock.
    test("SQLite: a write waiting for another connection's lock stops when its signal fires, or at its timeoutMs", async () => {
      const other = new orm.Database(url);
      try {
        const held = await other.begin(); // BEGIN IMMEDIATE: the file's write lock
        for (const [name, call] of Object.entries(writes)) {
          const controller = new AbortController();
          setTimeout(() => controller.abort(), 100);
          expect(await rejectionOf(() => call({ signal: controller.signal })), name).toBeInstanceOf(orm.QueryCancelledError);
          expect(await rejectionOf(() => call({ timeoutMs: 100 })), name).toBeInstanceOf(orm.LockTimeoutError);
        }
        await held.rollback();
        await expectUnchanged();
        expect(await Note.objects.filter({ pk: note.pk }).update({ text: "first" }, { timeoutMs: 1_000 })).toBe(1);
      } finally {
        await other.disconnect();
      }
    });
    return;
  }

  /** Statements of this file the server is still running (or waiting in), seen from another session. */
  async function runningOnServer(): Promise<number> {
    let count = 0;
    for (let attempt = 0; attempt < 50; attempt++) {
      const rows =
        dialect === "postgresql"
          ? await admin.query(orm.sql`SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%bounded_%' AND pid <> pg_backend_pid()`)
          : await admin.query(orm.sql`SELECT id FROM information_schema.processlist WHERE info LIKE '%bounded_%' AND id <> CONNECTION_ID()`);
      if ((count = rows.length) === 0) return 0;
      await sleep(100);
    }
    return count;
  }

  /** After a cancelled statement: nothing of ours runs on the server, no caller waits for a connection, and the pool serves. */
  async function expectHealthy(): Promise<void> {
    expect(await runningOnServer()).toBe(0);
    await until(() => database.poolStats().waiting === 0 && reader.poolStats().waiting === 0);
    expect(await Note.objects.count({ timeoutMs: 5_000 })).toBeGreaterThan(0);
    expect(await reader.query(orm.sql`SELECT 1 AS one`, { timeoutMs: 5_000 })).toEqual([{ one: 1 }]);
  }

  test("reads of a slow view: a signal and a timeoutMs cancel each on the server (pg_sleep, SLEEP)", async () => {
    for (const [name, call] of Object.entries(reads)) {
      if (name === "explain()") continue; // EXPLAIN plans the view without running it
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 150);
      const aborted = await rejectionOf(() => call(Slow)({ signal: controller.signal }));
      expect(aborted, name).toBeInstanceOf(orm.QueryCancelledError);
      expect(aborted, name).not.toBeInstanceOf(orm.StatementTimeoutError);
      const timedOut = await rejectionOf(() => call(Slow)({ timeoutMs: 150 }));
      expect(timedOut, name).toBeInstanceOf(orm.StatementTimeoutError);
      expect((timedOut as Error).message, name).toMatch(/150 ms/);
    }
    await expectHealthy();
  });

  test("writes waiting for another transaction's lock: a signal and a timeoutMs cancel each on the server", async () => {
    const held = await admin.begin();
    try {
      // Blocks every write to the table (PostgreSQL's EXCLUSIVE lock; InnoDB's row and gap locks of a whole-table FOR UPDATE).
      if (dialect === "postgresql") await held.execute(orm.sql`LOCK TABLE bounded_notes, bounded_tags_notes IN EXCLUSIVE MODE`);
      else for (const table of ["bounded_notes", "bounded_tags_notes"]) await held.query(orm.sql`SELECT id FROM ${orm.raw(table)} FOR UPDATE`);
      for (const [name, call] of Object.entries(writes)) {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 150);
        const aborted = await rejectionOf(() => call({ signal: controller.signal }));
        expect(aborted, name).toBeInstanceOf(orm.QueryCancelledError);
        expect(aborted, name).not.toBeInstanceOf(orm.StatementTimeoutError);
        expect(await rejectionOf(() => call({ timeoutMs: 150 })), name).toBeInstanceOf(orm.StatementTimeoutError);
      }
    } finally {
      await held.rollback();
    }
    await expectHealthy();
    await expectUnchanged();
  });

  test("a bound on a transaction's statements: the cancelled one rolls the transaction back", async () => {
    const held = await admin.begin();
    try {
      if (dialect === "postgresql") await held.execute(orm.sql`LOCK TABLE bounded_notes IN EXCLUSIVE MODE`);
      else await held.query(orm.sql`SELECT id FROM bounded_notes FOR UPDATE`);
      const error = await rejectionOf(() =>
        database.transaction(async () => {
          await Tag.objects.create({ name: "rolled back" });
          await Note.objects.filter({ pk: note.pk }).update({ text: "never" }, { timeoutMs: 150 });
        }),
      );
      expect(error).toBeInstanceOf(orm.StatementTimeoutError);
    } finally {
      await held.rollback();
    }
    expect(await Tag.objects.filter({ name: "rolled back" }).count()).toBe(0);
    await expectHealthy();
  });

  test("a call's bounds replace statementTimeoutMs: 0 lifts it for one count()", async () => {
    const bounded = new orm.Database(url, { statementTimeoutMs: 150 });
    const SlowHere = orm.Model.define("BoundedSlowHere", { text: orm.String({ maxLength: 40 }) }, { database: bounded, tablename: "bounded_slow" });
    try {
      expect(await rejectionOf(() => SlowHere.objects.count())).toBeInstanceOf(orm.StatementTimeoutError);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      // With no limit of its own, only the signal stops it, past the database's 150 ms.
      expect(await rejectionOf(() => SlowHere.objects.count({ timeoutMs: 0, signal: controller.signal }))).not.toBeInstanceOf(orm.StatementTimeoutError);
    } finally {
      await bounded.disconnect();
    }
    await expectHealthy();
  });
});
