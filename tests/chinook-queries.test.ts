import { beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { chinook, expectRefusedBeforeSql } from "./helpers/fixtures.js";

/** Invoice dates in the data are all midnight: each gets a time of day from its id, so hours and days differ. */
function invoiceDate(row: Record<string, unknown>): Date {
  const midnight = new Date(`${String(row.InvoiceDate).slice(0, 10)}T00:00:00.000Z`);
  return new Date(midnight.getTime() + (((row.InvoiceId as number) * 97) % 1440) * 60_000 + (row.InvoiceId as number) % 1000);
}

/** How many times each key occurs. */
function countBy<K>(rows: readonly Record<string, unknown>[], key: (row: Record<string, unknown>) => K): Map<K, number> {
  const counts = new Map<K, number>();
  for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  return counts;
}

describeEachDialect("queries over Chinook", (target) => {
  const { database } = target;
  // The Chinook music store as quarry models (playlists ↔ tracks through an explicit PlaylistTrack model).
  class Artist extends orm.Model.define("Artist", { name: orm.String({ maxLength: 120 }) }, { database }) {
    declare static objects: orm.Manager<Artist>;
    declare albums: orm.RelatedManager<Album>;
  }
  const Genre = orm.Model.define("Genre", { name: orm.String({ maxLength: 120 }) }, { database });
  class Album extends orm.Model.define("Album", { title: orm.String({ maxLength: 160 }), artist: orm.ForeignKey(Artist) }, { database }) {
    declare static objects: orm.Manager<Album>;
    declare tracks: orm.RelatedManager<Track>;
  }
  class Track extends orm.Model.define(
    "Track",
    {
      name: orm.String({ maxLength: 200 }),
      album: orm.ForeignKey(Album),
      genre: orm.ForeignKey(Genre, { allowNull: true, onDelete: "SET NULL" }),
      composer: orm.String({ maxLength: 220, allowNull: true }),
      milliseconds: orm.Integer(),
      unitPrice: orm.Decimal({ maxDigits: 10, decimalPlaces: 2 }),
    },
    { database },
  ) {
    declare static objects: orm.Manager<Track>;
    declare invoiceLines: orm.RelatedManager<InvoiceLine>;
    declare playlistTracks: orm.RelatedManager<PlaylistTrack>;
  }
  class Customer extends orm.Model.define(
    "Customer",
    {
      firstName: orm.String({ maxLength: 40 }),
      lastName: orm.String({ maxLength: 20 }),
      company: orm.String({ maxLength: 80, allowNull: true }),
      country: orm.String({ maxLength: 40 }),
      email: orm.String({ maxLength: 60 }),
    },
    { database },
  ) {
    declare static objects: orm.Manager<Customer>;
    declare invoices: orm.RelatedManager<Invoice>;
  }
  class Invoice extends orm.Model.define(
    "Invoice",
    { customer: orm.ForeignKey(Customer), date: orm.DateTime(), billingCountry: orm.String({ maxLength: 40 }), total: orm.Decimal({ maxDigits: 10, decimalPlaces: 2 }) },
    { database },
  ) {
    declare static objects: orm.Manager<Invoice>;
    declare invoiceLines: orm.RelatedManager<InvoiceLine>;
  }
  class InvoiceLine extends orm.Model.define(
    "InvoiceLine",
    { invoice: orm.ForeignKey(Invoice), track: orm.ForeignKey(Track), unitPrice: orm.Decimal({ maxDigits: 10, decimalPlaces: 2 }), quantity: orm.Integer() },
    { database },
  ) {
    declare static objects: orm.Manager<InvoiceLine>;
  }
  class Playlist extends orm.Model.define("Playlist", { name: orm.String({ maxLength: 120 }) }, { database }) {
    declare static objects: orm.Manager<Playlist>;
    declare playlistTracks: orm.RelatedManager<PlaylistTrack>;
  }
  class PlaylistTrack extends orm.Model.define("PlaylistTrack", { playlist: orm.ForeignKey(Playlist), track: orm.ForeignKey(Track) }, { database }) {
    declare static objects: orm.Manager<PlaylistTrack>;
  }

  const data = {
    artists: chinook("Artist"),
    genres: chinook("Genre"),
    albums: chinook("Album"),
    tracks: chinook("Track"),
    customers: chinook("Customer"),
    invoices: chinook("Invoice"),
    invoiceLines: chinook("InvoiceLine"),
    playlists: chinook("Playlist"),
    playlistTracks: chinook("PlaylistTrack"),
  };

  async function load(): Promise<void> {
    await database.createAll();
    await Artist.objects.bulkCreate(data.artists.map((row) => ({ id: row.ArtistId as number, name: row.Name as string })));
    await Genre.objects.bulkCreate(data.genres.map((row) => ({ id: row.GenreId as number, name: row.Name as string })));
    await Album.objects.bulkCreate(data.albums.map((row) => ({ id: row.AlbumId as number, title: row.Title as string, artist: row.ArtistId as number })));
    await Track.objects.bulkCreate(
      data.tracks.map((row) => ({
        id: row.TrackId as number,
        name: row.Name as string,
        album: row.AlbumId as number,
        genre: row.GenreId as number | null,
        composer: row.Composer as string | null,
        milliseconds: row.Milliseconds as number,
        unitPrice: String(row.UnitPrice),
      })),
    );
    await Customer.objects.bulkCreate(
      data.customers.map((row) => ({
        id: row.CustomerId as number,
        firstName: row.FirstName as string,
        lastName: row.LastName as string,
        company: row.Company as string | null,
        country: row.Country as string,
        email: row.Email as string,
      })),
    );
    await Invoice.objects.bulkCreate(
      data.invoices.map((row) => ({
        id: row.InvoiceId as number,
        customer: row.CustomerId as number,
        date: invoiceDate(row),
        billingCountry: row.BillingCountry as string,
        total: (row.Total as number).toFixed(2),
      })),
    );
    await InvoiceLine.objects.bulkCreate(
      data.invoiceLines.map((row) => ({
        id: row.InvoiceLineId as number,
        invoice: row.InvoiceId as number,
        track: row.TrackId as number,
        unitPrice: String(row.UnitPrice),
        quantity: row.Quantity as number,
      })),
    );
    await Playlist.objects.bulkCreate(data.playlists.map((row) => ({ id: row.PlaylistId as number, name: row.Name as string })));
    await PlaylistTrack.objects.bulkCreate(data.playlistTracks.map((row) => ({ playlist: row.PlaylistId as number, track: row.TrackId as number })));
  }

  const tracksPerAlbum = countBy(data.tracks, (row) => row.AlbumId as number);
  const albumIds = data.albums.map((row) => row.AlbumId as number).sort((a, b) => a - b);

  beforeAll(load, 180_000);

  describe("conditions across a reverse relation", () => {
    // Latin tracks over 400 s: one album has a Latin track and a long track that are not the same track.
    const latinAndLong = (row: Record<string, unknown>) => row.GenreId === 7 && (row.Milliseconds as number) > 400_000;
    const tracksOf = (album: unknown) => data.tracks.filter((row) => row.AlbumId === album);
    const albumsOf = (artist: unknown) => data.albums.filter((row) => row.ArtistId === artist);

    test("in one filter() they hold for one related row together; chained filter() calls may match different rows", async () => {
      const together = albumIds.filter((id) => tracksOf(id).some(latinAndLong));
      const apart = albumIds.filter((id) => tracksOf(id).some((row) => row.GenreId === 7) && tracksOf(id).some((row) => (row.Milliseconds as number) > 400_000));
      expect(together.length).toBeGreaterThan(0);
      expect(apart.length).toBeGreaterThan(together.length);
      const ids = (query: orm.QuerySet<Album>) => query.orderBy("id").valuesList("id", { flat: true });
      expect(await ids(Album.objects.filter({ tracks__genre: 7, tracks__milliseconds__gt: 400_000 }))).toEqual(together);
      expect(await ids(Album.objects.filter({ tracks__genre: 7 }).filter({ tracks__milliseconds__gt: 400_000 }))).toEqual(apart);
      expect(await ids(Album.objects.exclude({ tracks__genre: 7, tracks__milliseconds__gt: 400_000 }))).toEqual(albumIds.filter((id) => !together.includes(id)));
      expect(await Album.objects.filter({ tracks__genre: 7, tracks__milliseconds__gt: 400_000 }).count()).toBe(together.length);
    });

    test("two relations deep: one album and one track of it meet the conditions of one filter()", async () => {
      const artistIds = data.artists.map((row) => row.ArtistId as number).sort((a, b) => a - b);
      const oneTrack = artistIds.filter((id) => albumsOf(id).some((album) => tracksOf(album.AlbumId).some(latinAndLong)));
      const anyTracks = artistIds.filter(
        (id) => albumsOf(id).some((album) => tracksOf(album.AlbumId).some((row) => row.GenreId === 7)) && albumsOf(id).some((album) => tracksOf(album.AlbumId).some((row) => (row.Milliseconds as number) > 400_000)),
      );
      expect(anyTracks.length).toBeGreaterThan(oneTrack.length);
      const ids = (query: orm.QuerySet<Artist>) => query.orderBy("id").valuesList("id", { flat: true });
      expect(await ids(Artist.objects.filter({ albums__tracks__genre: 7, albums__tracks__milliseconds__gt: 400_000 }))).toEqual(oneTrack);
      expect(await ids(Artist.objects.filter({ albums__tracks__genre: 7 }).filter({ albums__tracks__milliseconds__gt: 400_000 }))).toEqual(anyTracks);
      // The album's own field and its track's, in one filter(): the same album.
      const titled = artistIds.filter((id) => albumsOf(id).some((album) => (album.Title as string).startsWith("A") && tracksOf(album.AlbumId).some((row) => row.GenreId === 7)));
      expect(await ids(Artist.objects.filter({ albums__title__startswith: "A", albums__tracks__genre: 7 }))).toEqual(titled);
    });
  });

  describe("filter on an annotation (HAVING)", () => {
    test("annotate(Count).filter({ n__gte }) keeps the rows whose count passes, as counted in TypeScript", async () => {
      const expected = albumIds.filter((id) => (tracksPerAlbum.get(id) ?? 0) >= 20);
      const found = await Album.objects.annotate({ n: orm.Count("tracks") }).filter({ n__gte: 20 }).orderBy("id").valuesList("id", { flat: true });
      expect(found).toEqual(expected);
      expect(expected.length).toBeGreaterThan(5);
      const rows = await Album.objects.annotate({ n: orm.Count("tracks") }).filter({ n__gte: 20 }).orderBy("id");
      expect(rows.map((album) => [album.pk, album.n])).toEqual(expected.map((id) => [id, tracksPerAlbum.get(id)]));
    });

    test("exclude, Q.or, count() and exists() read the annotation too", async () => {
      const counted = (id: number) => tracksPerAlbum.get(id) ?? 0;
      const annotated = Album.objects.annotate({ n: orm.Count("tracks") });
      expect(await annotated.exclude({ n__gte: 2 }).orderBy("id").valuesList("id", { flat: true })).toEqual(albumIds.filter((id) => counted(id) < 2));
      const either = annotated.filter(orm.Q.or({ n__gte: 30 }, { title__startswith: "Greatest" }));
      expect(await either.orderBy("id").valuesList("id", { flat: true })).toEqual(
        albumIds.filter((id) => counted(id) >= 30 || (data.albums.find((row) => row.AlbumId === id)!.Title as string).startsWith("Greatest")),
      );
      expect(await annotated.filter({ n__gte: 20 }).count()).toBe(albumIds.filter((id) => counted(id) >= 20).length);
      expect(await annotated.filter({ n__gte: 1000 }).exists()).toBe(false);
      expect(await annotated.filter({ n__range: [25, 30] }).exists()).toBe(true);
    });

    test("orm.Q(...) called as Django calls it is Q.and, in a filter and in a conditional aggregate", async () => {
      const long = (row: Record<string, unknown>) => (row.Milliseconds as number) > 300_000;
      const longRock = data.tracks.filter((row) => row.GenreId === 1 && long(row)).length;
      const condition = orm.Q({ genre: 1 }, { milliseconds__gt: 300_000 });
      expect(condition).toBeInstanceOf(orm.Q);
      expect(new orm.Q({ genre: 1 })).toBeInstanceOf(orm.Q);
      expect({ genre: 1 }).not.toBeInstanceOf(orm.Q);
      expect(await Track.objects.filter(condition).count()).toBe(longRock);
      expect(await Track.objects.exclude(orm.Q({ genre: 1 }, { milliseconds__gt: 300_000 })).count()).toBe(data.tracks.length - longRock);
      const perAlbum = await Album.objects.annotate({ n: orm.Count("tracks", { filter: orm.Q({ tracks__genre: 1 }, { tracks__milliseconds__gt: 300_000 }) }) }).filter({ n__gt: 0 });
      const expected = countBy(data.tracks.filter((row) => row.GenreId === 1 && long(row)), (row) => row.AlbumId as number);
      expect(new Map(perAlbum.map((album) => [album.pk, album.n]))).toEqual(expected);
    });

    test("values().annotate() groups, and a filter on the group's aggregate is a HAVING", async () => {
      const perGenre = countBy(data.tracks, (row) => row.GenreId as number);
      const expected = [...perGenre].filter(([, n]) => n >= 100).sort(([a], [b]) => a - b).map(([genre, n]) => ({ genre, n }));
      const query = Track.objects.values("genre").annotate({ n: orm.Count("id") }).filter({ n__gte: 100 }).orderBy("genre");
      const statements = await target.statementsDuring(async () => expect(await query).toEqual(expected));
      expect(statements.map((event) => event.sql).join("\n")).toMatch(/ HAVING /);
      expect(await query.count()).toBe(expected.length);
    });

    test("one filter() on the aggregate and on a grouped column: HAVING for the one, WHERE for the other", async () => {
      const genreName = new Map(data.genres.map((row) => [row.GenreId as number, row.Name as string]));
      const perGenre = countBy(data.tracks, (row) => row.GenreId as number);
      const expected = [...perGenre].filter(([genre, n]) => n >= 20 && genreName.get(genre)!.startsWith("R")).sort(([a], [b]) => a - b).map(([genre, n]) => ({ genre, n }));
      expect(expected.length).toBeGreaterThan(1);
      const grouped = Track.objects.values("genre").annotate({ n: orm.Count("id") });
      expect(await grouped.filter({ genre__name__startswith: "R", n__gte: 20 }).orderBy("genre")).toEqual(expected);
      expect(await grouped.filter({ n__gte: 20 }, { genre__name__startswith: "R" }).orderBy("genre")).toEqual(expected);
      expect(await grouped.filter({ genre__name__startswith: "R", n__gte: 20 }, { genre__gte: 1 }).orderBy("genre")).toEqual(expected);
    });

    test("a name annotate() did not add is still an unknown field, before any SQL", async () => {
      const annotated = Album.objects.annotate({ n: orm.Count("tracks") });
      expect(() => annotated.filter({ m__gte: 1 } as never)).toThrow(orm.UnknownFieldError);
      expect(() => annotated.filter({ n__near: 1 } as never)).toThrow(/unknown lookup "near"/);
      expect(() => annotated.filter({ n__gte: "many" } as never)).toThrow(orm.ValidationError);
    });
  });

  describe("aggregates on a page (limit/offset)", () => {
    test("annotate(Count) over a slice counts each row's relations without grouping the table", async () => {
      const page = Album.objects.annotate({ n: orm.Count("tracks") }).orderBy("id").offset(10).limit(20);
      let rows: { pk: unknown; n: number }[] = [];
      const statements = await target.statementsDuring(async () => {
        rows = await page;
      });
      expect(rows.map((album) => [album.pk, album.n])).toEqual(albumIds.slice(10, 30).map((id) => [id, tracksPerAlbum.get(id) ?? 0]));
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).not.toMatch(/GROUP BY/);
    });

    test("two counts across different relations do not multiply each other", async () => {
      const lines = countBy(data.invoiceLines, (row) => row.TrackId as number);
      const playlists = countBy(data.playlistTracks, (row) => row.TrackId as number);
      const rows = await Track.objects
        .annotate({ sold: orm.Count("invoiceLines"), listed: orm.Count("playlistTracks") })
        .filter({ album: 1 })
        .orderBy("id")
        .values("id", "sold", "listed");
      const expected = data.tracks
        .filter((row) => row.AlbumId === 1)
        .map((row) => ({ id: row.TrackId, sold: lines.get(row.TrackId as number) ?? 0, listed: playlists.get(row.TrackId as number) ?? 0 }));
      expect(rows).toEqual(expected);
    });

    test("ordering by an annotation ranks the whole table before the page", async () => {
      const top = await Album.objects.annotate({ n: orm.Count("tracks") }).orderBy("-n", "id").limit(3).valuesList("id", "n");
      const expected = [...tracksPerAlbum].sort(([a, x], [b, y]) => y - x || a - b).slice(0, 3);
      expect(top).toEqual(expected);
    });
  });

  describe("conditional aggregates", () => {
    test("Count(relation, { filter }) counts the related rows that match, per row", async () => {
      const long = countBy(
        data.tracks.filter((row) => (row.Milliseconds as number) > 300_000),
        (row) => row.AlbumId as number,
      );
      const rows = await Album.objects
        .annotate({ long: orm.Count("tracks", { filter: { tracks__milliseconds__gt: 300_000 } }), all: orm.Count("tracks") })
        .orderBy("id")
        .limit(40)
        .values("id", "long", "all");
      expect(rows).toEqual(albumIds.slice(0, 40).map((id) => ({ id, long: long.get(id) ?? 0, all: tracksPerAlbum.get(id) ?? 0 })));
    });

    test("a filter may name the queried row's own fields and cross further relations", async () => {
      const genreOf = new Map(data.tracks.map((row) => [row.TrackId as number, row.GenreId as number]));
      const invoiceCustomer = new Map(data.invoices.map((row) => [row.InvoiceId as number, row.CustomerId as number]));
      const rock = countBy(
        data.invoiceLines.filter((row) => genreOf.get(row.TrackId as number) === 1),
        (row) => invoiceCustomer.get(row.InvoiceId as number)!,
      );
      const rows = await Customer.objects
        .annotate({ rock: orm.Count("invoices__invoiceLines", { filter: { invoices__invoiceLines__track__genre: 1 } }) })
        .orderBy("id")
        .values("id", "rock");
      expect(rows).toEqual(data.customers.map((row) => ({ id: row.CustomerId, rock: rock.get(row.CustomerId as number) ?? 0 })));
      const usa = await Customer.objects.annotate({ n: orm.Count("invoices", { filter: { country: "USA" } }) }).filter({ n__gt: 0 }).count();
      expect(usa).toBe(data.customers.filter((row) => row.Country === "USA").length);
    });

    test("aggregate() with a filter counts the matching rows of the whole set", async () => {
      const result = await Track.objects.aggregate({ long: orm.Count("id", { filter: { milliseconds__gt: 300_000 } }), total: orm.Sum("milliseconds", { filter: { genre: 1 } }) });
      expect(result.long).toBe(data.tracks.filter((row) => (row.Milliseconds as number) > 300_000).length);
      expect(result.total).toBe(data.tracks.filter((row) => row.GenreId === 1).reduce((sum, row) => sum + (row.Milliseconds as number), 0));
    });
  });

  describe("arithmetic annotations, and filters on Decimal aggregates", () => {
    const cents = (value: unknown) => Math.round(Number(value) * 100);

    test("annotate({ amount: F(\"unitPrice\").mul(F(\"quantity\")) }): each line's exact amount, and each invoice's sum of them is its total", async () => {
      const lines = await InvoiceLine.objects.annotate({ amount: orm.F("unitPrice").mul(orm.F("quantity")), twice: orm.F("quantity").mul(2).add(1) }).orderBy("id").valuesList("id", "amount", "twice");
      expect(lines).toEqual(
        data.invoiceLines.map((row) => [row.InvoiceLineId, ((row.UnitPrice as number) * (row.Quantity as number)).toFixed(2), (row.Quantity as number) * 2 + 1]),
      );
      const perInvoice = await InvoiceLine.objects.values("invoice").annotate({ sum: orm.Sum("unitPrice") }).filter({ invoice__lte: 5 }).orderBy("invoice");
      const totals = new Map(data.invoices.map((row) => [row.InvoiceId as number, cents(row.Total)]));
      for (const { invoice, sum } of perInvoice) expect(cents(sum)).toBe(totals.get(invoice as number));
      const dearest = await InvoiceLine.objects.annotate({ amount: orm.F("unitPrice").mul(orm.F("quantity")) }).filter({ amount__gte: "1.99" }).count();
      expect(dearest).toBe(data.invoiceLines.filter((row) => cents(row.UnitPrice) * (row.Quantity as number) >= 199).length);
      expect(() => Track.objects.annotate({ odd: orm.F("name").add(1) })).toThrow(orm.ValidationError);
    });

    test("a filter on a Decimal aggregate (HAVING) compares numbers on every database: customers who spent over 40", async () => {
      const spent = new Map<number, number>();
      for (const row of data.invoices) spent.set(row.CustomerId as number, (spent.get(row.CustomerId as number) ?? 0) + cents(row.Total));
      const expected = [...spent].filter(([, total]) => total > 4000).map(([id]) => id).sort((a, b) => a - b);
      expect(expected.length).toBeGreaterThan(3);
      expect(await Customer.objects.annotate({ spent: orm.Sum<string>("invoices__total") }).filter({ spent__gt: "40.00" }).orderBy("id").valuesList("id", { flat: true })).toEqual(expected);
      const grouped = await Invoice.objects.values("customer").annotate({ spent: orm.Sum<string>("total") }).filter({ spent__gt: "40.00" }).orderBy("customer").valuesList("customer", { flat: true });
      expect(grouped).toEqual(expected);
      const topPrice = Math.max(...data.tracks.map((row) => cents(row.UnitPrice)));
      expect(await Album.objects.annotate({ top: orm.Max<string>("tracks__unitPrice") }).filter({ top__gte: (topPrice / 100).toFixed(2) }).count()).toBeGreaterThan(0);
    });
  });

  describe("aggregate() of annotations", () => {
    const tracksPerAlbum = countBy(data.tracks, (row) => row.AlbumId as number);
    const counts = data.albums.map((row) => tracksPerAlbum.get(row.AlbumId as number) ?? 0);

    test("an aggregate of what annotate() computed per row reads the annotated rows as a table", async () => {
      const result = await Album.objects.annotate({ n: orm.Count("tracks") }).aggregate({ most: orm.Max("n"), total: orm.Sum("n"), mean: orm.Avg("n"), albums: orm.Count(), distinctCounts: orm.Count("n", { distinct: true }) });
      expect(result).toEqual({
        most: Math.max(...counts),
        total: data.tracks.length,
        mean: expect.closeTo(data.tracks.length / data.albums.length, 9),
        albums: data.albums.length,
        distinctCounts: new Set(counts).size,
      });
      // With a HAVING, a slice and a field of the model beside the annotation.
      const big = await Album.objects.annotate({ n: orm.Count("tracks") }).filter({ n__gte: 20 }).aggregate({ albums: orm.Count(), tracks: orm.Sum("n"), lastId: orm.Max("id") });
      const bigIds = data.albums.filter((row) => (tracksPerAlbum.get(row.AlbumId as number) ?? 0) >= 20).map((row) => row.AlbumId as number);
      expect(big).toEqual({ albums: bigIds.length, tracks: bigIds.reduce((sum, id) => sum + tracksPerAlbum.get(id)!, 0), lastId: Math.max(...bigIds) });
      const topFive = await Album.objects.annotate({ n: orm.Count("tracks") }).orderBy("-n", "id").limit(5).aggregate({ tracks: orm.Sum("n") });
      expect(topFive.tracks).toBe([...counts].sort((a, b) => b - a).slice(0, 5).reduce((sum, n) => sum + n, 0));
      const longest = await Track.objects.annotate({ letters: orm.Length("name") }).aggregate({ most: orm.Max("letters") });
      expect(longest.most).toBe(Math.max(...data.tracks.map((row) => [...(row.Name as string)].length)));
    });

    test("over values() groups: the largest genre, and the genres counted", async () => {
      const perGenre = countBy(data.tracks.filter((row) => row.GenreId !== null), (row) => row.GenreId as number);
      const result = await Track.objects.filter({ genre__isnull: false }).values("genre").annotate({ n: orm.Count("id"), price: orm.Sum("unitPrice") }).aggregate({ most: orm.Max("n"), genres: orm.Count(), dearest: orm.Max("price") });
      const priceOf = new Map<number, number>();
      for (const row of data.tracks) if (row.GenreId !== null) priceOf.set(row.GenreId as number, (priceOf.get(row.GenreId as number) ?? 0) + Math.round((row.UnitPrice as number) * 100));
      expect(result).toEqual({ most: Math.max(...perGenre.values()), genres: perGenre.size, dearest: (Math.max(...priceOf.values()) / 100).toFixed(2) });
    });

    test("what cannot be aggregated over annotated rows is refused before any SQL", async () => {
      const annotated = Album.objects.annotate({ n: orm.Count("tracks"), title2: orm.Upper("title") });
      await expectRefusedBeforeSql(target, () => annotated.aggregate({ s: orm.Sum("n", { filter: { n__gt: 1 } }) }), orm.ValidationError);
      await expectRefusedBeforeSql(target, () => annotated.aggregate({ s: orm.Sum("title2") }), orm.ValidationError);
      await expectRefusedBeforeSql(target, () => annotated.aggregate({ s: orm.Sum("n"), t: orm.Max("nope") }), orm.UnknownFieldError);
    });
  });

  describe("Case and When", () => {
    const band = (ms: number) => (ms < 180_000 ? "short" : ms < 360_000 ? "medium" : "long");

    test("the first When that holds gives the value, the default otherwise", async () => {
      const length = orm.Case(orm.When({ milliseconds__lt: 180_000 }, "short"), orm.When({ milliseconds__lt: 360_000 }, "medium"), { default: "long" });
      const rows = await Track.objects.annotate({ band: length }).filter({ album__in: [1, 2, 3, 4] }).orderBy("id").values("id", "band");
      expect(rows).toEqual(data.tracks.filter((row) => [1, 2, 3, 4].includes(row.AlbumId as number)).map((row) => ({ id: row.TrackId, band: band(row.Milliseconds as number) })));
      const long = await Track.objects.annotate({ band: length }).filter({ band: "long" }).count();
      expect(long).toBe(data.tracks.filter((row) => band(row.Milliseconds as number) === "long").length);
    });

    test("results may be numbers, booleans, columns; no default gives null", async () => {
      const rows = await Track.objects
        .annotate({
          weight: orm.Case(orm.When({ genre: 1 }, 10), orm.When(orm.Q.or({ genre: 3 }, { genre: 4 }), 5), { default: 1 }),
          rock: orm.Case(orm.When({ genre: 1 }, true), { default: false }),
          label: orm.Case(orm.When({ composer: null }, orm.F("name")), { default: orm.F("composer") }),
          maybe: orm.Case(orm.When({ genre: 1 }, "rock")),
        })
        .filter({ id__lte: 60 })
        .orderBy("id")
        .values("id", "weight", "rock", "label", "maybe");
      expect(rows).toEqual(
        data.tracks
          .filter((row) => (row.TrackId as number) <= 60)
          .map((row) => ({
            id: row.TrackId,
            weight: row.GenreId === 1 ? 10 : row.GenreId === 3 || row.GenreId === 4 ? 5 : 1,
            rock: row.GenreId === 1,
            label: row.Composer ?? row.Name,
            maybe: row.GenreId === 1 ? "rock" : null,
          })),
      );
      const sum = await Track.objects.annotate({ weight: orm.Case(orm.When({ genre: 1 }, 2), { default: 0 }) }).filter({ weight__gt: 1 }).count();
      expect(sum).toBe(data.tracks.filter((row) => row.GenreId === 1).length);
    });

    test("grouping and distinct by a Case or a Concat with values in it, ordered by it, on every database", async () => {
      const length = orm.Case(orm.When({ milliseconds__lt: 180_000 }, "short"), orm.When({ milliseconds__lt: 360_000 }, "medium"), { default: "long" });
      const perBand = await Track.objects.annotate({ band: length }).values("band").annotate({ n: orm.Count("id") }).orderBy("band");
      const expected = countBy(data.tracks, (row) => band(row.Milliseconds as number));
      expect(perBand).toEqual((["long", "medium", "short"] as const).map((name) => ({ band: name, n: expected.get(name) })));
      const bands = await Track.objects.annotate({ band: length }).values("band").distinct().orderBy("-band");
      expect(bands).toEqual([{ band: "short" }, { band: "medium" }, { band: "long" }]);
      // A model row ordered by its annotation under distinct(): the key is the selected column.
      const first = await Track.objects.annotate({ band: length }).filter({ album: 1 }).distinct().orderBy("band", "id").limit(1);
      const firstOfAlbum = data.tracks.filter((row) => row.AlbumId === 1).sort((a, b) => band(a.Milliseconds as number).localeCompare(band(b.Milliseconds as number)) || (a.TrackId as number) - (b.TrackId as number))[0]!;
      expect(first.map((track) => track.id)).toEqual([firstOfAlbum.TrackId]);
      const labelled = await Album.objects
        .filter({ id__lte: 3 })
        .annotate({ label: orm.Concat("title", orm.Value(" / "), "artist__name") })
        .values("label")
        .annotate({ trackCount: orm.Count("tracks") })
        .orderBy("label");
      const albums = data.albums.filter((row) => (row.AlbumId as number) <= 3);
      const artistName = (id: unknown) => data.artists.find((row) => row.ArtistId === id)!.Name as string;
      expect(labelled).toEqual(
        albums
          .map((row) => ({ label: `${row.Title as string} / ${artistName(row.ArtistId)}`, trackCount: data.tracks.filter((track) => track.AlbumId === row.AlbumId).length }))
          .sort((a, b) => (a.label < b.label ? -1 : 1)),
      );
    });

    test("Case() without a When, or When() with a bad condition, is refused before any SQL", async () => {
      expect(() => orm.Case({ default: 1 } as never)).toThrow(TypeError);
      expect(() => Track.objects.annotate({ x: orm.Case(orm.When({ nope: 1 } as never, 1)) })).toThrow(orm.UnknownFieldError);
    });
  });

  describe("functions", () => {
    test("Lower, Upper, Length, Concat and Coalesce agree with JavaScript on every customer (accents included)", async () => {
      const rows = await Customer.objects
        .annotate({
          lower: orm.Lower("lastName"),
          upper: orm.Upper("firstName"),
          letters: orm.Length("firstName"),
          full: orm.Concat("firstName", orm.Value(" "), "lastName"),
          employer: orm.Coalesce("company", orm.Value("(none)")),
        })
        .orderBy("id")
        .values("id", "lower", "upper", "letters", "full", "employer");
      expect(rows).toEqual(
        data.customers.map((row) => ({
          id: row.CustomerId,
          lower: (row.LastName as string).toLowerCase(),
          upper: (row.FirstName as string).toUpperCase(),
          letters: [...(row.FirstName as string)].length,
          full: `${row.FirstName} ${row.LastName}`,
          employer: row.Company ?? "(none)",
        })),
      );
      expect(rows.some((row) => /[À-ÿ]/.test(row.upper as string))).toBe(true);
    });

    test("Concat reads a null part as empty; functions filter and order", async () => {
      const rows = await Customer.objects.annotate({ tag: orm.Concat("company", orm.Value("/"), "country") }).orderBy("id").limit(5).valuesList("tag", { flat: true });
      expect(rows).toEqual(data.customers.slice(0, 5).map((row) => `${row.Company ?? ""}/${row.Country}`));
      const long = await Customer.objects.annotate({ letters: orm.Length("lastName") }).filter({ letters__gte: 8 }).orderBy("-letters", "id").valuesList("id", { flat: true });
      const expected = data.customers
        .filter((row) => [...(row.LastName as string)].length >= 8)
        .sort((a, b) => [...(b.LastName as string)].length - [...(a.LastName as string)].length || (a.CustomerId as number) - (b.CustomerId as number))
        .map((row) => row.CustomerId);
      expect(long).toEqual(expected);
      const lowered = await Customer.objects.filter({ email__iexact: "LUISG@EMBRAER.COM.BR" }).annotate({ lower: orm.Lower("email") }).valuesList("lower", { flat: true });
      expect(lowered).toEqual(["luisg@embraer.com.br"]);
    });

    test("Now() is the database's time in UTC, a Date, and compares with DateTime columns", async () => {
      const before = Date.now();
      const [row] = await Invoice.objects.annotate({ now: orm.Now() }).orderBy("id").limit(1);
      expect(row!.now).toBeInstanceOf(Date);
      // Within a day: the point is the time zone, which would be hours off.
      expect(Math.abs(row!.now.getTime() - before)).toBeLessThan(3_600_000);
      expect(await Invoice.objects.filter({ date__lt: orm.Now() }).count()).toBe(data.invoices.length);
      expect(await Invoice.objects.filter({ date__gt: orm.Now() }).count()).toBe(0);
    });

    test("F() as an annotation reads a column across a relation", async () => {
      const rows = await Track.objects.annotate({ albumTitle: orm.F("album__title") }).filter({ id__lte: 3 }).orderBy("id").values("id", "albumTitle");
      const title = (id: unknown) => data.albums.find((row) => row.AlbumId === id)!.Title;
      expect(rows).toEqual(data.tracks.slice(0, 3).map((row) => ({ id: row.TrackId, albumTitle: title(row.AlbumId) })));
    });
  });

  describe("Exists, Subquery, OuterRef", () => {
    const bigSpenders = new Set(data.invoices.filter((row) => (row.Total as number) >= 15).map((row) => row.CustomerId as number));
    const customerIds = data.customers.map((row) => row.CustomerId as number);
    const big = () => Invoice.objects.filter({ customer: orm.OuterRef("pk"), total__gte: "15.00" });

    test("filter(Exists(...)) and exclude(Exists(...)) keep the rows with a matching row, and those without", async () => {
      expect(await Customer.objects.filter(orm.Exists(big())).orderBy("id").valuesList("id", { flat: true })).toEqual(customerIds.filter((id) => bigSpenders.has(id)));
      expect(await Customer.objects.exclude(orm.Exists(big())).orderBy("id").valuesList("id", { flat: true })).toEqual(customerIds.filter((id) => !bigSpenders.has(id)));
      const either = await Customer.objects.filter(orm.Q.or(orm.Exists(big()), { country: "Brazil" })).count();
      expect(either).toBe(data.customers.filter((row) => bigSpenders.has(row.CustomerId as number) || row.Country === "Brazil").length);
    });

    test("an Exists annotation reads as a boolean, and filters", async () => {
      const rows = await Customer.objects.annotate({ spender: orm.Exists(big()) }).orderBy("id").values("id", "spender");
      expect(rows).toEqual(customerIds.map((id) => ({ id, spender: bigSpenders.has(id) })));
      expect(await Customer.objects.annotate({ spender: orm.Exists(big()) }).filter({ spender: true }).count()).toBe(bigSpenders.size);
    });

    test("OuterRef may cross relations of the outer row, and subqueries nest", async () => {
      // Tracks by an artist who has another album with a track longer than ten minutes.
      const artistOf = new Map(data.albums.map((row) => [row.AlbumId as number, row.ArtistId as number]));
      const longArtists = new Set(data.tracks.filter((row) => (row.Milliseconds as number) > 600_000).map((row) => artistOf.get(row.AlbumId as number)));
      const found = await Album.objects
        .filter(orm.Exists(Track.objects.filter({ album__artist: orm.OuterRef("artist"), milliseconds__gt: 600_000 })))
        .orderBy("id")
        .valuesList("id", { flat: true });
      expect(found).toEqual(data.albums.filter((row) => longArtists.has(row.ArtistId as number)).map((row) => row.AlbumId));
      // Customers who bought a track of genre 1 (Rock): EXISTS inside EXISTS.
      const genreOf = new Map(data.tracks.map((row) => [row.TrackId as number, row.GenreId as number]));
      const rockInvoices = new Set(data.invoiceLines.filter((row) => genreOf.get(row.TrackId as number) === 1).map((row) => row.InvoiceId as number));
      const rockCustomers = new Set(data.invoices.filter((row) => rockInvoices.has(row.InvoiceId as number)).map((row) => row.CustomerId as number));
      const nested = orm.Exists(
        Invoice.objects.filter({ customer: orm.OuterRef("pk") }).filter(orm.Exists(InvoiceLine.objects.filter({ invoice: orm.OuterRef("pk"), track__genre: 1 }))),
      );
      expect(await Customer.objects.filter(nested).count()).toBe(rockCustomers.size);
    });

    test("Subquery(qs.values(x).limit(1)) gives each row one value, typed as the column (null for none)", async () => {
      const latest = new Map<number, Date>();
      const largest = new Map<number, string>();
      const dates = new Map(data.invoices.map((row) => [row.InvoiceId as number, invoiceDate(row)]));
      for (const row of data.invoices) {
        const id = row.CustomerId as number;
        const date = dates.get(row.InvoiceId as number)!;
        if (!latest.has(id) || latest.get(id)! < date) latest.set(id, date);
        const total = (row.Total as number).toFixed(2);
        if (!largest.has(id) || Number(largest.get(id)) < Number(total)) largest.set(id, total);
      }
      const rows = await Customer.objects
        .annotate({
          last: orm.Subquery(Invoice.objects.filter({ customer: orm.OuterRef("pk") }).orderBy("-date").values("date").limit(1)),
          top: orm.Subquery(Invoice.objects.filter({ customer: orm.OuterRef("pk") }).orderBy("-total").values("total").limit(1)),
          nothing: orm.Subquery(Invoice.objects.filter({ customer: orm.OuterRef("pk"), total__gt: "1000.00" }).values("id").limit(1)),
        })
        .orderBy("id");
      expect(rows.map((row) => [row.pk, row.last?.toISOString(), row.top, row.nothing])).toEqual(
        customerIds.map((id) => [id, latest.get(id)?.toISOString(), largest.get(id), null]),
      );
    });

    test("a Subquery compared in a filter: each album's shortest tracks", async () => {
      const shortest = new Map<number, number>();
      for (const row of data.tracks) shortest.set(row.AlbumId as number, Math.min(shortest.get(row.AlbumId as number) ?? Infinity, row.Milliseconds as number));
      const found = await Track.objects
        .filter({ milliseconds: orm.Subquery(Track.objects.filter({ album: orm.OuterRef("album") }).orderBy("milliseconds").values("milliseconds").limit(1)) })
        .orderBy("id")
        .valuesList("id", { flat: true });
      expect(found).toEqual(data.tracks.filter((row) => row.Milliseconds === shortest.get(row.AlbumId as number)).map((row) => row.TrackId));
    });

    test("__in takes a Subquery or a QuerySet (its one column, or its keys): IN (SELECT ...)", async () => {
      const rockAlbums = new Set(data.tracks.filter((row) => row.GenreId === 1).map((row) => row.AlbumId as number));
      const rockIds = data.albums.filter((row) => rockAlbums.has(row.AlbumId as number)).map((row) => row.AlbumId);
      const rockTracks = Track.objects.filter({ genre: 1 });
      const statements = await target.statementsDuring(async () => {
        expect(await Album.objects.filter({ id__in: orm.Subquery(rockTracks.values("album")) }).orderBy("id").valuesList("id", { flat: true })).toEqual(rockIds);
        expect(await Album.objects.filter({ pk__in: rockTracks.values("album") }).orderBy("id").valuesList("id", { flat: true })).toEqual(rockIds);
      });
      expect(statements).toHaveLength(2);
      expect(statements.every((event) => / IN \(SELECT /.test(event.sql))).toBe(true);
      expect(await Album.objects.exclude({ pk__in: rockTracks.values("album") }).count()).toBe(data.albums.length - rockIds.length);
      // A QuerySet of whole rows stands for its keys; a foreign key compares its column with them.
      const brazil = Customer.objects.filter({ country: "Brazil" });
      const brazilIds = new Set(data.customers.filter((row) => row.Country === "Brazil").map((row) => row.CustomerId as number));
      expect(await Invoice.objects.filter({ customer__in: brazil }).count()).toBe(data.invoices.filter((row) => brazilIds.has(row.CustomerId as number)).length);
      // A QuerySet compared as one value is a scalar subquery, as orm.Subquery(...) is.
      const firstBrazilian = Math.min(...brazilIds);
      expect(await Invoice.objects.filter({ customer: brazil.orderBy("id").limit(1) }).count()).toBe(data.invoices.filter((row) => row.CustomerId === firstBrazilian).length);
    });

    test("values(x).annotate(n).values(\"n\") stays one row per x: a count per album as a Subquery, read and written", async () => {
      const tracksPerAlbum = countBy(data.tracks, (row) => row.AlbumId as number);
      const perAlbum = Track.objects.values("album").annotate({ n: orm.Count("id") });
      expect(await perAlbum.orderBy("album").valuesList("n", { flat: true })).toEqual([...tracksPerAlbum].sort(([a], [b]) => a - b).map(([, n]) => n));
      const counted = orm.Subquery(Track.objects.filter({ album: orm.OuterRef("pk") }).values("album").annotate({ n: orm.Count("id") }).values("n"));
      const rows = await Album.objects.annotate({ n: counted }).filter({ id__lte: 30 }).orderBy("id").valuesList("id", "n");
      expect(rows).toEqual(data.albums.filter((row) => (row.AlbumId as number) <= 30).map((row) => [row.AlbumId, tracksPerAlbum.get(row.AlbumId as number) ?? null]));
      // The same subquery in an UPDATE, inside a transaction that is undone.
      await expect(
        database.transaction(async () => {
          await Album.objects.filter({ id__lte: 3 }).update({ title: orm.Concat(orm.Value("n="), counted) } as never);
          expect(await Album.objects.filter({ id__lte: 3 }).orderBy("id").valuesList("title", { flat: true })).toEqual([1, 2, 3].map((id) => `n=${tracksPerAlbum.get(id)}`));
          throw new Error("undo");
        }),
      ).rejects.toThrow("undo");
    });

    test("an __in subquery with a LIMIT runs on every database (MySQL takes it as a derived table), in reads and in writes", async () => {
      const lastFive = Track.objects.orderBy("-id").values("id").limit(5);
      const expected = data.tracks.map((row) => row.TrackId as number).sort((a, b) => b - a).slice(0, 5).sort((a, b) => a - b);
      expect(await Track.objects.filter({ pk__in: lastFive }).orderBy("id").valuesList("id", { flat: true })).toEqual(expected);
      expect(await Track.objects.filter({ pk__in: Track.objects.orderBy("id").values("id").limit(3).offset(2) }).orderBy("id").valuesList("id", { flat: true })).toEqual(
        data.tracks.map((row) => row.TrackId as number).sort((a, b) => a - b).slice(2, 5),
      );
      // The batch idiom: an UPDATE of the rows a subquery of the same table picks, inside a transaction that is undone.
      await expect(
        database.transaction(async () => {
          expect(await Track.objects.filter({ pk__in: lastFive }).update({ composer: "batch" })).toBe(5);
          expect(await Track.objects.filter({ composer: "batch" }).orderBy("id").valuesList("id", { flat: true })).toEqual(expected);
          throw new Error("undo");
        }),
      ).rejects.toThrow("undo");
    });

    test("OuterRef outside a subquery, or a Subquery of many columns, is refused before any SQL", async () => {
      expect(() => Album.objects.filter({ pk__in: Track.objects.values("album", "genre") })).toThrow(/one column/);
      expect(() => Album.objects.filter({ pk__in: { id: 1 } as never })).toThrow(/__in needs an array, a QuerySet or orm\.Subquery/);
      expect(() => orm.Subquery(Invoice.objects.values("id", "total"))).toThrow(orm.ValidationError);
      expect(() => orm.Subquery(Invoice.objects.all() as never)).toThrow(TypeError);
      await expect(Invoice.objects.filter({ customer: orm.OuterRef("pk") }).count()).rejects.toThrow(/not inside orm.Exists\(\) or orm.Subquery\(\)/);
      await expect(Customer.objects.filter(orm.Exists(Invoice.objects.filter({ customer: orm.OuterRef("nope") }))).count()).rejects.toThrow(orm.UnknownFieldError);
    });
  });

  describe("date and time parts", () => {
    const dates = data.invoices.map((row) => ({ id: row.InvoiceId as number, date: invoiceDate(row) }));
    const ids = (keep: (date: Date) => boolean) => dates.filter((row) => keep(row.date)).map((row) => row.id);
    const day = (date: Date) => date.toISOString().slice(0, 10);

    test("__year, __month, __day, __week_day, __hour, __minute and __date filter in UTC", async () => {
      const query = (lookups: Record<string, unknown>) => Invoice.objects.filter(lookups as never).orderBy("id").valuesList("id", { flat: true });
      expect(await query({ date__year: 2023 })).toEqual(ids((date) => date.getUTCFullYear() === 2023));
      expect(await query({ date__year__gte: 2024, date__month__in: [1, 12] })).toEqual(ids((date) => date.getUTCFullYear() >= 2024 && [1, 12].includes(date.getUTCMonth() + 1)));
      expect(await query({ date__day: 31 })).toEqual(ids((date) => date.getUTCDate() === 31));
      // Django's numbering: 1 is Sunday, 7 Saturday.
      expect(await query({ date__week_day: 1 })).toEqual(ids((date) => date.getUTCDay() === 0));
      expect(await query({ date__week_day: 7 })).toEqual(ids((date) => date.getUTCDay() === 6));
      expect(await query({ date__hour__range: [22, 23] })).toEqual(ids((date) => date.getUTCHours() >= 22));
      expect(await query({ date__minute__lt: 5 })).toEqual(ids((date) => date.getUTCMinutes() < 5));
      expect(await query({ date__date: "2022-03-05" })).toEqual(ids((date) => day(date) === "2022-03-05"));
      expect(await query({ date__date__gte: "2025-12-01" })).toEqual(ids((date) => day(date) >= "2025-12-01"));
    });

    test("values() reads the parts, and grouping by one counts per year", async () => {
      const rows = await Invoice.objects.filter({ id__lte: 40 }).orderBy("id").values("id", "date__year", "date__week_day", "date__hour", "date__date");
      expect(rows).toEqual(
        dates.slice(0, 40).map(({ id, date }) => ({ id, date__year: date.getUTCFullYear(), date__week_day: date.getUTCDay() + 1, date__hour: date.getUTCHours(), date__date: day(date) })),
      );
      const perYear = await Invoice.objects.values("date__year").annotate({ n: orm.Count("id") }).orderBy("date__year" as never);
      const expected = countBy(
        dates.map((row) => ({ year: row.date.getUTCFullYear() })),
        (row) => row.year as number,
      );
      expect(perYear).toEqual([...expected].sort(([a], [b]) => a - b).map(([year, n]) => ({ date__year: year, n })));
    });

    test("the session's time zone does not move a part", async () => {
      const setZone = { postgresql: "SET LOCAL TIME ZONE 'Pacific/Auckland'", mysql: "SET time_zone = '+13:00'", sqlite: undefined }[target.dialect];
      const late = ids((date) => date.getUTCHours() >= 20);
      await database.transaction(async () => {
        if (setZone) await database.execute(orm.raw(setZone));
        expect(await Invoice.objects.filter({ date__hour__gte: 20 }).orderBy("id").valuesList("id", { flat: true })).toEqual(late);
        expect(await Invoice.objects.filter({ date__date: "2022-03-05" }).count()).toBe(ids((date) => day(date) === "2022-03-05").length);
        if (target.dialect === "mysql") await database.execute(orm.raw("SET time_zone = DEFAULT"));
      });
    });

    test("a part a field does not have is refused before any SQL", async () => {
      expect(() => Invoice.objects.filter({ total__year: 2020 } as never)).toThrow(orm.ValidationError);
      expect(() => Invoice.objects.filter({ date__fortnight: 2 } as never)).toThrow(orm.UnknownFieldError);
    });
  });

  describe("distinct on fields", () => {
    test("distinct(field) is PostgreSQL's DISTINCT ON (each album's longest track), and a ValidationError before any SQL elsewhere", async () => {
      const longest = () => Track.objects.filter({ album__id__lte: 20 }).orderBy("album", "-milliseconds", "id").distinct("album");
      if (target.dialect !== "postgresql") {
        const error = await expectRefusedBeforeSql(target, async () => longest().all(), orm.ValidationError);
        expect(error.message).toMatch(/DISTINCT ON fields is PostgreSQL's alone/);
        return;
      }
      const best = new Map<number, Record<string, unknown>>();
      for (const row of data.tracks) {
        const album = row.AlbumId as number;
        if (album > 20) continue;
        const known = best.get(album);
        if (!known || (row.Milliseconds as number) > (known.Milliseconds as number)) best.set(album, row);
      }
      expect(await longest().valuesList("id", { flat: true })).toEqual([...best].sort(([a], [b]) => a - b).map(([, row]) => row.TrackId));
      expect(await longest().count()).toBe(best.size);
      // An ordering led by the DISTINCT ON fields in another order is the same set of leading columns.
      expect(await Track.objects.filter({ album__id__lte: 20 }).orderBy("genre", "album", "id").distinct("album", "genre").count()).toBeGreaterThan(0);
    });

    test("an ordering that does not start with the DISTINCT ON fields is refused before any SQL, saying what would do", async () => {
      const error = await expectRefusedBeforeSql(target, async () => Track.objects.orderBy("-milliseconds", "album").distinct("album").all(), orm.ValidationError);
      if (target.dialect !== "postgresql") {
        expect(error.message).toMatch(/DISTINCT ON fields is PostgreSQL's alone/);
        return;
      }
      expect(error.message).toBe(
        'Track.objects.distinct("album"): the ordering must start with album (PostgreSQL keeps each group\'s first row in it), but it is -milliseconds, album; orderBy("album", "-milliseconds")',
      );
      await expectRefusedBeforeSql(target, async () => Track.objects.orderBy("album__title").distinct("album").all(), orm.ValidationError);
      await expectRefusedBeforeSql(target, async () => Track.objects.annotate({ n: orm.Length("name") }).orderBy("n").distinct("album").count(), orm.ValidationError);
    });
  });
});
