import { setImmediate as nextMacrotask } from "node:timers/promises";
import { beforeAll, beforeEach, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { barrier, connectionId, deferred, rejectionOf, settledWithin, until } from "./helpers/concurrency.js";

describeEachDialect("transactions", ({ database, dialect, statementsDuring }) => {
  const Account = orm.Model.define(
    "TxAccount",
    { name: orm.String({ maxLength: 40, unique: true }), balance: orm.Integer({ default: 0 }) },
    { database, tablename: "tx_accounts" },
  );
  const Album = orm.Model.define("TxAlbum", { name: orm.String({ maxLength: 40 }) }, { database, tablename: "tx_albums" });
  const Track = orm.Model.define(
    "TxTrack",
    { title: orm.String({ maxLength: 40 }), album: orm.ForeignKey(Album) },
    { database, tablename: "tx_tracks" },
  );

  const names = async () => (await Account.objects.orderBy("name").valuesList("name", { flat: true })) as string[];

  beforeAll(() => database.createAll());
  beforeEach(async () => {
    await Track.objects.delete();
    await Album.objects.delete();
    await Account.objects.delete();
  });

  test("commits when the callback returns, and returns its value", async () => {
    const value = await database.transaction(async (tx) => {
      expect(tx).toBeInstanceOf(orm.Transaction);
      expect(database.currentTransaction).toBe(tx);
      await Account.objects.create({ name: "a" });
      return 42;
    });
    expect(value).toBe(42);
    expect(database.currentTransaction).toBeUndefined();
    expect(await names()).toEqual(["a"]);
  });

  test("a QuerySet the callback returns unawaited runs inside the transaction, as a promise would", async () => {
    await Account.objects.create({ name: "a" });
    const statements = await statementsDuring(async () => {
      const rows = await database.transaction(() => Account.objects.filter({ name: "a" }).selectForUpdate().valuesList("name", { flat: true }));
      expect(rows).toEqual(["a"]);
      expect(await database.transaction(() => Account.objects.filter({ name: "a" }).selectForUpdate())).toHaveLength(1);
    });
    const texts = statements.map((event) => event.sql);
    // Each SELECT between its transaction's BEGIN and COMMIT.
    expect(texts.filter((text) => text.startsWith("SELECT"))).toHaveLength(2);
    for (const [index, text] of texts.entries()) if (text.startsWith("SELECT")) expect(texts[index - 1]).toMatch(/^(BEGIN|START TRANSACTION)/);
  });

  test("rolls back when the callback throws, rethrowing the very same error", async () => {
    const boom = new Error("boom");
    const error = await rejectionOf(() =>
      database.transaction(async () => {
        await Account.objects.create({ name: "a" });
        await Account.objects.bulkCreate([{ name: "b" }, { name: "c" }]);
        throw boom;
      }),
    );
    expect(error).toBe(boom);
    expect(await names()).toEqual([]);
  });

  test("BEGIN, the statements and COMMIT all go out, in order", async () => {
    const events = await statementsDuring(() => database.transaction(() => Account.objects.create({ name: "a" })));
    expect(events[0]!.sql).toMatch(/^(BEGIN|START TRANSACTION)/);
    expect(events.at(-1)!.sql).toBe("COMMIT");
    expect(events.some((event) => /INSERT INTO/.test(event.sql))).toBe(true);
  });

  test("every query inside, at any async depth, runs in the transaction (proved by its rollback)", async () => {
    const deep = async (depth: number): Promise<void> => {
      if (depth > 0) {
        await nextMacrotask();
        await new Promise<void>((resolve) => setTimeout(resolve, 1));
        return deep(depth - 1);
      }
      await database.execute(orm.sql`INSERT INTO tx_accounts (name, balance) VALUES (${"raw"}, ${1})`);
    };
    const error = await rejectionOf(() =>
      database.transaction(async () => {
        const instance = new Account({ name: "saved" });
        await instance.save(); // instance save
        await instance.update({ balance: 5 }); // instance update
        await Account.objects.create({ name: "managed" }); // manager
        await deep(3); // raw SQL three timer hops down
        const albums = await Album.objects.bulkCreate([{ name: "A1" }, { name: "A2" }, { name: "A3" }]);
        await Track.objects.bulkCreate(albums.map((album, index) => ({ title: `T${index}`, album })));
        // Relation loads batched by the dataloader see the uncommitted albums: they ran on this connection.
        const tracks = await Track.objects.orderBy("title").all();
        const loaded = await Promise.all(tracks.map((track) => track.album.load()));
        expect(loaded.map((album) => album.name)).toEqual(["A1", "A2", "A3"]);
        const streamed: string[] = [];
        for await (const account of Account.objects.orderBy("name").iterate({ batchSize: 1 })) streamed.push(account.name);
        expect(streamed).toEqual(["managed", "raw", "saved"]);
        expect(await Account.objects.get({ name: "saved" })).toMatchObject({ balance: 5 });
        throw new Error("undo");
      }),
    );
    expect((error as Error).message).toBe("undo");
    expect(await names()).toEqual([]);
    expect(await Album.objects.count()).toBe(0);
    expect(await Track.objects.count()).toBe(0);
  });

  test("a nested transaction is a SAVEPOINT: its failure rolls back alone, the outer commit keeps the rest", async () => {
    const events = await statementsDuring(() =>
      database.transaction(async () => {
        await Account.objects.create({ name: "outer" });
        const inner = await rejectionOf(() =>
          database.transaction(async (tx) => {
            expect(tx.depth).toBe(1);
            await Account.objects.create({ name: "inner" });
            throw new Error("inner fails");
          }),
        );
        expect((inner as Error).message).toBe("inner fails");
        await database.transaction(() => Account.objects.create({ name: "kept" }));
        expect(await names()).toEqual(["kept", "outer"]);
      }),
    );
    expect(await names()).toEqual(["kept", "outer"]);
    expect(events.filter((event) => /^SAVEPOINT /.test(event.sql))).toHaveLength(2);
    expect(events.some((event) => /^ROLLBACK TO SAVEPOINT /.test(event.sql))).toBe(true);
  });

  test("an error thrown past the outer transaction leaves no row, savepoints included", async () => {
    await rejectionOf(() =>
      database.transaction(async () => {
        await Account.objects.create({ name: "outer" });
        await database.transaction(async () => {
          await Account.objects.create({ name: "level 1" });
          await database.transaction(() => Account.objects.create({ name: "level 2" }));
        });
        throw new Error("out");
      }),
    );
    expect(await names()).toEqual([]);
  });

  test("sibling nested transactions started together take turns on the one connection", async () => {
    await database.transaction(async () => {
      const results = await Promise.allSettled([
        database.transaction(async () => {
          await Account.objects.create({ name: "s1" });
          await nextMacrotask();
          await Account.objects.create({ name: "s1b" });
        }),
        database.transaction(async () => {
          await Account.objects.create({ name: "s2" });
          await nextMacrotask();
          throw new Error("s2 fails");
        }),
        database.transaction(() => Account.objects.create({ name: "s3" })),
      ]);
      expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    });
    expect(await names()).toEqual(["s1", "s1b", "s3"]);
  });

  test("a failed statement fails the transaction on every database: later queries throw, nothing commits", async () => {
    await Account.objects.create({ name: "taken" });
    const error = await rejectionOf(() =>
      database.transaction(async () => {
        await Account.objects.create({ name: "first" });
        const duplicate = await rejectionOf(() => Account.objects.create({ name: "taken" }));
        expect(duplicate).toBeInstanceOf(orm.IntegrityError);
        const next = await rejectionOf(() => Account.objects.count());
        expect(next).toBeInstanceOf(orm.TransactionError);
        expect((next as orm.TransactionError).cause).toBeInstanceOf(orm.IntegrityError);
        expect((next as Error).message).toMatch(/cannot run more statements/);
        return "returned normally";
      }),
    );
    expect(error).toBeInstanceOf(orm.TransactionError);
    expect((error as Error).message).toMatch(/rolled back, not committed/);
    expect((error as orm.TransactionError).cause).toBeInstanceOf(orm.IntegrityError);
    expect(await names()).toEqual(["taken"]);
  });

  test("a statement that may fail, wrapped in a nested transaction, fails alone", async () => {
    await Account.objects.create({ name: "taken" });
    await database.transaction(async () => {
      await Account.objects.create({ name: "first" });
      const duplicate = await rejectionOf(() => database.transaction(() => Account.objects.create({ name: "taken" })));
      expect(duplicate).toBeInstanceOf(orm.IntegrityError);
      await Account.objects.create({ name: "second" });
    });
    expect(await names()).toEqual(["first", "second", "taken"]);
  });

  test("a query left running after the transaction ended is refused, not run outside it", async () => {
    let late: Promise<unknown> | undefined;
    await database.transaction(async () => {
      late = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return Account.objects.create({ name: "late" });
      })();
    });
    const error = await rejectionOf(() => late!);
    expect(error).toBeInstanceOf(orm.TransactionError);
    expect((error as Error).message).toMatch(/after its transaction had ended/);
    expect(await names()).toEqual([]);
  });

  test("a query in the loop of a stream on the transaction's connection fails at once instead of waiting forever", async () => {
    await Account.objects.bulkCreate([{ name: "a" }, { name: "b" }]);
    const started = performance.now();
    const error = await rejectionOf(() =>
      database.transaction(async () => {
        for await (const account of Account.objects.orderBy("name").iterate({ batchSize: 1 })) await account.update({ balance: 1 });
      }),
    );
    expect(error).toBeInstanceOf(orm.TransactionError);
    expect((error as Error).message).toMatch(/while a stream .* is still open/);
    expect(performance.now() - started).toBeLessThan(5_000);
    // The stream was closed and the connection given back: the database carries on.
    expect(await Account.objects.filter({ balance: 1 }).count()).toBe(0);
    await database.transaction(async () => {
      for (const account of await Account.objects.all()) await account.update({ balance: 1 });
    });
    expect(await Account.objects.filter({ balance: 1 }).count()).toBe(2);
  });

  test("bulkCreate failing on its 500th row of 1,000 leaves none of them (one statement)", async () => {
    const rows = Array.from({ length: 1000 }, (_, index) => ({ name: `row ${index}` }));
    rows[499] = { name: "row 0" };
    expect(await rejectionOf(() => Account.objects.bulkCreate(rows))).toBeInstanceOf(orm.IntegrityError);
    expect(await Account.objects.count()).toBe(0);
  });

  test("bulkCreate failing on its 500th row of 1,000 leaves none of them (several statements)", async () => {
    // Row 500 sets its own key, so it goes in a second INSERT, after the 999 others: it collides with the first.
    const rows: Array<{ id?: number; name: string }> = Array.from({ length: 1000 }, (_, index) => ({ name: `row ${index}` }));
    const events = await statementsDuring(async () => {
      const first = await Account.objects.create({ name: "probe" });
      await first.delete();
      rows[499] = { id: Number(first.pk) + 1, name: "row 499" };
      expect(await rejectionOf(() => Account.objects.bulkCreate(rows))).toBeInstanceOf(orm.IntegrityError);
    });
    expect(events.filter((event) => /^INSERT INTO/.test(event.sql)).length).toBeGreaterThanOrEqual(3);
    expect(await Account.objects.count()).toBe(0);
  });

  test("begin(): tx.run routes everything inside it, commit() persists it", async () => {
    const tx = await database.begin();
    expect(tx.active).toBe(true);
    await tx.run(async () => {
      await Account.objects.create({ name: "via run" });
      expect(database.currentTransaction).toBe(tx);
    });
    await tx.execute(orm.sql`INSERT INTO tx_accounts (name, balance) VALUES (${"via execute"}, ${0})`);
    expect(await tx.query(orm.sql`SELECT name FROM tx_accounts ORDER BY name`)).toEqual([{ name: "via execute" }, { name: "via run" }]);
    await tx.commit();
    expect(tx.active).toBe(false);
    expect(await names()).toEqual(["via execute", "via run"]);
    await tx.rollback(); // after the end: does nothing, safe in a finally
    expect(await rejectionOf(() => tx.commit())).toBeInstanceOf(orm.TransactionError);
    expect(() => tx.run(() => 1)).toThrow(orm.TransactionError);
    expect(await rejectionOf(() => tx.query(orm.sql`SELECT 1 AS one`))).toBeInstanceOf(orm.TransactionError);
  });

  test("begin(): rollback() discards, and a begin() inside tx.run is a savepoint of it", async () => {
    const tx = await database.begin();
    await tx.run(async () => {
      await Account.objects.create({ name: "outer" });
      const savepoint = await database.begin();
      expect(savepoint.parent).toBe(tx);
      await savepoint.run(() => Account.objects.create({ name: "savepoint" }));
      await savepoint.rollback();
      expect(await names()).toEqual(["outer"]);
    });
    expect(await tx.query(orm.sql`SELECT name FROM tx_accounts`)).toEqual([{ name: "outer" }]);
    await tx.rollback();
    expect(await names()).toEqual([]);
    expect(() => tx.run(() => 1)).toThrow(/after its transaction had ended \(it was rolled back\)/);
  });

  test("begin(): a query outside tx.run is not part of it (on SQLite it waits for the transaction to end)", async () => {
    const tx = await database.begin();
    try {
      await tx.run(() => Account.objects.create({ name: "inside" }));
      const outside = Account.objects.create({ name: "outside" });
      // SQLite: it cannot finish while the transaction holds the one connection. Elsewhere: it finishes meanwhile.
      expect(await settledWithin(outside, dialect === "sqlite" ? 100 : 10_000)).toBe(dialect === "sqlite" ? "pending" : "fulfilled");
      await tx.rollback();
      await outside;
      expect(await names()).toEqual(["outside"]);
    } finally {
      await tx.rollback();
    }
  });

  test("a query from outside an open transaction never runs inside it, even when the transaction rolls back", async () => {
    const inserted = deferred();
    const gate = deferred();
    const transaction = database.transaction(async () => {
      await Account.objects.create({ name: "inside" });
      inserted.resolve();
      await gate.promise;
      throw new Error("roll back");
    });
    await inserted.promise;
    // Issued from the test's own context, not the callback's: it must not join the transaction.
    const outside = Account.objects.create({ name: "outside" });
    const outcome = await settledWithin(outside, dialect === "sqlite" ? 100 : 10_000);
    gate.resolve();
    // SQLite has one connection: the outside query waits its turn instead of running inside the transaction.
    expect(outcome).toBe(dialect === "sqlite" ? "pending" : "fulfilled");
    expect(((await rejectionOf(() => transaction)) as Error).message).toBe("roll back");
    await outside;
    expect(await names()).toEqual(["outside"]);
  });

  test("isolation: the level asked for is the level the transaction runs at", async () => {
    const level = await database.transaction(
      async () => {
        await Account.objects.count();
        if (dialect === "postgresql") return (await database.query(orm.sql`SHOW transaction_isolation`))[0]!.transaction_isolation;
        if (dialect === "mysql") {
          const [row] = await database.query(
            orm.sql`SELECT trx_isolation_level AS level FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID()`,
          );
          return row!.level;
        }
        return "serializable"; // SQLite: every transaction is serializable, whatever was asked.
      },
      { isolation: "serializable" },
    );
    expect(String(level).toLowerCase()).toBe("serializable");
    // A nested transaction cannot change it.
    const nested = await rejectionOf(() =>
      database.transaction(() => database.transaction(async () => 1, { isolation: "read committed" }), { isolation: "serializable" }),
    );
    expect(nested).toBeInstanceOf(orm.TransactionError);
    expect((nested as Error).message).toMatch(/cannot change the isolation level/);
  });

  if (dialect === "sqlite") {
    test("SQLite: a second transaction waits for the first to end instead of running inside it", async () => {
      const order: string[] = [];
      const firstInside = deferred();
      const gate = deferred();
      const first = database.transaction(async () => {
        await Account.objects.create({ name: "first" });
        firstInside.resolve();
        await gate.promise;
        order.push("first ends");
        throw new Error("first rolls back");
      });
      await firstInside.promise;
      const second = database.transaction(async () => {
        order.push("second starts");
        // It does not see the first transaction's row: that one was rolled back before it began.
        expect(await names()).toEqual([]);
        await Account.objects.create({ name: "second" });
      });
      const early = await settledWithin(second, 100);
      gate.resolve();
      expect(early).toBe("pending");
      await rejectionOf(() => first);
      await second;
      expect(order).toEqual(["first ends", "second starts"]);
      expect(await names()).toEqual(["second"]);
    });

    test("SQLite: a raw BEGIN outside transaction() is not left open on the one connection", async () => {
      await database.execute(orm.sql`BEGIN`);
      await Account.objects.create({ name: "after a raw BEGIN" });
      // Had the BEGIN stayed open, this one's own BEGIN would fail and the row above would be uncommitted.
      await database.transaction(async () => {
        await Account.objects.create({ name: "in a transaction" });
      });
      expect(await names()).toEqual(["after a raw BEGIN", "in a transaction"]);
      expect(await rejectionOf(() => database.execute(orm.sql`ROLLBACK`))).toBeInstanceOf(orm.DatabaseError);
      expect(await names()).toEqual(["after a raw BEGIN", "in a transaction"]);
    });
  } else {
    test("concurrent transactions get their own connections and never see each other's uncommitted writes", async () => {
      await Account.objects.bulkCreate([
        { name: "a", balance: 0 },
        { name: "b", balance: 0 },
      ]);
      const meet = barrier(2);
      const ids: number[] = [];
      const seen: Record<string, number> = {};
      const one = database.transaction(async () => {
        ids.push(await connectionId(database));
        await Account.objects.filter({ name: "a" }).update({ balance: 1 });
        await meet(); // both have written, neither has committed
        seen.oneSeesB = (await Account.objects.get({ name: "b" })).balance;
        await meet();
      });
      const two = database.transaction(async () => {
        ids.push(await connectionId(database));
        await Account.objects.filter({ name: "b" }).update({ balance: 2 });
        await meet();
        seen.twoSeesA = (await Account.objects.get({ name: "a" })).balance;
        await meet();
        throw new Error("two rolls back");
      });
      const [oneOutcome, twoOutcome] = await Promise.allSettled([one, two]);
      expect(oneOutcome.status).toBe("fulfilled");
      expect(twoOutcome.status === "rejected" && (twoOutcome.reason as Error).message).toBe("two rolls back");
      expect(new Set(ids).size).toBe(2);
      expect(seen).toEqual({ oneSeesB: 0, twoSeesA: 0 });
      const balances = Object.fromEntries((await Account.objects.all()).map((account) => [account.name, account.balance]));
      expect(balances).toEqual({ a: 1, b: 0 });
    });

    test("conflicting serializable transactions: one fails with a retryable TransactionError; with retries both commit", async () => {
      await Account.objects.create({ name: "counter", balance: 0 });
      const increment = (options: orm.TransactionOptions, meet: () => Promise<void>, attempts: { n: number }) =>
        database.transaction(async () => {
          attempts.n++;
          const { balance } = await Account.objects.get({ name: "counter" });
          if (attempts.n === 1) await meet(); // both have read before either writes, the first time round
          await Account.objects.filter({ name: "counter" }).update({ balance: balance + 1 });
        }, options);

      const meet = barrier(2);
      const tries = [{ n: 0 }, { n: 0 }];
      const outcomes = await Promise.allSettled([
        increment({ isolation: "serializable" }, meet, tries[0]!),
        increment({ isolation: "serializable" }, meet, tries[1]!),
      ]);
      const failures = outcomes.filter((outcome) => outcome.status === "rejected").map((outcome) => (outcome as PromiseRejectedResult).reason);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toBeInstanceOf(orm.TransactionError);
      expect(failures[0]).toBeInstanceOf(dialect === "postgresql" ? orm.SerializationError : orm.DeadlockError);
      expect((failures[0] as orm.TransactionError).retryable).toBe(true);
      expect((failures[0] as Error).cause).toBeDefined();
      expect((await Account.objects.get({ name: "counter" })).balance).toBe(1);

      const again = barrier(2);
      const retried = [{ n: 0 }, { n: 0 }];
      await Promise.all([
        increment({ isolation: "serializable", retries: 5 }, again, retried[0]!),
        increment({ isolation: "serializable", retries: 5 }, again, retried[1]!),
      ]);
      expect((await Account.objects.get({ name: "counter" })).balance).toBe(3);
      expect(retried[0]!.n + retried[1]!.n).toBeGreaterThan(2);
    });
  }

  test("the pool is back to idle after all of the above", async () => {
    await until(() => database.poolStats().idle === database.poolStats().total, 5_000, "idle pool");
    expect(database.poolStats().waiting).toBe(0);
  });
});
