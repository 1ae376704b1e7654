import { beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf } from "./helpers/fixtures.js";

/** Index names on a table, as the database lists them (primary key and constraint-backing ones aside where the catalog tells). */
async function indexNames(database: orm.Database, table: string): Promise<string[]> {
  const query: Record<orm.DialectName, orm.Sql> = {
    sqlite: orm.sql`SELECT name FROM pragma_index_list(${table}) WHERE origin = 'c'`,
    postgresql: orm.sql`SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass(${table}) AND NOT i.indisprimary`,
    mysql: orm.sql`SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} AND INDEX_NAME <> 'PRIMARY'`,
  };
  const rows = await database.query(query[database.url.dialect]);
  return rows.map((row) => String(row.name)).sort();
}

describeEachDialect("model options", ({ database }) => {
  const Artist = orm.Model.define("Artist", { name: orm.String() }, { database, ordering: ["name"] });
  const Album = orm.Model.define(
    "Album",
    {
      artist: orm.ForeignKey(Artist),
      title: orm.String(),
      year: orm.Integer(),
      price: orm.Decimal({ maxDigits: 6, decimalPlaces: 2, default: "9.99" }),
      copies: orm.Integer({ default: 1 }),
    },
    {
      database,
      constraints: [
        { unique: ["artist", "title"] },
        { check: { price__gte: "0" }, name: "album_price_not_negative" },
        { check: "copies < 1000", name: "album_copies_bounded" },
      ],
      indexes: [{ fields: ["artist", "-year"], name: "album_by_artist_year" }, { fields: ["title"] }],
      ordering: ["-year", "title"],
    },
  );

  beforeAll(() => database.createAll());

  test("the options are in the model's meta as plain data", () => {
    const meta = database.models.find((model) => model.name === "Album")!;
    expect(JSON.parse(JSON.stringify({ constraints: meta.constraints, indexes: meta.indexes, ordering: meta.ordering }))).toEqual({
      constraints: [
        { kind: "unique", name: "album_artist_id_title_uniq", fields: ["artist", "title"] },
        { kind: "check", name: "album_price_not_negative", check: { price__gte: "0" } },
        { kind: "check", name: "album_copies_bounded", check: "copies < 1000" },
      ],
      indexes: [
        { name: "album_by_artist_year", fields: ["artist", "-year"], unique: false },
        { name: "album_title_idx", fields: ["title"], unique: false },
      ],
      ordering: ["-year", "title"],
    });
  });

  test("createAll makes the named indexes", async () => {
    expect(await indexNames(database, "album")).toEqual(expect.arrayContaining(["album_by_artist_year", "album_title_idx"]));
  });

  test("a composite unique constraint refuses a second row with the same values, allows the same title elsewhere", async () => {
    const [abba, queen] = await Artist.objects.bulkCreate([{ name: "ABBA" }, { name: "Queen" }]);
    await Album.objects.create({ artist: abba!, title: "Gold", year: 1992 });
    await Album.objects.create({ artist: queen!, title: "Gold", year: 1981 });
    const error = await errorOf(() => Album.objects.create({ artist: abba!, title: "Gold", year: 1993 }));
    expect(error).toBeInstanceOf(orm.IntegrityError);
    expect(await Album.objects.filter({ title: "Gold" }).count()).toBe(2);
  });

  test("check constraints, as a lookup object and as SQL, refuse rows that break them", async () => {
    const artist = await Artist.objects.create({ name: "Check" });
    const negative = await errorOf(() => Album.objects.filter({ title: "Gold" }).update({ price: "-1.00" }));
    expect(negative).toBeInstanceOf(orm.IntegrityError);
    const tooMany = await errorOf(() => Album.objects.create({ artist, title: "Many", year: 2000, copies: 5000 }));
    expect(tooMany).toBeInstanceOf(orm.IntegrityError);
    expect(await Album.objects.filter({ title: "Many" }).exists()).toBe(false);
  });

  test("ordering is the default order of every QuerySet, the reverse relation's and prefetchRelated's too", async () => {
    const artist = await Artist.objects.create({ name: "Beatles" });
    await Album.objects.bulkCreate([
      { artist, title: "Help!", year: 1965 },
      { artist, title: "Abbey Road", year: 1969 },
      { artist, title: "Rubber Soul", year: 1965 },
    ]);
    const titles = (albums: { title: string }[]) => albums.map((album) => album.title);
    expect(titles(await Album.objects.filter({ artist }))).toEqual(["Abbey Road", "Help!", "Rubber Soul"]);
    const albumsOf = (owner: object) => (owner as { albums?: orm.QuerySet<{ title: string }> }).albums!;
    expect(titles(await albumsOf(artist).all())).toEqual(["Abbey Road", "Help!", "Rubber Soul"]);
    const [prefetched] = await Artist.objects.filter({ pk: artist.pk }).prefetchRelated("albums" as never);
    expect(titles(await albumsOf(prefetched!).all())).toEqual(["Abbey Road", "Help!", "Rubber Soul"]);
    expect((await Album.objects.filter({ artist }).first())!.title).toBe("Abbey Road");
    expect((await Album.objects.filter({ artist }).last())!.title).toBe("Rubber Soul");
    // orderBy() replaces it; get() and count() need none.
    expect(titles(await Album.objects.filter({ artist }).orderBy("title"))).toEqual(["Abbey Road", "Help!", "Rubber Soul"]);
    expect(titles(await Album.objects.filter({ artist }).orderBy("year", "-title"))).toEqual(["Rubber Soul", "Help!", "Abbey Road"]);
    expect((await Album.objects.get({ artist, year: 1969 })).title).toBe("Abbey Road");
    expect(await Album.objects.filter({ artist }).count()).toBe(3);
    expect((await Artist.objects.all()).map((row) => row.name)).toEqual([...(await Artist.objects.all()).map((row) => row.name)].sort());
  });

  test("values() grouped by annotate() drops the default ordering (it names columns not grouped)", async () => {
    const rows = await Album.objects.values("year").annotate({ n: orm.Count("id") }).orderBy("year");
    expect(rows.find((row) => row.year === 1965)).toEqual({ year: 1965, n: 2 });
    const unordered = await Album.objects.values("year").annotate({ n: orm.Count("id") });
    expect(unordered.length).toBe(rows.length);
  });
});

