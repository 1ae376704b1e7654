import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf } from "./helpers/fixtures.js";

const LIST = 200_000;

describeEachDialect("bind-parameter limits", ({ database, dialect }) => {
  const Row = orm.Model.define(
    "BindRow",
    { code: orm.String({ maxLength: 20 }), big: orm.BigInteger(), flag: orm.Boolean(), at: orm.DateTime() },
    { database, tablename: "bind_rows" },
  );
  const ROWS = 3_000;
  const at = (n: number) => new Date(Date.UTC(2020, 0, 1) + n * 60_000);
  beforeAll(async () => {
    await database.createAll();
    await Row.objects.bulkCreate(Array.from({ length: ROWS }, (_, n) => ({ code: `c${n}`, big: 2n ** 60n + BigInt(n), flag: n % 2 === 0, at: at(n) })));
  }, 120_000);

  /** 200,000 values of which every third row's (1,000 rows) are among them. */
  const ids = async () => {
    const all = (await Row.objects.orderBy("id").valuesList("id", { flat: true })) as number[];
    const chosen = all.filter((_, index) => index % 3 === 0);
    const list = [...chosen];
    for (let n = 0; list.length < LIST; n++) list.push(10_000_000 + n);
    return { chosen, list };
  };

  test("__in, exclude, inBulk, update and delete with 200,000 values give what one statement would", async () => {
    const { chosen, list } = await ids();
    expect(await Row.objects.filter({ id__in: list }).count()).toBe(chosen.length);
    expect(await Row.objects.exclude({ id__in: list }).count()).toBe(ROWS - chosen.length);
    expect((await Row.objects.filter({ id__in: list }).orderBy("id").valuesList("id", { flat: true }))).toEqual(chosen);
    expect([...(await Row.objects.inBulk(list)).keys()].sort((a, b) => Number(a) - Number(b))).toEqual(chosen);
    // Every kind of value a list binds: strings, bigints past 2^53, booleans, dates.
    const codes = Array.from({ length: LIST }, (_, n) => `c${n * 3}`);
    expect(await Row.objects.filter({ code__in: codes }).count()).toBe(ROWS / 3);
    const bigs = Array.from({ length: LIST }, (_, n) => 2n ** 60n + BigInt(n * 3));
    expect(await Row.objects.filter({ big__in: bigs }).count()).toBe(ROWS / 3);
    expect(await Row.objects.filter({ flag__in: Array.from({ length: 1_500 }, () => true) }).count()).toBe(ROWS / 2);
    expect(await Row.objects.filter({ at__in: Array.from({ length: 1_500 }, (_, n) => at(n * 2)) }).count()).toBe(1_500);
    expect(await Row.objects.filter({ id__in: list }).update({ code: "chosen" })).toBe(chosen.length);
    expect(await Row.objects.filter({ code: "chosen" }).count()).toBe(chosen.length);
    expect(await Row.objects.exclude({ id__in: list }).update({ flag: true })).toBe(ROWS - chosen.length);
    expect(await Row.objects.filter({ id__in: list }).delete()).toBe(chosen.length);
    expect(await Row.objects.count()).toBe(ROWS - chosen.length);
  }, 120_000);

  // MariaDB has no bind limit on quarry's path: a statement with thousands of values is sent unprepared, its values
  // written into the text by mysql2 (max_allowed_packet bounds it; past that, the connection-health test).
  if (dialect !== "mysql") {
    test("past the bind limit where nothing can be split (70,000 separate conditions) a ValidationError names the limit; the pool carries on", async () => {
      const alternatives = Array.from({ length: 70_000 }, (_, n) => ({ code: `x${n}` }));
      const error = await errorOf(() => Row.objects.filter(orm.Q.or(...alternatives)).count());
      expect(error).toBeInstanceOf(orm.ValidationError);
      expect(error.message).toMatch(/at most \d+/);
      expect(await Row.objects.filter({ code: "c1" }).count()).toBe(1);
    }, 120_000);
  }
});
