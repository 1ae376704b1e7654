// Type-level tests: `npm test` runs them through vitest's typecheck mode and `npm run typecheck` through tsc.
// Every `@ts-expect-error` line is a mistake users make; tsc fails if one of them stops being an error.
import { describe, expectTypeOf, test } from "vitest";
import * as orm from "../../lib/index.js";

const database = new orm.Database("sqlite::memory:");

const Artist = orm.Model.define("Artist", { name: orm.String({ maxLength: 120 }) }, { database });

const Album = orm.Model.define(
  "Album",
  {
    title: orm.String({ maxLength: 160 }),
    artist: orm.ForeignKey(Artist),
    released: orm.Date({ allowNull: true }),
    price: orm.Decimal({ maxDigits: 8, decimalPlaces: 2, default: "9.99" }),
  },
  { database },
);

const Track = orm.Model.define(
  "Track",
  {
    title: orm.String({ maxLength: 200 }),
    album: orm.ForeignKey(Album),
    position: orm.Integer(),
    plays: orm.BigInteger({ default: 0n }),
    rating: orm.Float({ allowNull: true }),
    explicit: orm.Boolean({ default: false }),
    kind: orm.Enum(["audio", "video"]),
    meta: orm.JSON({ default: () => ({}) }),
    added: orm.DateTime({ autoNowAdd: true }),
  },
  { database },
);

class Note extends orm.Model.define("Note", { text: orm.String({ maxLength: 100 }), done: orm.Boolean({ default: false }) }, { database }) {
  declare static objects: orm.Manager<Note>;
  get short(): string {
    return this.text.slice(0, 10);
  }
  shout(): string {
    return this.text.toUpperCase();
  }
}

class Person extends orm.Model.define(
  "Person",
  { name: orm.String(), boss: orm.ForeignKey("self", { allowNull: true, relatedName: "reports" }) },
  { database },
) {
  declare static objects: orm.Manager<Person>;
  declare reports: orm.RelatedManager<Person>;
}

type TrackRow = orm.Infer<typeof Track>;
type AlbumRow = orm.Infer<typeof Album>;

describe("instances", () => {
  test("field types map to their JS values; allowNull adds null; Enum gives its choices", () => {
    expectTypeOf<TrackRow["title"]>().toEqualTypeOf<string>();
    expectTypeOf<TrackRow["position"]>().toEqualTypeOf<number>();
    expectTypeOf<TrackRow["plays"]>().toEqualTypeOf<bigint>();
    expectTypeOf<TrackRow["rating"]>().toEqualTypeOf<number | null>();
    expectTypeOf<TrackRow["explicit"]>().toEqualTypeOf<boolean>();
    expectTypeOf<TrackRow["kind"]>().toEqualTypeOf<"audio" | "video">();
    expectTypeOf<TrackRow["meta"]>().toEqualTypeOf<orm.JsonValue>();
    expectTypeOf<TrackRow["added"]>().toEqualTypeOf<Date>();
    expectTypeOf<TrackRow["id"]>().toEqualTypeOf<number>();
    expectTypeOf<TrackRow["pk"]>().toEqualTypeOf<number>();
    expectTypeOf<AlbumRow["released"]>().toEqualTypeOf<string | null>();
    expectTypeOf<AlbumRow["price"]>().toEqualTypeOf<string>();
  });

  test("InferCreate: defaults, nullable fields and the auto key are optional", () => {
    type NewTrack = orm.InferCreate<typeof Track>;
    expectTypeOf<NewTrack>().toHaveProperty("title");
    expectTypeOf<{ title: string; album: number; position: number; kind: "audio" }>().toMatchTypeOf<NewTrack>();
    expectTypeOf<{ title: string; position: number; kind: "audio" }>().not.toMatchTypeOf<NewTrack>();
    expectTypeOf<{ title: string; album: AlbumRow; position: number; kind: "video"; rating: null; id: 4 }>().toMatchTypeOf<NewTrack>();
  });

  test("a foreign key is a sparse stub: pk and load() only, load() resolving to the full instance", async () => {
    const track = await Track.objects.get({ pk: 1 });
    expectTypeOf(track.album.pk).toEqualTypeOf<number>();
    const album = await track.album.load();
    expectTypeOf(album.title).toEqualTypeOf<string>();
    // @ts-expect-error -- reading a field of a sparse stub
    void track.album.title;
    // @ts-expect-error -- nor across it
    void track.album.artist;
  });

  test("selectRelated narrows the stubs along its paths to loaded instances", async () => {
    const track = await Track.objects.selectRelated("album__artist").get({ pk: 1 });
    expectTypeOf(track.album.title).toEqualTypeOf<string>();
    expectTypeOf(track.album.artist.name).toEqualTypeOf<string>();
    const plain = await Track.objects.selectRelated("album").first();
    expectTypeOf(plain!.album.title).toEqualTypeOf<string>();
    // @ts-expect-error -- only album was selected, not its artist
    void plain!.album.artist.name;
  });

  test("a subclass keeps its methods and getters on what the manager returns", async () => {
    const note = await Note.objects.get({ pk: 1 });
    expectTypeOf(note.short).toEqualTypeOf<string>();
    expectTypeOf(note.shout()).toEqualTypeOf<string>();
    expectTypeOf(await Note.objects.filter({ done: true }).all()).toEqualTypeOf<Note[]>();
    expectTypeOf(await Note.objects.first()).toEqualTypeOf<Note | null>();
  });

  test("self-references and reverse managers", async () => {
    const person = await Person.objects.selectRelated("boss__boss").get({ pk: 1 });
    expectTypeOf(person.boss).toMatchTypeOf<{ name: string } | null>();
    expectTypeOf(await person.reports.all()).toEqualTypeOf<Person[]>();
    expectTypeOf(Person.objects.filter({ reports__name__startswith: "A", boss__boss__name: "B" })).toEqualTypeOf<orm.QuerySet<Person>>();
  });
});