describe("model options are checked at define", () => {
  const database = new orm.Database("sqlite::memory:");
  const fields = () => ({ a: orm.String(), b: orm.Integer() });

  test("unknown fields in constraints, indexes and ordering are refused, naming the field", async () => {
    const unique = await errorOf(() => orm.Model.define("U1", fields(), { database, constraints: [{ unique: ["a", "c" as "a"] }] }));
    expect(unique).toBeInstanceOf(TypeError);
    expect(unique.message).toMatch(/field "c"/);
    const index = await errorOf(() => orm.Model.define("U2", fields(), { database, indexes: [{ fields: ["-z" as "a"] }] }));
    expect(index.message).toMatch(/field "z"/);
    const check = await errorOf(() => orm.Model.define("U3", fields(), { database, constraints: [{ check: "b > 0" } as never] }));
    expect(check.message).toMatch(/needs a name/);
    const constraint = await errorOf(() => orm.Model.define("U4", fields(), { database, constraints: [{ unique: ["a"], nmae: "x" } as never] }));
    expect(constraint.message).toMatch(/"nmae"; did you mean "name"/);
  });

  test("an ordering naming no field fails when first queried, as orderBy() would", async () => {
    const Odd = orm.Model.define("Odd", fields(), { database, ordering: ["-nope" as "a"] });
    const error = await errorOf(() => Odd.objects.all());
    expect(error).toBeInstanceOf(orm.UnknownFieldError);
  });
});
