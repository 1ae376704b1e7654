import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { artistNames, errorOf, untyped } from "./helpers/fixtures.js";

/** Words whose case and wildcard characters the text lookups must respect. */
const WORDS = ["ÜBER", "über", "Über", "École", "école", "ECOLE", "100% sure", "100 percent", "a_b", "axb", "a\\b", "a\\\\b", "bang!", "!%", "it's", "*?[x]"];

type TextOp = "exact" | "iexact" | "contains" | "icontains" | "startswith" | "istartswith" | "endswith" | "iendswith";

/** What each text lookup means, in JS: the databases must agree with it. */
const MEANING: Record<TextOp, (value: string, needle: string) => boolean> = {
  exact: (value, needle) => value === needle,
  iexact: (value, needle) => value.toLowerCase() === needle.toLowerCase(),
  contains: (value, needle) => value.includes(needle),
  icontains: (value, needle) => value.toLowerCase().includes(needle.toLowerCase()),
  startswith: (value, needle) => value.startsWith(needle),
  istartswith: (value, needle) => value.toLowerCase().startsWith(needle.toLowerCase()),
  endswith: (value, needle) => value.endsWith(needle),
  iendswith: (value, needle) => value.toLowerCase().endsWith(needle.toLowerCase()),
};

const NEEDLES = [
  "über", "ÜBER", "Über", "üBER", "école", "École", "ÉCOLE", "ecole", "%", "100%", "_", "a_", "_b", "\\", "a\\b", "\\\\", "!", "!%", "'",
  "it's", "*", "?", "[x]", "*?[x]", "AC/DC", "ac/dc", "the", "The", "THE", "ö", "Ö", "Mötley", "MÖTLEY CRÜE", "&", "Guns N' Roses",
  "guns n' roses", "Vinícius", "VINÍCIUS", "ção", " ", "Zeppelin", "zeppelin", "a", "z",
];

