import { inspect } from "node:util";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { barrier, connectionId, deferred, killConnection, rejectionOf, settledWithin, sleep, until } from "./helpers/concurrency.js";

describeEachDialect(
  "faults",
  ({ database, dialect, url }) => {
    const Entry = orm.Model.define("FaultEntry", { label: orm.String({ maxLength: 40 }) }, { database, tablename: "fault_entries" });
    // A second client of the same database: the "other session" that kills connections.
    const admin = new orm.Database(url);

    beforeAll(async () => {
      await database.createAll();
      await database.execute(orm.sql`CREATE TABLE fault_parent (id INTEGER PRIMARY KEY, code VARCHAR(10) NOT NULL UNIQUE, qty INTEGER CHECK (qty >= 0))`);
      await database.execute(
        orm.sql`CREATE TABLE fault_child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL, FOREIGN KEY (parent_id) REFERENCES fault_parent (id))`,
      );
    });
    afterAll(() => admin.disconnect());
    beforeEach(async () => {
      await Entry.objects.delete();
    });

    const healthy = async () => {
      // The next 100 queries succeed: 50 one after another, 50 at once.
      for (let n = 0; n < 50; n++) expect(await Entry.objects.filter({ label: "x" }).count()).toBe(0);
      const counts = await Promise.all(Array.from({ length: 50 }, () => Entry.objects.filter({ label: "x" }).count()));
      expect(counts).toEqual(new Array(50).fill(0));
      await until(() => database.poolStats().idle === database.poolStats().total, 5_000, "an idle pool");
      expect(database.poolStats().waiting).toBe(0);
    };

    test("unique, foreign-key, NOT NULL and check violations are IntegrityError, the driver's error as cause", async () => {
      await database.execute(orm.sql`INSERT INTO fault_parent (id, code, qty) VALUES (1, 'a', 1)`);
      const violations = {
        unique: orm.sql`INSERT INTO fault_parent (id, code, qty) VALUES (2, 'a', 1)`,
        foreignKey: orm.sql`INSERT INTO fault_child (id, parent_id) VALUES (1, 99)`,
        notNull: orm.sql`INSERT INTO fault_parent (id, code, qty) VALUES (3, ${null}, 1)`,
        check: orm.sql`INSERT INTO fault_parent (id, code, qty) VALUES (4, 'd', -1)`,
      };
      for (const [kind, statement] of Object.entries(violations)) {
        const error = await rejectionOf(() => database.execute(statement));
        expect(error, kind).toBeInstanceOf(orm.IntegrityError);
        expect((error as Error).cause, kind).toBeInstanceOf(Error);
        expect((error as Error).cause, kind).not.toBeInstanceOf(orm.OrmError);
      }
      // The same inside a transaction, where it also fails the transaction.
      const error = await rejectionOf(() => database.transaction(() => database.execute(violations.unique)));
      expect(error).toBeInstanceOf(orm.IntegrityError);
      expect(await database.query(orm.sql`SELECT id FROM fault_parent`)).toEqual([{ id: 1 }]);
    });

    test("an unreachable server or file is a ConnectionError naming where, never the password", async () => {
      const target =
        dialect === "postgresql"
          ? "postgresql://postgres:s3cret-pw@127.0.0.1:1/test"
          : dialect === "mysql"
            ? "mysql://root:s3cret-pw@127.0.0.1:1/test"
            : "sqlite:////nonexistent-quarry-dir/s3cret-pw-free.sqlite";
      const unreachable = new orm.Database(target, { pool: { acquireTimeoutMs: 5_000 } });
      try {
        for (const attempt of [() => unreachable.connect(), () => unreachable.query(orm.sql`SELECT 1 AS one`)]) {
          const error = await rejectionOf(attempt);
          expect(error).toBeInstanceOf(orm.ConnectionError);
          const where = dialect === "sqlite" ? "/nonexistent-quarry-dir/s3cret-pw-free.sqlite" : "127.0.0.1:1";
          expect((error as Error).message).toContain(where);
          if (dialect !== "sqlite") {
            expect((error as Error).message).not.toContain("s3cret-pw");
            expect(inspect(error)).not.toContain("s3cret-pw");
          }
        }
      } finally {
        await unreachable.disconnect();
      }
    });

    test("disconnect() lets the work in flight finish, refusing new work meanwhile, then refuses with a clear error", async () => {
      const closing = new orm.Database(url);
      const Closing = orm.Model.define("FaultEntry", { label: orm.String({ maxLength: 40 }) }, { database: closing, tablename: "fault_entries" });
      try {
        const firstWritten = deferred();
        const transaction = closing.transaction(async () => {
          await Closing.objects.create({ label: "before" });
          firstWritten.resolve();
          await sleep(200);
          await Closing.objects.create({ label: "after" }); // still allowed: this transaction was in flight
          return "committed";
        });
        await firstWritten.promise;
        const disconnected = closing.disconnect();
        const refused = await rejectionOf(() => Closing.objects.count());
        expect(refused).toBeInstanceOf(orm.ConnectionError);
        expect((refused as Error).message).toMatch(/is disconnecting/);
        expect(await settledWithin(disconnected, 50)).toBe("pending");
        expect(await transaction).toBe("committed");
        await disconnected;
        const after = await rejectionOf(() => Closing.objects.count());
        expect(after).toBeInstanceOf(orm.ConnectionError);
        expect((after as Error).message).toMatch(/is disconnected; call connect\(\) to reopen it/);
        expect(closing.poolStats()).toEqual({ total: 0, idle: 0, waiting: 0 });
        await closing.connect();
        expect(await Closing.objects.orderBy("id").valuesList("label", { flat: true })).toEqual(["before", "after"]);
      } finally {
        await closing.disconnect();
      }
    });

    test("disconnect({ timeoutMs }) closes connections still held past the timeout; their transaction rolls back", async () => {
      const leaky = new orm.Database(url);
      try {
        const tx = await leaky.begin();
        await tx.execute(orm.sql`INSERT INTO fault_entries (label) VALUES ('leaked')`);
        const started = performance.now();
        await leaky.disconnect({ timeoutMs: 100 });
        expect(performance.now() - started).toBeLessThan(5_000);
        expect(await rejectionOf(() => tx.commit())).toBeInstanceOf(orm.ConnectionError);
        expect(leaky.poolStats()).toEqual({ total: 0, idle: 0, waiting: 0 });
        expect(await Entry.objects.count()).toBe(0);
      } finally {
        await leaky.disconnect();
      }
    });

    if (dialect === "sqlite") {
      test("SQLite: a write lock held by another process is a retryable LockTimeoutError", async () => {
        const file = url.replace(/^sqlite:\/\/\//, "");
        const other = new orm.Database(`sqlite:///${file}`);
        const impatient = new orm.Database(`sqlite:///${file}?busy_timeout=100`);
        try {
          const held = await other.begin(); // BEGIN IMMEDIATE: the file's write lock
          await held.execute(orm.sql`INSERT INTO fault_entries (label) VALUES ('held')`);
          const error = await rejectionOf(() => impatient.execute(orm.sql`INSERT INTO fault_entries (label) VALUES ('blocked')`));
          expect(error).toBeInstanceOf(orm.LockTimeoutError);
          expect((error as orm.TransactionError).retryable).toBe(true);
          expect((error as Error).cause).toBeInstanceOf(Error);
          await held.rollback();
          await impatient.execute(orm.sql`INSERT INTO fault_entries (label) VALUES ('now')`);
          expect(await Entry.objects.valuesList("label", { flat: true })).toEqual(["now"]);
        } finally {
          await other.disconnect();
          await impatient.disconnect();
        }
      });
    } else {
      test("a deadlock is a retryable DeadlockError on every server, the driver's error as cause", async () => {
        const [a, b] = await Entry.objects.bulkCreate([{ label: "a" }, { label: "b" }]);
        const meet = barrier(2);
        const swap = (first: number, second: number) =>
          database.transaction(async () => {
            await Entry.objects.filter({ pk: first }).update({ label: "locked" });
            await meet();
            await Entry.objects.filter({ pk: second }).update({ label: "locked" });
          });
        const outcomes = await Promise.allSettled([swap(a!.pk, b!.pk), swap(b!.pk, a!.pk)]);
        const failures = outcomes.filter((outcome) => outcome.status === "rejected").map((outcome) => (outcome as PromiseRejectedResult).reason);
        expect(failures).toHaveLength(1);
        expect(failures[0]).toBeInstanceOf(orm.DeadlockError);
        expect(failures[0]).toBeInstanceOf(orm.TransactionError);
        expect((failures[0] as orm.TransactionError).retryable).toBe(true);
        expect((failures[0] as Error).cause).toBeInstanceOf(Error);
        await healthy();
      });

      test("killing a running transaction's connection: ConnectionError, nothing committed, the next 100 queries work", async () => {
        const error = await rejectionOf(() =>
          database.transaction(async () => {
            await Entry.objects.create({ label: "doomed 1" });
            await killConnection(admin, dialect, await connectionId(database));
            await Entry.objects.create({ label: "doomed 2" });
          }),
        );
        expect(error).toBeInstanceOf(orm.ConnectionError);
        expect((error as Error).message).toMatch(/Connection lost/);
        expect(await Entry.objects.count()).toBe(0);
        await healthy();
      });

      test("a kill during a statement fails only that statement, quickly; other connections carry on", async () => {
        const id = deferred<number>();
        const started = performance.now();
        const transaction = database.transaction(async () => {
          await Entry.objects.create({ label: "doomed" });
          id.resolve(await connectionId(database));
          await database.query(dialect === "postgresql" ? orm.sql`SELECT pg_sleep(20)` : orm.sql`SELECT SLEEP(20)`);
          await Entry.objects.create({ label: "never" });
        });
        const failed = transaction.then(
          () => undefined,
          (error: unknown) => error,
        );
        const victim = await id.promise;
        // Another statement, on another connection, runs while the victim sleeps, and is unaffected.
        const bystander = database.transaction(async () => {
          await Entry.objects.create({ label: "bystander" });
          await sleep(100);
          return connectionId(database);
        });
        await sleep(50);
        await killConnection(admin, dialect, victim);
        const error = await failed;
        expect(error).toBeInstanceOf(orm.ConnectionError);
        expect(performance.now() - started).toBeLessThan(10_000);
        expect(await bystander).not.toBe(victim);
        expect(await Entry.objects.valuesList("label", { flat: true })).toEqual(["bystander"]);
        await healthy();
      });

      test("a transaction that swallows its connection's death still does not commit", async () => {
        const error = await rejectionOf(() =>
          database.transaction(async () => {
            await Entry.objects.create({ label: "doomed" });
            await killConnection(admin, dialect, await connectionId(database));
            const lost = await rejectionOf(() => Entry.objects.create({ label: "lost" }));
            expect(lost).toBeInstanceOf(orm.ConnectionError);
            return "pretends all is well";
          }),
        );
        expect(error).toBeInstanceOf(orm.ConnectionError);
        expect((error as Error).message).toMatch(/rolled back, not committed/);
        expect(await Entry.objects.count()).toBe(0);
        await healthy();
      });

      test("a pooled connection killed while idle is replaced: the next queries work", async () => {
        const ids = new Set<number>();
        await Promise.all(
          Array.from({ length: 5 }, () => database.transaction(async () => (ids.add(await connectionId(database)), sleep(20)))),
        );
        for (const id of ids) await killConnection(admin, dialect, id);
        await sleep(200); // the server's goodbye reaches the idle sockets
        await healthy();
        const fresh = await connectionId(database);
        expect(ids.has(fresh)).toBe(false);
      });
    }
  },
  { pool: { max: 5 } },
);
