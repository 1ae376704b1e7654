import { writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf } from "./helpers/fixtures.js";

describeEachDialect("every error is an OrmError", ({ database, dialect }) => {
  const Tag = orm.Model.define("ErrorTag", { label: orm.String({ maxLength: 20 }) }, { database, tablename: "error_tags" });
  beforeAll(async () => {
    await database.createAll();
    await Tag.objects.bulkCreate([{ label: "x7" }, { label: "x1500" }, { label: "other" }]);
  });

  test("a Q nested 10,000 deep is a ValidationError naming the limit, not a RangeError", async () => {
    let deep: orm.Q = orm.Q.or({ label: "x" });
    for (let level = 0; level < 10_000; level++) deep = level % 2 ? orm.Q.or(deep, { label: `y${level}` }) : orm.Q.not(deep);
    const error = await errorOf(() => Tag.objects.filter(deep).count());
    expect(error).toBeInstanceOf(orm.ValidationError);
    expect(error.message).toMatch(/nested/);
  });

  test("2,000 OR-ed conditions run on every database (SQLite's expression depth is 1,000)", async () => {
    const alternatives = Array.from({ length: 2_000 }, (_, n) => ({ label: `x${n}` }));
    expect(await Tag.objects.filter(orm.Q.or(...alternatives)).count()).toBe(2);
    expect(await Tag.objects.exclude(orm.Q.or(...alternatives)).count()).toBe(1);
    const both = Array.from({ length: 2_000 }, (_, n) => ({ label__startswith: n === 0 ? "x1" : "x" }));
    expect(await Tag.objects.filter(orm.Q.and(...both)).count()).toBe(1);
  });

  test("a raw query's column named __proto__ is an error naming it, not a lost connection or a dropped column", async () => {
    const alias = dialect === "mysql" ? "`__proto__`" : '"__proto__"';
    const error = await errorOf(() => database.query(orm.sql`SELECT 1 AS one, 2 AS ${orm.raw(alias)}`));
    expect(error).toBeInstanceOf(orm.OrmError);
    expect(error.message).toContain("__proto__");
    expect(await database.query(orm.sql`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
  });

  if (dialect === "sqlite") {
    test("SQLite: a file that is not a database, or one another connection holds locked, is an OrmError with the driver's error as cause", async () => {
      const file = join(tmpdir(), `quarry-notadb-${process.pid}.sqlite`);
      writeFileSync(file, "this is not a database, just text that is long enough to look like a header ".repeat(20));
      const notADatabase = new orm.Database(`sqlite:///${file}`);
      try {
        const error = await errorOf(() => notADatabase.query(orm.sql`SELECT 1 AS one`));
        expect(error).toBeInstanceOf(orm.ConnectionError);
        expect(error.cause).toBeInstanceOf(Error);
      } finally {
        await notADatabase.disconnect();
        rmSync(file, { force: true });
      }
      const locked = join(tmpdir(), `quarry-locked-${process.pid}.sqlite`);
      const holder = new orm.Database(`sqlite:///${locked}`);
      const blocked = new orm.Database(`sqlite:///${locked}?busy_timeout=100`);
      try {
        await holder.execute(orm.sql`PRAGMA locking_mode = EXCLUSIVE`);
        await holder.execute(orm.sql`CREATE TABLE held (id INTEGER PRIMARY KEY)`);
        const error = await errorOf(() => blocked.query(orm.sql`SELECT 1 AS one`));
        expect(error).toBeInstanceOf(orm.OrmError);
        expect(error.cause).toBeInstanceOf(Error);
      } finally {
        await blocked.disconnect();
        await holder.disconnect();
        for (const suffix of ["", "-wal", "-shm"]) rmSync(locked + suffix, { force: true });
      }
    });
  }
});
