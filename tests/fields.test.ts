import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf, untyped } from "./helpers/fixtures.js";

// A zone with DST: a library that slipped into local time would shift the instants below.
process.env.TZ = "Europe/Berlin";

const TRICKY_STRINGS = [
  "",
  " leading and trailing ",
  "ÜBER über École",
  "emoji 🎉👍🏽 and 中文",
  `it's "quoted" and \`ticked\``,
  "back\\slash \\n \\\\ \\'",
  "new\nline\r\ttab",
  "100% of a_b \\ and !",
  "'; DROP TABLE samples; --",
  // What an array literal would read as a null, or as several elements, unquoted (PostgreSQL's bulkCreate sends one).
  "NULL",
  "{braces}, commas",
];

const ROUND_TRIPS: Record<string, readonly unknown[]> = {
  integer: [0, 1, -1, 2147483647, -2147483648],
  big: [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 9007199254740993n],
  float: [0, 1.5, -2.25, 0.1, Math.PI, 1e300, -1e-300, 5e-324, Number.MAX_SAFE_INTEGER],
  money: ["0.0000", "12.5000", "-3.1400", "0.0001", "12345678901234567890123456.7891", "-99999999999999999999999999.9999"],
  flag: [true, false],
  name: TRICKY_STRINGS,
  body: [...TRICKY_STRINGS, "long ".repeat(20_000)],
  day: ["2024-02-29", "1970-01-01", "1969-12-31", "1000-01-01", "0100-03-01", "9999-12-31"],
  time: ["00:00:00", "23:59:59", "12:34:56"],
  at: [
    new Date("2024-03-31T00:59:59.999Z"), // one ms before Europe's spring-forward
    new Date("2024-03-31T01:00:00.001Z"),
    new Date("2024-10-27T00:30:00.500Z"), // the hour Europe repeats in autumn
    new Date("2024-10-27T01:30:00.500Z"),
    new Date("2024-03-10T07:30:00.123Z"), // US spring-forward
    new Date("1970-01-01T00:00:00.000Z"),
    new Date("1969-07-20T20:17:40.001Z"),
    new Date("1900-01-01T00:00:00.000Z"),
    new Date("1000-01-01T12:00:00.250Z"),
    new Date("0100-06-15T12:00:00.500Z"),
    new Date("9999-12-31T23:59:59.999Z"),
  ],
  data: [
    { nested: { list: [1, 2.5, { deep: [null, true, "x"] }] }, empty: {} },
    [1, "two", false, null, [], {}],
    { unicode: "ÜBER 🎉 中文", "key with \"quotes\"": "it's \\ fine", emoji: ["👍🏽"] },
    "just a string",
    42,
    -0.5,
    true,
    false,
    [],
  ],
  uuid: [randomUUID(), "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"],
  size: ["small", "large", "x-large"],
  email: ["user@example.com", "o'brien+tag@example.ie", "ünïcode@exämple.de"],
  site: ["https://example.com/path?q=1&r=%20#frag", "http://127.0.0.1:8080/", "ftp://files.example.org/a b"],
  ip: ["127.0.0.1", "255.255.255.255", "::1", "2001:db8::ff00:42:8329"],
};

function defineSample(database: orm.Database) {
  return orm.Model.define(
    "Sample",
    {
      integer: orm.Integer({ allowNull: true }),
      big: orm.BigInteger({ allowNull: true }),
      float: orm.Float({ allowNull: true }),
      money: orm.Decimal({ maxDigits: 30, decimalPlaces: 4, allowNull: true }),
      flag: orm.Boolean({ allowNull: true }),
      name: orm.String({ maxLength: 60, allowNull: true }),
      body: orm.Text({ allowNull: true }),
      day: orm.Date({ allowNull: true }),
      time: orm.Time({ allowNull: true }),
      at: orm.DateTime({ allowNull: true }),
      data: orm.JSON({ allowNull: true }),
      uuid: orm.UUID({ allowNull: true }),
      size: orm.Enum(["small", "large", "x-large"], { allowNull: true }),
      email: orm.Email({ allowNull: true }),
      site: orm.URL({ allowNull: true }),
      ip: orm.IPAddress({ allowNull: true }),
    },
    { database },
  );
}

/** Rows that between them hold every round-trip value of every field. */
function everyValueRows(): Record<string, unknown>[] {
  const longest = Math.max(...Object.values(ROUND_TRIPS).map((values) => values.length));
  return Array.from({ length: longest }, (_, k) => Object.fromEntries(Object.entries(ROUND_TRIPS).map(([field, values]) => [field, values[k % values.length]])));
}

