import { inspect } from "node:util";
import { beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf } from "./helpers/fixtures.js";

describeEachDialect("database", (target) => {
  const { database, dialect, url } = target;
  const Ledger = orm.Model.define("Ledger", { label: orm.String({ maxLength: 20 }), amount: orm.Integer() }, { database });

  beforeAll(() => database.createAll());

  test("database.url.dialect names the dialect", () => {
    expect(database.url.dialect).toBe(dialect);
    expect(database.dialect.name).toBe(dialect);
  });

  test("connects lazily: nothing until the first query", async () => {
    const lazy = new orm.Database(url);
    try {
      orm.Model.define("LazyThing", { name: orm.String() }, { database: lazy });
      expect(lazy.isConnected).toBe(false);
      expect(lazy.poolStats().total).toBe(0);
      expect(await lazy.query(orm.sql`SELECT COUNT(*) AS n FROM ledger`)).toHaveLength(1);
      expect(lazy.isConnected).toBe(true);
    } finally {
      await lazy.disconnect();
    }
  });

  test("disconnect() is idempotent, and connect() reopens", async () => {
    const other = new orm.Database(url);
    await other.disconnect();
    await other.connect();
    await other.query(orm.sql`SELECT COUNT(*) AS n FROM ledger`);
    await other.disconnect();
    await other.disconnect();
    expect(other.isConnected).toBe(false);
    expect(await errorOf(() => other.query(orm.sql`SELECT COUNT(*) AS n FROM ledger`))).toBeInstanceOf(orm.ConnectionError);
    await other.connect();
    expect(await other.query(orm.sql`SELECT COUNT(*) AS n FROM ledger`)).toHaveLength(1);
    await other.disconnect();
  });

  test("execute() and query() take orm.sql values as bound parameters", async () => {
    const inserted = await database.execute(orm.sql`INSERT INTO ledger (label, amount) VALUES (${"it's"}, ${5}), (${"b\\c"}, ${7})`);
    expect(inserted.rowsAffected).toBe(2);
    const updated = await database.execute(orm.sql`UPDATE ledger SET amount = amount + ${1} WHERE amount IN (${orm.join([5, 7])})`);
    expect(updated.rowsAffected).toBe(2);
    const rows = await database.query(orm.sql`SELECT label, amount FROM ledger WHERE label <> ${""}${orm.empty} ORDER BY ${orm.raw("amount")}`);
    expect(rows).toEqual([
      { label: "it's", amount: 6 },
      { label: "b\\c", amount: 8 },
    ]);
    expect((await Ledger.objects.get({ label: "it's" })).amount).toBe(6);
    // Sent again, the statement runs prepared (a separate code path on PostgreSQL and MySQL): still rows keyed by column.
    for (let use = 0; use < 3; use++) {
      expect(await database.query(orm.sql`SELECT label, amount FROM ledger WHERE amount > ${6} ORDER BY amount`)).toEqual([{ label: "b\\c", amount: 8 }]);
    }
    // An array bound whole is each database's own list form (mysql2 writes it out; PostgreSQL binds an array):
    // a repeated statement with one stays unprepared on MySQL, which can prepare no list.
    const amountIn = (amounts: number[]) =>
      dialect === "mysql" ? orm.sql`amount IN (${amounts})` : dialect === "postgresql" ? orm.sql`amount = ANY(${amounts})` : orm.sql`amount IN (${orm.join(amounts)})`;
    for (let use = 0; use < 3; use++) {
      expect(await database.query(orm.sql`SELECT label FROM ledger WHERE ${amountIn([6, 8, use])} ORDER BY amount`)).toEqual([{ label: "it's" }, { label: "b\\c" }]);
    }
    expect((await database.execute(orm.sql`DELETE FROM ledger`)).rowsAffected).toBe(2);
  });

  test("an undefined value in a raw statement is a ValidationError, prepared or not, and nothing runs", async () => {
    const amountAbove = (amount: number | undefined) => orm.sql`SELECT label FROM ledger WHERE amount > ${amount}`;
    // Twice with a value first: the text is then one the drivers send prepared (mysql2 threw from inside its pool there).
    await database.query(amountAbove(1));
    await database.query(amountAbove(1));
    for (const attempt of [
      () => database.query(amountAbove(undefined)),
      () => database.execute(orm.sql`INSERT INTO ledger (label, amount) VALUES (${"x"}, ${undefined})`),
      async () => {
        for await (const row of database.stream(amountAbove(undefined), 10)) void row;
      },
      () => database.transaction((tx) => tx.query(amountAbove(undefined))),
    ]) {
      const error = await errorOf(attempt);
      expect(error).toBeInstanceOf(orm.ValidationError);
      expect(error.message).toMatch(/^Value (1|2) of the statement is undefined \(pass null for SQL NULL\): "(SELECT|INSERT)/);
    }
    expect(Number((await database.query<{ n: unknown }>(orm.sql`SELECT COUNT(*) AS n FROM ledger`))[0]!.n)).toBe(0);
  });

  test("statements issued together in a transaction run in the order issued, one of them prepared there first", async () => {
    const single = new orm.Database(url, { pool: { max: 1 } });
    const insert = (label: string) => orm.sql`INSERT INTO ledger (label, amount) VALUES (${label}, ${1})`;
    const count = orm.sql`SELECT COUNT(*) AS n FROM ledger`;
    try {
      await single.execute(insert("first"));
      await single.transaction(async (tx) => {
        // The INSERT's second use: prepared on this connection now (MySQL, PostgreSQL), the count issued right behind it.
        const [, counted] = await Promise.all([tx.execute(insert("second")), tx.query<{ n: unknown }>(count)]);
        expect(Number(counted[0]!.n)).toBe(2);
        // And through what was prepared.
        const [, again] = await Promise.all([tx.execute(insert("third")), tx.query<{ n: unknown }>(count)]);
        expect(Number(again[0]!.n)).toBe(3);
      });
      expect(await single.query(orm.sql`SELECT label FROM ledger ORDER BY label`)).toEqual([{ label: "first" }, { label: "second" }, { label: "third" }]);
    } finally {
      await single.execute(orm.sql`DELETE FROM ledger`);
      await single.disconnect();
    }
  });

  test("a prepared statement whose table changed shape answers with the new shape outside a transaction", async () => {
    const single = new orm.Database(url, { pool: { max: 1 } });
    const table = orm.raw(database.dialect.quote("reshaped"));
    const everything = () => single.query(orm.sql`SELECT * FROM ${table} WHERE id = ${1}`);
    try {
      await single.execute(orm.sql`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, a INTEGER)`);
      await single.execute(orm.sql`INSERT INTO ${table} (id, a) VALUES (${1}, ${10})`);
      for (let use = 0; use < 3; use++) expect(await everything()).toEqual([{ id: 1, a: 10 }]);
      await single.execute(orm.sql`ALTER TABLE ${table} ADD COLUMN b INTEGER`);
      // PostgreSQL refuses the prepared plan ("cached plan must not change result type"): quarry sends the text again, unprepared.
      expect(await everything()).toEqual([{ id: 1, a: 10, b: null }]);
      expect(await everything()).toEqual([{ id: 1, a: 10, b: null }]);
    } finally {
      await single.execute(orm.sql`DROP TABLE IF EXISTS ${table}`);
      await single.disconnect();
    }
  });

  test('the "query" event carries sql, values and durationMs of every statement', async () => {
    const events: orm.QueryEvent[] = [];
    const listener = (event: orm.QueryEvent) => events.push(event);
    database.on("query", listener);
    try {
      await Ledger.objects.filter({ label: "x" }).count();
      await errorOf(() => database.query(orm.sql`SELECT nope FROM ledger WHERE amount = ${3}`));
    } finally {
      database.off("query", listener);
    }
    expect(events).toHaveLength(2);
    expect(events[0]!.sql).toMatch(/^SELECT COUNT\(\*\) FROM .ledger. WHERE .ledger.\..label. = (\?|\$1)$/);
    expect(events[0]!.values).toEqual(["x"]);
    expect(events[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(events[0]!.error).toBeUndefined();
    expect(events[1]!.values).toEqual([3]);
    expect(events[1]!.error).toBeInstanceOf(orm.DatabaseError);
  });

  test("the log option receives every statement", async () => {
    const seen: string[] = [];
    const logged = new orm.Database(url, { log: (event) => seen.push(event.sql) });
    try {
      await logged.query(orm.sql`SELECT COUNT(*) AS n FROM ledger`);
      expect(seen).toEqual(["SELECT COUNT(*) AS n FROM ledger"]);
    } finally {
      await logged.disconnect();
    }
  });

  test("?pool_max= caps the connections a pool opens", async () => {
    const capped = new orm.Database(`${url}${url.includes("?") ? "&" : "?"}pool_max=2`);
    try {
      const counts = await Promise.all(Array.from({ length: 8 }, () => capped.query(orm.sql`SELECT COUNT(*) AS n FROM ledger`)));
      expect(counts).toHaveLength(8);
      expect(capped.poolStats().total).toBeGreaterThanOrEqual(1);
      expect(capped.poolStats().total).toBeLessThanOrEqual(2);
    } finally {
      await capped.disconnect();
    }
  });

  test("a raw statement the database refuses is a DatabaseError with the driver's error as cause", async () => {
    const error = await errorOf(() => database.query(orm.sql`SELEKT 1`));
    expect(error).toBeInstanceOf(orm.DatabaseError);
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe("unreachable databases", () => {
  const secret = "Sup3r-s3cret";
  test.each([
    [`postgresql://postgres:${secret}@127.0.0.1:1/test`, "127.0.0.1:1"],
    [`mysql://root:${secret}@127.0.0.1:1/test`, "127.0.0.1:1"],
    ["sqlite:////nonexistent-dir/quarry/db.sqlite", "/nonexistent-dir/quarry/db.sqlite"],
  ])("%s is a ConnectionError naming %s, never the password", async (text, where) => {
    const database = new orm.Database(text);
    try {
      const error = await errorOf(() => database.query(orm.sql`SELECT 1`));
      expect(error).toBeInstanceOf(orm.ConnectionError);
      expect(error.message).toContain(where);
      for (const printed of [error.message, inspect(error), String(error.stack)]) expect(printed).not.toContain(secret);
      const connecting = await errorOf(() => database.connect());
      expect(connecting).toBeInstanceOf(orm.ConnectionError);
      expect(inspect(connecting)).not.toContain(secret);
    } finally {
      await database.disconnect();
    }
  });
});
