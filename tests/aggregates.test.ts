import { beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { chinook, errorOf, expectRefusedBeforeSql } from "./helpers/fixtures.js";

describeEachDialect("aggregates", (target) => {
  const { database, dialect } = target;

  const Artist = orm.Model.define("Artist", { name: orm.String({ maxLength: 120 }) }, { database });
  const Genre = orm.Model.define("Genre", { name: orm.String({ maxLength: 120 }) }, { database });
  const Album = orm.Model.define("Album", { title: orm.String({ maxLength: 160 }), artist: orm.ForeignKey(Artist) }, { database });
  const Track = orm.Model.define(
    "Track",
    {
      name: orm.String({ maxLength: 200 }),
      album: orm.ForeignKey(Album),
      genre: orm.ForeignKey(Genre, { allowNull: true, onDelete: "SET NULL" }),
      milliseconds: orm.Integer(),
      bytes: orm.Integer(),
      unitPrice: orm.Decimal({ maxDigits: 10, decimalPlaces: 2 }),
    },
    { database },
  );
  const Reading = orm.Model.define(
    "Reading",
    { value: orm.Integer(), amount: orm.Decimal({ maxDigits: 8, decimalPlaces: 3 }), big: orm.BigInteger({ default: 0n }), ratio: orm.Float({ default: 0 }) },
    { database },
  );
  const Ledger = orm.Model.define("Ledger", { amount: orm.Decimal({ maxDigits: 30, decimalPlaces: 2 }) }, { database });

  const artists = chinook("Artist");
  const albums = chinook("Album");
  const tracks = chinook("Track");
  const genres = chinook("Genre");
  const EMPTY_ALBUM = 10_000;
  const cents = (value: unknown) => Math.round(Number(value) * 100);
  const money = (total: number) => `${Math.trunc(total / 100)}.${String(total % 100).padStart(2, "0")}`;
  const tracksOf = (albumId: number) => tracks.filter((row) => row.AlbumId === albumId);

  beforeAll(async () => {
    await database.createAll();
    await Artist.objects.bulkCreate(artists.map((row) => ({ id: row.ArtistId as number, name: row.Name as string })));
    await Genre.objects.bulkCreate(genres.map((row) => ({ id: row.GenreId as number, name: row.Name as string })));
    await Album.objects.bulkCreate([
      ...albums.map((row) => ({ id: row.AlbumId as number, title: row.Title as string, artist: row.ArtistId as number })),
      { id: EMPTY_ALBUM, title: "Silence", artist: 1 },
    ]);
    await Track.objects.bulkCreate(
      tracks.map((row) => ({
        id: row.TrackId as number,
        name: row.Name as string,
        album: row.AlbumId as number,
        genre: row.GenreId as number | null,
        milliseconds: row.Milliseconds as number,
        bytes: row.Bytes as number,
        unitPrice: String(row.UnitPrice),
      })),
    );
  }, 120_000);

  describe("aggregate()", () => {
    test("Count, Sum, Avg, Min, Max over every row, each as its JS type", async () => {
      const result = await Track.objects.aggregate({
        n: orm.Count("id"),
        rows: orm.Count(),
        total: orm.Sum("milliseconds"),
        bytes: orm.Sum("bytes"),
        price: orm.Sum<string>("unitPrice"),
        mean: orm.Avg("milliseconds"),
        shortest: orm.Min("milliseconds"),
        dearest: orm.Max<string>("unitPrice"),
      });
      const lengths = tracks.map((row) => row.Milliseconds as number);
      expect(result.n).toBe(tracks.length);
      expect(result.rows).toBe(tracks.length);
      expect(result.total).toBe(lengths.reduce((a, b) => a + b, 0));
      // Sums beyond 2^31 still come back as exact numbers (PostgreSQL widens SUM(int) to bigint).
      expect(result.bytes).toBe(tracks.reduce((sum, row) => sum + (row.Bytes as number), 0));
      expect(result.bytes).toBeGreaterThan(2 ** 31);
      expect(result.price).toBe(money(tracks.reduce((sum, row) => sum + cents(row.UnitPrice), 0)));
      expect(result.mean).toBeCloseTo(lengths.reduce((a, b) => a + b, 0) / lengths.length, 3);
      expect(result.shortest).toBe(Math.min(...lengths));
      expect(result.dearest).toBe("1.99");
      expect(typeof result.n).toBe("number");
      expect(typeof result.total).toBe("number");
      expect(typeof result.price).toBe("string");
    });

    test("{ distinct: true } counts distinct values; forward relation paths join", async () => {
      const result = await Track.objects.aggregate({
        genres: orm.Count("genre", { distinct: true }),
        artists: orm.Count("album__artist", { distinct: true }),
        prices: orm.Count("unitPrice", { distinct: true }),
        withGenre: orm.Count("genre"),
      });
      expect(result.genres).toBe(new Set(tracks.map((row) => row.GenreId).filter((id) => id !== null)).size);
      expect(result.artists).toBe(new Set(tracks.map((row) => albums.find((album) => album.AlbumId === row.AlbumId)!.ArtistId)).size);
      expect(result.prices).toBe(new Set(tracks.map((row) => cents(row.UnitPrice))).size);
      expect(result.withGenre).toBe(tracks.filter((row) => row.GenreId !== null).length);
    });

    test("filters (across relations) narrow the rows; limit and offset slice them first", async () => {
      const acdc = artists.find((row) => row.Name === "AC/DC")!.ArtistId;
      const acdcTracks = tracks.filter((row) => albums.find((album) => album.AlbumId === row.AlbumId)!.ArtistId === acdc);
      const filtered = await Track.objects.filter({ album__artist__name: "AC/DC" }).aggregate({ n: orm.Count("id"), ms: orm.Sum("milliseconds") });
      expect(filtered).toEqual({ n: acdcTracks.length, ms: acdcTracks.reduce((sum, row) => sum + (row.Milliseconds as number), 0) });

      const firstTen = tracks.slice().sort((a, b) => (a.TrackId as number) - (b.TrackId as number)).slice(5, 15);
      const sliced = await Track.objects.orderBy("id").offset(5).limit(10).aggregate({ n: orm.Count("id"), ms: orm.Sum("milliseconds") });
      expect(sliced).toEqual({ n: 10, ms: firstTen.reduce((sum, row) => sum + (row.Milliseconds as number), 0) });
    });

    test("over no rows: Count is 0, Sum/Avg/Min/Max are null", async () => {
      const empty = await Reading.objects.aggregate({
        n: orm.Count("id"),
        sum: orm.Sum("value"),
        amount: orm.Sum<string>("amount"),
        mean: orm.Avg("value"),
        low: orm.Min("value"),
        high: orm.Max("amount"),
        big: orm.Sum<bigint>("big"),
      });
      expect(empty).toEqual({ n: 0, sum: null, amount: null, mean: null, low: null, high: null, big: null });
      expect(await Track.objects.filter({ name: "no such track" }).aggregate({ n: orm.Count("id"), s: orm.Sum("bytes") })).toEqual({ n: 0, s: null });
    });

    test("Decimal sums are exact strings with decimalPlaces digits; BigInteger sums are bigints; Float sums numbers", async () => {
      await Reading.objects.bulkCreate([
        { value: 1, amount: "0.1", big: 9_007_199_254_740_993n, ratio: 0.5 },
        { value: 2, amount: "0.2", big: 1n, ratio: 0.25 },
        { value: 4, amount: "-1.005", big: 0n, ratio: 0.25 },
      ]);
      try {
        const result = await Reading.objects.aggregate({
          amount: orm.Sum<string>("amount"),
          big: orm.Sum<bigint>("big"),
          ratio: orm.Sum("ratio"),
          mean: orm.Avg("value"),
          distinctMean: orm.Avg("ratio", { distinct: true }),
          low: orm.Min<string>("amount"),
          topBig: orm.Max<bigint>("big"),
        });
        expect(result.amount).toBe("-0.705");
        expect(result.big).toBe(9_007_199_254_740_994n);
        expect(result.ratio).toBe(1);
        expect(result.mean).toBeCloseTo(7 / 3, 10);
        expect(result.distinctMean).toBe(0.375);
        expect(result.low).toBe("-1.005");
        expect(result.topBig).toBe(9_007_199_254_740_993n);
      } finally {
        await Reading.objects.delete();
      }
    });

    test("a Decimal wider than 15 digits sums in SQL on PostgreSQL and MariaDB; SQLite refuses before any SQL", async () => {
      await Ledger.objects.bulkCreate([{ amount: "12345678901234567890.25" }, { amount: "0.75" }]);
      if (dialect === "sqlite") {
        const error = await expectRefusedBeforeSql(target, () => Ledger.objects.aggregate({ total: orm.Sum("amount") }), orm.ValidationError);
        expect(error.message).toMatch(/Ledger.*amount.*maxDigits 30/);
        // Min and Max compare, which the order-preserving text allows.
        expect(await Ledger.objects.aggregate({ top: orm.Max("amount") })).toEqual({ top: "12345678901234567890.25" });
      } else {
        expect(await Ledger.objects.aggregate({ total: orm.Sum<string>("amount"), top: orm.Max("amount") })).toEqual({
          total: "12345678901234567891.00",
          top: "12345678901234567890.25",
        });
      }
    });

    test("an unknown field, an unknown path, a non-number Sum: refused before any SQL", async () => {
      const unknown = await expectRefusedBeforeSql(target, () => Track.objects.aggregate({ s: orm.Sum("nope") }), orm.UnknownFieldError);
      expect(unknown.message).toContain('"nope"');
      expect(unknown.message).toContain("milliseconds");
      const path = await expectRefusedBeforeSql(target, () => Track.objects.aggregate({ n: orm.Count("album__nope") }), orm.UnknownFieldError);
      expect(path.message).toMatch(/Album has no field or relation "nope" \(in "album__nope"\)/);
      await expectRefusedBeforeSql(target, () => Track.objects.aggregate({ s: orm.Sum("name") }), orm.ValidationError);
      await expectRefusedBeforeSql(target, () => Track.objects.aggregate({}), orm.ValidationError);
      expect(() => Album.objects.annotate({ n: orm.Count("trackz") })).toThrow(orm.UnknownFieldError);
    });
  });

  describe("annotate()", () => {
    test("Count over a reverse relation: one row per album, 0 for an album without tracks", async () => {
      const annotated = await Album.objects.annotate({ n: orm.Count("tracks") }).orderBy("id");
      expect(annotated).toHaveLength(albums.length + 1);
      for (const album of annotated) expect(album.n).toBe(tracksOf(album.id).length);
      expect(annotated.at(-1)!.n).toBe(0);
      // The instances are ordinary ones: fields, relations, save().
      expect(annotated[0]!.title).toBe(albums[0]!.Title);
      expect(annotated[0]!.artist.pk).toBe(albums[0]!.ArtistId);
      expect(await Album.objects.annotate({ n: orm.Count("tracks") }).count()).toBe(albums.length + 1);
    });

    test("several aggregates, ordering by one, filters and limits", async () => {
      const top = await Album.objects
        .filter({ artist__name__startswith: "A" })
        .annotate({ n: orm.Count("tracks"), length: orm.Sum("tracks__milliseconds"), longest: orm.Max("tracks__milliseconds") })
        .orderBy("-n", "id")
        .limit(3);
      const expected = albums
        .filter((album) => (artists.find((artist) => artist.ArtistId === album.ArtistId)!.Name as string).startsWith("A"))
        .map((album) => ({ id: album.AlbumId as number, rows: tracksOf(album.AlbumId as number) }))
        .sort((a, b) => b.rows.length - a.rows.length || a.id - b.id)
        .slice(0, 3);
      expect(top.map((album) => album.id)).toEqual(expected.map((album) => album.id));
      top.forEach((album, index) => {
        const rows = expected[index]!.rows;
        expect(album.n).toBe(rows.length);
        expect(album.length).toBe(rows.reduce((sum, row) => sum + (row.Milliseconds as number), 0));
        expect(album.longest).toBe(Math.max(...rows.map((row) => row.Milliseconds as number)));
      });
      const empty = await Album.objects.filter({ id: EMPTY_ALBUM }).annotate({ length: orm.Sum("tracks__milliseconds") }).get();
      expect(empty.length).toBeNull();
    });

    test("across two reverse hops, with distinct counts", async () => {
      const acdc = await Artist.objects
        .filter({ name: "AC/DC" })
        .annotate({ albumCount: orm.Count("albums", { distinct: true }), trackCount: orm.Count("albums__tracks") })
        .get();
      // The fixture's albums and the empty one (also AC/DC's), which counts as an album with no tracks.
      const own = [...albums, { AlbumId: EMPTY_ALBUM, ArtistId: 1 }].filter((album) => album.ArtistId === acdc.id);
      expect(own.length).toBe(3);
      expect(acdc.albumCount).toBe(own.length);
      expect(acdc.trackCount).toBe(own.reduce((sum, album) => sum + tracksOf(album.AlbumId as number).length, 0));
    });

    test("annotate() then values(): the annotation is a column like the fields", async () => {
      const rows = await Album.objects.annotate({ n: orm.Count("tracks") }).filter({ id__in: [1, 2, EMPTY_ALBUM] }).orderBy("id").values("title", "n");
      expect(rows).toEqual([
        { title: albums[0]!.Title, n: tracksOf(1).length },
        { title: albums[1]!.Title, n: tracksOf(2).length },
        { title: "Silence", n: 0 },
      ]);
    });

    test("values() then annotate(): one row per distinct value (GROUP BY those columns)", async () => {
      const perGenre = await Track.objects.values("genre").annotate({ n: orm.Count("id"), ms: orm.Sum("milliseconds") }).orderBy("genre");
      const expected = new Map<number, { n: number; ms: number }>();
      for (const row of tracks) {
        const entry = expected.get(row.GenreId as number) ?? { n: 0, ms: 0 };
        entry.n++;
        entry.ms += row.Milliseconds as number;
        expected.set(row.GenreId as number, entry);
      }
      expect(perGenre).toEqual([...expected.entries()].sort(([a], [b]) => a - b).map(([genre, entry]) => ({ genre, ...entry })));
      expect(await Track.objects.values("genre").annotate({ n: orm.Count("id") }).count()).toBe(expected.size);
    });

    test("a name that is a field, a relation, a method or has __ is refused", async () => {
      for (const name of ["title", "tracks", "save", "pk", "then", "a__b"]) {
        const error = await errorOf(() => Album.objects.annotate({ [name]: orm.Count("tracks") }));
        expect(error).toBeInstanceOf(orm.ValidationError);
        expect(error.message).toContain(`"${name}"`);
      }
    });
  });
});