const CASES = Object.entries(ROUND_TRIPS).flatMap(([field, values]) => values.map((value) => ({ field, value })));

describeEachDialect("field round trips", ({ database, dialect }) => {
  const Sample = defineSample(database);

  beforeAll(() => database.createAll());

  async function reread(pk: number) {
    return (await Sample.objects.get({ pk })) as unknown as Record<string, unknown>;
  }

  test.each(CASES)("$field: $value comes back identical", async ({ field, value }) => {
    const created = await Sample.objects.create({ [field]: value });
    expect((created as unknown as Record<string, unknown>)[field]).toStrictEqual(value);
    const loaded = await reread(created.pk);
    expect(loaded[field]).toStrictEqual(value);
    // The value also finds its own row.
    if (field !== "data" && field !== "body") {
      const found = await untyped(Sample).filter({ pk: created.pk, [field]: value }).count();
      expect(found).toBe(1);
    }
  });

  test("iterate() reads every kind back as get() does (MySQL: the plain query protocol, JSON included)", async () => {
    const fields = Object.keys(ROUND_TRIPS);
    const rows = everyValueRows();
    const created = await Sample.objects.bulkCreate(rows as never[]);
    try {
      const streamed: Record<string, unknown>[] = [];
      for await (const row of untyped(Sample).filter({ pk__in: created.map((row) => row.pk) }).orderBy("pk").iterate({ batchSize: 4 })) {
        streamed.push(row as unknown as Record<string, unknown>);
      }
      expect(streamed).toHaveLength(rows.length);
      for (const [k, row] of rows.entries()) {
        for (const field of fields) expect([field, streamed[k]![field]]).toStrictEqual([field, row[field]]);
      }
    } finally {
      await Sample.objects.filter({ pk__in: created.map((row) => row.pk) }).delete();
    }
  });

  test("bulkCreate stores every kind as create() does, nulls and hostile text included, in one statement", async () => {
    const fields = Object.keys(ROUND_TRIPS);
    const rows = everyValueRows();
    rows.push(Object.fromEntries(fields.map((field) => [field, null])));
    const statements: string[] = [];
    const record = (event: orm.QueryEvent) => statements.push(event.sql);
    database.on("query", record);
    const created = await Sample.objects.bulkCreate(rows as never[]).finally(() => database.off("query", record));
    const inserts = statements.filter((text) => text.startsWith("INSERT"));
    expect(inserts).toHaveLength(1);
    // PostgreSQL's binds one array per column.
    if (dialect === "postgresql") expect(inserts[0]).toContain("unnest(");
    try {
      for (const [k, row] of rows.entries()) {
        const loaded = await reread(created[k]!.pk);
        for (const field of fields) expect([field, loaded[field]]).toStrictEqual([field, row[field]]);
      }
    } finally {
      // The extremes would be counted twice by the lookup tests below.
      await Sample.objects.filter({ pk__in: created.map((row) => row.pk) }).delete();
    }
  });

  test.each(Object.keys(ROUND_TRIPS))("%s: null comes back null", async (field) => {
    const created = await Sample.objects.create({ [field]: null });
    expect((await reread(created.pk))[field]).toBeNull();
    expect(await untyped(Sample).filter({ pk: created.pk, [field]: null }).count()).toBe(1);
  });

  test("a maxLength counts characters: 60 emoji fit a String({ maxLength: 60 })", async () => {
    const name = "🎉".repeat(60);
    const created = await Sample.objects.create({ name });
    expect((await reread(created.pk)).name).toBe(name);
    expect(await errorOf(() => Sample.objects.create({ name: `${name}x` }))).toBeInstanceOf(orm.ValidationError);
  });

  test("values are normalised before they are stored", async () => {
    const upper = "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11";
    const created = await Sample.objects.create({ uuid: upper, money: "12.5", time: "07:05", at: "2020-05-01T10:00:00.5+02:00" as never });
    const loaded = await reread(created.pk);
    expect(loaded).toMatchObject({ uuid: upper.toLowerCase(), money: "12.5000", time: "07:05:00", at: new Date("2020-05-01T08:00:00.500Z") });
  });

  test("the largest and smallest Integer fit, one past them is a ValidationError naming model and field", async () => {
    for (const integer of [2147483648, -2147483649, 1.5, Number.NaN]) {
      const error = await errorOf(() => Sample.objects.create({ integer }));
      expect(error).toBeInstanceOf(orm.ValidationError);
      expect(error.message).toContain("Sample.integer");
    }
    for (const big of [2n ** 63n, -(2n ** 63n) - 1n, 2 ** 60]) {
      expect(await errorOf(() => Sample.objects.create({ big: big as bigint }))).toBeInstanceOf(orm.ValidationError);
    }
    expect(await Sample.objects.filter({ integer__in: [2147483647, -2147483648] }).count()).toBeGreaterThanOrEqual(2);
  });

  test("BigInteger extremes compare exactly in lookups", async () => {
    const max = 2n ** 63n - 1n;
    expect(await Sample.objects.filter({ big: max }).count()).toBe(1);
    expect(await Sample.objects.filter({ big: max - 1n }).count()).toBe(0);
    expect(await Sample.objects.filter({ big__gt: 9007199254740992n, big__lt: max }).count()).toBe(1);
  });

  test("Decimal: more fraction digits than decimalPlaces, or more digits than maxDigits, is a ValidationError", async () => {
    for (const money of ["1.00001", "123456789012345678901234567.0", "abc", "1e5", 0.1 + 0.2]) {
      expect(await errorOf(() => Sample.objects.create({ money: money as string }))).toBeInstanceOf(orm.ValidationError);
    }
  });

  test("Decimal: every spelling of a value becomes its one canonical text; the canonical one is taken as it is", () => {
    const money = Sample.fields.money;
    const spellings: [unknown, string][] = [
      ["12.5000", "12.5000"], ["12.5", "12.5000"], ["012.50", "12.5000"], [" 12.5 ", "12.5000"], ["+12.5", "12.5000"],
      ["-0.0000", "0.0000"], ["-0", "0.0000"], [".5", "0.5000"], ["7", "7.0000"], [7, "7.0000"], [-3n, "-3.0000"],
      ["-1.2000", "-1.2000"], ["12345678901234567890123456.7891", "12345678901234567890123456.7891"],
    ];
    for (const [given, canonical] of spellings) expect(money.validate(given)).toBe(canonical);
    for (const wrong of ["123456789012345678901234567.0000", "1.00001", ".", "", "0x10", "1e5"]) expect(() => money.validate(wrong)).toThrow(orm.ValidationError);
  });

  test("Decimal values past a double's precision compare exactly", async () => {
    const exact = "12345678901234567890123456.7891";
    expect(await Sample.objects.filter({ money: exact }).count()).toBe(1);
    expect(await Sample.objects.filter({ money: "12345678901234567890123456.7890" }).count()).toBe(0);
    expect(await Sample.objects.filter({ money__gt: "12345678901234567890123456.7890" }).count()).toBe(1);
  });

  test("Decimal orders and ranges numerically, negatives included", async () => {
    const values = ["-10.0000", "-2.5000", "-0.0001", "0.0000", "9.9999", "10.0000", "12345678901234567890123456.7891"];
    await Sample.objects.bulkCreate([...values].reverse().map((money) => ({ money, name: "decimal order" })));
    const ordered = await Sample.objects.filter({ name: "decimal order" }).orderBy("money");
    expect(ordered.map((row) => row.money)).toEqual(values);
    const ranged = await Sample.objects.filter({ name: "decimal order", money__range: ["-2.5", "9.9999"] }).orderBy("-money");
    expect(ranged.map((row) => row.money)).toEqual(["9.9999", "0.0000", "-0.0001", "-2.5000"]);
  });

  test("Float is double precision", async () => {
    const created = await Sample.objects.create({ float: 0.1 + 0.2 });
    expect((await reread(created.pk)).float).toBe(0.30000000000000004);
  });

  test("Date, Time, DateTime, Enum, Email, URL, IPAddress, UUID, JSON and Boolean refuse what they cannot hold", async () => {
    const invalid: Record<string, unknown[]> = {
      day: ["2023-02-29", "2024-13-01", "24-01-01", 20240101],
      time: ["24:00:00", "12:60:00", "noon"],
      at: ["not a date", new Date(Number.NaN), 0],
      size: ["medium", "SMALL"],
      email: ["nobody", "a@b", "a b@c.de"],
      site: ["example.com", "javascript:alert(1)", "/relative"],
      ip: ["256.0.0.1", "1.2.3", "localhost"],
      uuid: ["not-a-uuid", 123],
      data: [() => 1, { bad: 1n }, Symbol("x")],
      flag: [1, "true", "1"],
      name: [42, { toString: () => "x" }, "x".repeat(61), "nul\u0000byte"],
      float: [Number.POSITIVE_INFINITY, Number.NaN, "1.5"],
    };
    for (const [field, values] of Object.entries(invalid)) {
      for (const value of values) {
        const error = await errorOf(() => Sample.objects.create({ [field]: value }));
        expect(error, `${field} = ${String(value)}`).toBeInstanceOf(orm.ValidationError);
        expect(error.message).toContain(`Sample.${field}`);
      }
    }
  });
});