describe("lookups", () => {
  test("keys and values are checked against the fields, across relations", () => {
    Track.objects.filter({ title__icontains: "bird", position__gte: 1, album__title__iexact: "malibu" });
    Track.objects.filter({ album__artist__name__startswith: "AC", album__released__isnull: true });
    Track.objects.filter({ position__in: [1, 2, 3], position__range: [1, 10], rating: null });
    Track.objects.filter({ album: 3 }, orm.Q.or({ explicit: true }, { kind: "video" }));
    Track.objects.exclude({ album__artist__pk__in: [1, 2] });
    Track.objects.get({ pk: 1 });
    Album.objects.filter({ artist__name__contains: "x" });
    // A QuerySet or a Subquery as the value: IN (SELECT ...), or a scalar subquery.
    Track.objects.filter({ album__in: Album.objects.filter({ title: "x" }), position__in: orm.Subquery(Track.objects.values("position")) });
    Track.objects.filter({ album: Album.objects.filter({ title: "x" }).limit(1), position__gt: Track.objects.values("position").limit(1) });
  });

  test("three relation hops (InvoiceLine to Track to Album to Artist in Chinook)", () => {
    Person.objects.filter({ boss__boss__boss__name__startswith: "A", boss__boss__boss__isnull: false });
    // @ts-expect-error -- unknown field three relations away
    Person.objects.filter({ boss__boss__boss__nam: "A" });
    // @ts-expect-error -- wrong value type three relations away
    Person.objects.filter({ boss__boss__boss__name: 5 });
  });

  test("mistakes are compile errors", () => {
    // @ts-expect-error -- unknown field
    Track.objects.filter({ titel: "x" });
    // @ts-expect-error -- unknown operator
    Track.objects.filter({ title__like: "x" });
    // @ts-expect-error -- text operator on a number
    Track.objects.filter({ position__contains: "1" });
    // @ts-expect-error -- a string where an Integer belongs
    Track.objects.filter({ position: "1" });
    // @ts-expect-error -- in takes an array
    Track.objects.filter({ position__in: 1 });
    // @ts-expect-error -- in takes an array or a QuerySet, not one row
    Track.objects.filter({ position__in: { position: 1 } });
    // @ts-expect-error -- an array of the wrong type
    Track.objects.filter({ position__in: ["1"] });
    // @ts-expect-error -- range takes a pair
    Track.objects.filter({ position__range: [1] });
    // @ts-expect-error -- isnull takes a boolean
    Track.objects.filter({ rating__isnull: 1 });
    // @ts-expect-error -- a number where a String belongs
    Track.objects.filter({ title: 5 });
    // @ts-expect-error -- a boolean field compared with a string
    Track.objects.filter({ explicit: "yes" });
    // @ts-expect-error -- not one of the Enum's choices
    Track.objects.filter({ kind: "podcast" });
    // @ts-expect-error -- unknown field across a relation
    Track.objects.filter({ album__titel: "x" });
    // @ts-expect-error -- unknown field two relations away
    Track.objects.filter({ album__artist__nam: "x" });
    // @ts-expect-error -- wrong value type two relations away
    Track.objects.filter({ album__artist__name__startswith: 5 });
    // @ts-expect-error -- a relation that does not exist
    Track.objects.filter({ genre__name: "Rock" });
    // @ts-expect-error -- an object where a scalar belongs
    Track.objects.filter({ position: { $gt: 1 } });
    // @ts-expect-error -- the wrong model's instance for a foreign key
    Track.objects.filter({ album: new Artist({ name: "x" }) });
    // @ts-expect-error -- exclude is checked the same way
    Track.objects.exclude({ titel: "x" });
    // @ts-expect-error -- and get
    Track.objects.get({ position: "2" });
    // @ts-expect-error -- and getOrCreate's lookup
    void Track.objects.getOrCreate({ titel: "x" });
    // @ts-expect-error -- a reverse relation that was not declared
    Album.objects.filter({ tracks__title: "x" });
  });
});