describeEachDialect("lookups", ({ database }) => {
  const Artist = orm.Model.define(
    "Artist",
    {
      name: orm.String({ maxLength: 120 }),
      rank: orm.Integer(),
      note: orm.String({ maxLength: 20, allowNull: true }),
    },
    { database },
  );
  const names = [...artistNames(), ...WORDS];
  const rows = names.map((name, index) => ({ name, rank: index + 1, note: index % 3 === 0 ? null : `n${index % 5}` }));

  beforeAll(async () => {
    await database.createAll();
    await Artist.objects.bulkCreate(rows);
  });

  async function namesWhere(filter: orm.Filter): Promise<string[]> {
    return (await Artist.objects.filter(filter).orderBy("rank")).map((artist) => artist.name);
  }

  test.each(Object.keys(MEANING) as TextOp[])("%s agrees with its JS meaning on real artist names and tricky words", async (op) => {
    for (const needle of NEEDLES) {
      const expected = names.filter((name) => MEANING[op](name, needle));
      expect(await namesWhere({ [`name__${op}`]: needle }), `name__${op}: ${JSON.stringify(needle)}`).toEqual(expected);
    }
  });

  test("exact is the default, and case-sensitive", async () => {
    expect(await namesWhere({ name: "AC/DC" })).toEqual(["AC/DC"]);
    expect(await namesWhere({ name: "ac/dc" })).toEqual([]);
    expect(await namesWhere({ name: "über" })).toEqual(["über"]);
    expect(await namesWhere({ name: "über " })).toEqual([]);
    expect(await namesWhere({ name__iexact: "über" })).toEqual(["ÜBER", "über", "Über"]);
    expect(await namesWhere({ name__iexact: "ÉCOLE" })).toEqual(["École", "école"]);
  });

  test("%, _, \\ and ! inside a contains value are matched literally", async () => {
    expect(await namesWhere({ name__contains: "%" })).toEqual(["100% sure", "!%"]);
    expect(await namesWhere({ name__contains: "a_b" })).toEqual(["a_b"]);
    expect(await namesWhere({ name__icontains: "A_B" })).toEqual(["a_b"]);
    expect(await namesWhere({ name__contains: "a\\b" })).toEqual(["a\\b"]);
    expect(await namesWhere({ name__startswith: "a\\\\" })).toEqual(["a\\\\b"]);
    expect(await namesWhere({ name__endswith: "!" })).toEqual(["bang!"]);
    expect(await namesWhere({ name__istartswith: "100%" })).toEqual(["100% sure"]);
  });

  test("in, lt, lte, gt, gte and range", async () => {
    const ranks = async (filter: orm.Filter) => (await Artist.objects.filter(filter).orderBy("rank")).map((artist) => artist.rank);
    expect(await ranks({ rank__in: [3, 1, 2, 9999] })).toEqual([1, 2, 3]);
    expect(await ranks({ rank__in: new Set([5]) as never })).toEqual([5]);
    expect(await ranks({ rank__in: [] })).toEqual([]);
    expect(await ranks({ rank__lt: 3 })).toEqual([1, 2]);
    expect(await ranks({ rank__lte: 3 })).toEqual([1, 2, 3]);
    expect(await ranks({ rank__gt: names.length - 2 })).toEqual([names.length - 1, names.length]);
    expect(await ranks({ rank__gte: names.length - 1 })).toEqual([names.length - 1, names.length]);
    expect(await ranks({ rank__range: [10, 12] })).toEqual([10, 11, 12]);
    expect(await ranks({ rank__range: [12, 10] })).toEqual([]);
    expect(await namesWhere({ name__in: ["AC/DC", "Aerosmith", "nobody"] })).toEqual(["AC/DC", "Aerosmith"]);
    expect(await namesWhere({ name__gte: "Zz" })).toEqual(names.filter((name) => name >= "Zz"));
  });

  test("pk works in every lookup", async () => {
    const first = await Artist.objects.get({ pk: 1 });
    expect(first.name).toBe(names[0]);
    expect(await Artist.objects.filter({ pk__in: [1, 2, 3] }).count()).toBe(3);
    expect(await Artist.objects.filter({ pk__lt: 3 }).count()).toBe(2);
    expect(await Artist.objects.filter({ pk__range: [5, 9] }).count()).toBe(5);
    expect(await Artist.objects.filter({ pk__gte: 5, pk__lte: 9 }).count()).toBe(5);
    expect(await Artist.objects.filter({ pk__exact: 4 }).count()).toBe(1);
  });

  test("isnull, and filter({ f: null }) means IS NULL", async () => {
    const nulls = rows.filter((row) => row.note === null).length;
    expect(await Artist.objects.filter({ note: null }).count()).toBe(nulls);
    expect(await Artist.objects.filter({ note__exact: null }).count()).toBe(nulls);
    expect(await Artist.objects.filter({ note__isnull: true }).count()).toBe(nulls);
    expect(await Artist.objects.filter({ note__isnull: false }).count()).toBe(rows.length - nulls);
    expect(await Artist.objects.exclude({ note: null }).count()).toBe(rows.length - nulls);
    expect(await Artist.objects.filter({ note: "n1" }).count()).toBe(rows.filter((row) => row.note === "n1").length);
  });

  test("several lookups in one filter are AND-ed; Q combines them", async () => {
    expect(await namesWhere({ name__startswith: "A", name__endswith: "h" })).toEqual(names.filter((name) => name.startsWith("A") && name.endsWith("h")));
    expect(await namesWhere(orm.Q.or({ name: "AC/DC" }, { name: "über" }))).toEqual(["AC/DC", "über"]);
    expect(await Artist.objects.filter(orm.Q.not({ note: null })).count()).toBe(await Artist.objects.exclude({ note: null }).count());
  });

  test("an unknown field or operator is an UnknownFieldError listing what exists", async () => {
    const field = await errorOf(() => untyped(Artist).filter({ nmae__icontains: "x" }));
    expect(field).toBeInstanceOf(orm.UnknownFieldError);
    expect(field.message).toContain("nmae");
    expect(field.message).toMatch(/pk, id, name, rank, note/);
    const op = await errorOf(() => untyped(Artist).filter({ name__icontain: "x" }));
    expect(op).toBeInstanceOf(orm.UnknownFieldError);
    expect(op.message).toContain("icontain");
    expect(op.message).toContain("icontains");
    expect(op.message).toContain("isnull");
  });

  test("a lookup value of the wrong shape is a ValidationError naming the field", async () => {
    for (const filter of [{ rank__in: 3 }, { rank__range: [1] }, { rank__isnull: "yes" }, { name__contains: 5 }, { rank__lt: null }, { rank: "1.5" }]) {
      const error = await errorOf(() => untyped(Artist).filter(filter));
      expect(error, JSON.stringify(filter)).toBeInstanceOf(orm.ValidationError);
      expect(error.message).toContain("Artist.");
    }
  });
});