describe("field declarations", () => {
  test("Decimal needs whole maxDigits and decimalPlaces", () => {
    expect(() => orm.Decimal({ maxDigits: 5, decimalPlaces: 6 })).toThrow(TypeError);
    expect(() => orm.Decimal({ maxDigits: 5.5, decimalPlaces: 1 })).toThrow(TypeError);
  });

  test("Enum needs a choice", () => {
    expect(() => orm.Enum([])).toThrow(TypeError);
  });

  test("Decimal reads a value back the same whatever it read before (it remembers the last canonical text)", () => {
    const pool = ["1.50", "1.5", "1.500", "0.99", "0.990", ".99", "-0.00", "0.00", "-1.50", 1.5, 0.99, "12", "12.00"];
    const seen = orm.Decimal({ maxDigits: 10, decimalPlaces: 2 });
    let seed = 11;
    for (let n = 0; n < 2_000; n++) {
      const raw = pool[(seed = (seed * 48271) % 2147483647) % pool.length]!;
      const fresh = orm.Decimal({ maxDigits: 10, decimalPlaces: 2 });
      expect(seen.normalize(raw), JSON.stringify(raw)).toBe(fresh.normalize(raw));
    }
    expect(seen.normalize("1.5")).toBe("1.50");
    expect(seen.normalize("1.50")).toBe("1.50");
    expect(seen.normalize("-0.00")).toBe("0.00");
  });

  test("Decimal takes a number as it takes the number's shortest text (20,000 random numbers at each precision)", () => {
    const database = new orm.Database("sqlite://:memory:");
    let seed = 11;
    const random = (below: number) => (seed = (seed * 48271) % 2147483647) % below;
    const outcome = (validate: () => unknown) => {
      try {
        return validate();
      } catch (error) {
        expect(error).toBeInstanceOf(orm.ValidationError);
        return "refused";
      }
    };
    for (const [maxDigits, decimalPlaces] of [[10, 2], [2, 2], [5, 0], [3, 1], [20, 10]] as const) {
      const field = orm.Model.define(`Priced${maxDigits}x${decimalPlaces}`, { value: orm.Decimal({ maxDigits, decimalPlaces }) }, { database }).fields.value;
      const samples = [0, -0, 0.1 + 0.2, 1.005, 12.5, -2.5, 1e21, 1e-7, 0.07, 99.99, 100, -0.001, Number.MAX_SAFE_INTEGER];
      for (let n = 0; n < 20_000; n++) samples.push((random(2) ? -1 : 1) * (random(10 ** random(7)) / 10 ** random(5)));
      for (const value of samples) {
        const taken = outcome(() => field.validate(value));
        // A text in exponent form is no decimal text (refused), while its number may well be one: then it reads back as itself.
        if (String(value).includes("e")) expect(taken === "refused" || Number(taken) === value, String(value)).toBe(true);
        else expect(taken, String(value)).toBe(outcome(() => field.validate(String(value))));
      }
    }
  });

  test("Decimal keeps a text as it is exactly when it is canonical, at every precision (20,000 random texts each)", () => {
    const database = new orm.Database("sqlite://:memory:");
    let seed = 7;
    const random = (below: number) => (seed = (seed * 48271) % 2147483647) % below;
    for (const [maxDigits, decimalPlaces] of [[10, 2], [2, 2], [5, 0], [1, 0], [3, 1], [20, 10]] as const) {
      const Amount = orm.Model.define(`Amount${maxDigits}x${decimalPlaces}`, { value: orm.Decimal({ maxDigits, decimalPlaces }) }, { database });
      const wholeDigits = maxDigits - decimalPlaces;
      const canonical = new RegExp(`^${wholeDigits > 0 ? `(?:0|[1-9]\\d{0,${wholeDigits - 1}})` : "0"}${decimalPlaces > 0 ? `\\.\\d{${decimalPlaces}}` : ""}$`);
      for (let n = 0; n < 20_000; n++) {
        let text = "";
        for (let length = random(maxDigits + 4); length > 0; length--) text += "0019.5-+ a"[random(10)];
        let stored: string | undefined;
        try {
          stored = Amount.fields.value.validate(text) as string;
        } catch (error) {
          expect(error).toBeInstanceOf(orm.ValidationError);
          expect(canonical.test(text)).toBe(false);
          continue;
        }
        if (canonical.test(text)) expect(stored).toBe(text);
        else if (!stored.startsWith("-")) expect(stored, JSON.stringify(text)).toMatch(canonical);
      }
    }
  });
});