describe("aggregates", () => {
  test("aggregate() and annotate() results are typed by their aggregate and field", async () => {
    const totals = await Track.objects.aggregate({
      n: orm.Count(),
      plays: orm.Sum("plays"),
      positions: orm.Sum("position"),
      mean: orm.Avg("rating"),
      first: orm.Min("added"),
      last: orm.Max("title"),
      albums: orm.Count("album", { distinct: true }),
    });
    expectTypeOf(totals).toEqualTypeOf<{
      n: number;
      plays: bigint | null;
      positions: number | null;
      mean: number | null;
      first: Date | null;
      last: string | null;
      albums: number;
    }>();
    const prices = await Album.objects.aggregate({ total: orm.Sum("price"), dearest: orm.Max("price") });
    expectTypeOf(prices).toEqualTypeOf<{ total: string | null; dearest: string | null }>();
    const ranked = await Album.objects.annotate({ tracks: orm.Count("id") }).orderBy("-tracks").first();
    expectTypeOf(ranked!.tracks).toEqualTypeOf<number>();
    expectTypeOf(ranked!.title).toEqualTypeOf<string>();
    // An aggregate of an annotation is typed by the annotation.
    const spread = await Album.objects.annotate({ tracks: orm.Count("id"), letters: orm.Length("title") }).aggregate({ most: orm.Max("tracks"), all: orm.Sum("tracks"), longest: orm.Max("letters") });
    expectTypeOf(spread).toEqualTypeOf<{ most: number | null; all: number | null; longest: number | null }>();
  });
});

describe("paths, creates and updates", () => {
  test("orderBy, selectRelated, prefetchRelated and values keys are checked", async () => {
    Track.objects.orderBy("-position", "album__title", "album__artist__name", "pk");
    const rows = await Track.objects.values("id", "album__title", "rating");
    expectTypeOf(rows).toEqualTypeOf<{ id: number; album__title: string; rating: number | null }[]>();
    // @ts-expect-error -- unknown field to order by
    Track.objects.orderBy("-titel");
    // @ts-expect-error -- a relation path that does not exist
    Track.objects.orderBy("album__nope");
    // @ts-expect-error -- selectRelated of a plain field
    Track.objects.selectRelated("title");
    // @ts-expect-error -- selectRelated of an unknown relation
    Track.objects.selectRelated("genre");
    // @ts-expect-error -- selectRelated past the end of a path
    Track.objects.selectRelated("album__title");
    // @ts-expect-error -- prefetchRelated of an unknown relation
    Track.objects.prefetchRelated("nope");
  });

  test("create and update take the field types", async () => {
    await Track.objects.create({ title: "x", album: 1, position: 1, kind: "audio" });
    await Track.objects.filter({ pk: 1 }).update({ position: orm.F("position").add(1) });
    // @ts-expect-error -- a required field is missing
    await Track.objects.create({ title: "x", album: 1, kind: "audio" });
    // @ts-expect-error -- a string passed to an Integer
    await Track.objects.create({ title: "x", album: 1, position: "1", kind: "audio" });
    // @ts-expect-error -- an unknown field
    await Track.objects.create({ title: "x", album: 1, position: 1, kind: "audio", nope: 1 });
    // @ts-expect-error -- null where null is not allowed
    await Track.objects.create({ title: null, album: 1, position: 1, kind: "audio" });
    // @ts-expect-error -- a number where a bigint belongs
    await Track.objects.create({ title: "x", album: 1, position: 1, kind: "audio", plays: 1 });
    // @ts-expect-error -- an unknown field in an update
    await Track.objects.filter({ pk: 1 }).update({ nope: 1 });
    // @ts-expect-error -- a wrong type in an update
    await Track.objects.filter({ pk: 1 }).update({ explicit: "no" });
    // @ts-expect-error -- bulkCreate rows are checked too
    await Track.objects.bulkCreate([{ title: 1, album: 1, position: 1, kind: "audio" }]);
    const track = new Track({ title: "x", album: 1, position: 1, kind: "audio" });
    // @ts-expect-error -- assigning the wrong type
    track.position = "2";
    // @ts-expect-error -- instance update() is checked
    await track.update({ position: "3" });
    // @ts-expect-error -- the constructor too
    new Track({ title: "x", album: 1, position: 1, kind: "other" });
  });
});
