import { beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { expectRefusedBeforeSql, onlyFields } from "./helpers/fixtures.js";

describeEachDialect("values and partial loads", (target) => {
  const { database } = target;

  const Artist = orm.Model.define("Artist", { name: orm.String({ maxLength: 60 }) }, { database });
  // Reverse relations are typed by declaring them on a subclass.
  class Album extends orm.Model.define(
    "Album",
    { title: orm.String({ maxLength: 60 }), artist: orm.ForeignKey(Artist), year: orm.Integer({ allowNull: true }) },
    { database },
  ) {
    declare static objects: orm.Manager<Album>;
    declare tracks: orm.RelatedManager<orm.Infer<typeof Track>>;
  }
  const Track = orm.Model.define(
    "Track",
    {
      title: orm.String({ maxLength: 60 }),
      album: orm.ForeignKey(Album),
      position: orm.Integer(),
      price: orm.Decimal({ maxDigits: 6, decimalPlaces: 2, default: "0.99" }),
      notes: orm.Text({ default: "" }),
      tags: orm.JSON({ default: () => [] }),
    },
    { database },
  );

  const TRACKS = [
    { title: "Hells Bells", album: 1, position: 1, price: "1.29" },
    { title: "Shoot to Thrill", album: 1, position: 2, price: "0.99" },
    { title: "Back in Black", album: 1, position: 6, price: "1.29" },
    { title: "Thunderstruck", album: 2, position: 1, price: "0.99" },
    { title: "Moneytalks", album: 2, position: 5, price: "0.99" },
    { title: "Aqualung", album: 3, position: 1, price: "1.99" },
  ];

  beforeAll(async () => {
    await database.createAll();
    await Artist.objects.bulkCreate([{ id: 1, name: "AC/DC" }, { id: 2, name: "Jethro Tull" }]);
    await Album.objects.bulkCreate([
      { id: 1, title: "Back in Black", artist: 1, year: 1980 },
      { id: 2, title: "The Razors Edge", artist: 1, year: 1990 },
      { id: 3, title: "Aqualung", artist: 2, year: null },
    ]);
    await Track.objects.bulkCreate(TRACKS.map((track, index) => ({ id: index + 1, ...track, notes: `note ${index + 1}`, tags: [track.album] })));
  });

  describe("values() and valuesList()", () => {
    test("plain objects of the named fields; relation paths join; a foreign key is its key", async () => {
      const rows = await Track.objects.orderBy("id").values("id", "title", "album", "album__title", "album__artist__name", "price");
      expect(rows).toEqual(
        TRACKS.map((track, index) => ({
          id: index + 1,
          title: track.title,
          album: track.album,
          album__title: ["Back in Black", "The Razors Edge", "Aqualung"][track.album - 1],
          album__artist__name: track.album === 3 ? "Jethro Tull" : "AC/DC",
          price: track.price,
        })),
      );
      expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
      // No names: every field of the model.
      const [first] = await Track.objects.orderBy("id").limit(1).values();
      expect(first).toEqual({ id: 1, title: "Hells Bells", album: 1, position: 1, price: "1.29", notes: "note 1", tags: [1] });
    });

    test("filters, ordering, limits and reverse paths compose with values()", async () => {
      expect(await Track.objects.filter({ album__artist__name: "AC/DC", price: "0.99" }).orderBy("-position").values("title")).toEqual([
        { title: "Moneytalks" },
        { title: "Shoot to Thrill" },
        { title: "Thunderstruck" },
      ]);
      // A reverse path repeats the album once per track, as a JOIN does.
      const perTrack = await Album.objects.filter({ id: 2 }).orderBy("tracks__position").values("title", "tracks__title");
      expect(perTrack).toEqual([
        { title: "The Razors Edge", tracks__title: "Thunderstruck" },
        { title: "The Razors Edge", tracks__title: "Moneytalks" },
      ]);
      expect(await Album.objects.orderBy("id").values("year")).toEqual([{ year: 1980 }, { year: 1990 }, { year: null }]);
    });

    test("valuesList(): arrays, or with { flat: true } the values themselves", async () => {
      expect(await Track.objects.filter({ album: 2 }).orderBy("id").valuesList("id", "title")).toEqual([
        [4, "Thunderstruck"],
        [5, "Moneytalks"],
      ]);
      expect(await Track.objects.orderBy("id").valuesList("id", { flat: true })).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await Track.objects.orderBy("id").valuesList("album__artist__name", { flat: true })).toEqual(["AC/DC", "AC/DC", "AC/DC", "AC/DC", "AC/DC", "Jethro Tull"]);
      expect(await Track.objects.orderBy("id").valuesList("id", "title", { flat: false })).toHaveLength(6);
      expect(() => Track.objects.valuesList("id", "title", { flat: true } as never)).toThrow(orm.ValidationError);
    });

    test("distinct() over values, and count() of it", async () => {
      const prices = Track.objects.orderBy("price").valuesList("price", { flat: true }).distinct();
      expect(await prices).toEqual(["0.99", "1.29", "1.99"]);
      expect(await prices.count()).toBe(3);
      expect(await Track.objects.values("album__artist").distinct().count()).toBe(2);
      expect(await Track.objects.values("album__artist").count()).toBe(6);
    });

    test("a values QuerySet is thenable, async-iterable, and has first(), last() and get()", async () => {
      const streamed: unknown[] = [];
      for await (const row of Track.objects.orderBy("id").values("title").iterate({ batchSize: 2 })) streamed.push(row.title);
      expect(streamed).toEqual(TRACKS.map((track) => track.title));
      const looped: number[] = [];
      for await (const id of Track.objects.filter({ album: 1 }).orderBy("id").valuesList("id", { flat: true })) looped.push(id as number);
      expect(looped).toEqual([1, 2, 3]);
      expect(await Track.objects.values("title").first()).toEqual({ title: "Hells Bells" });
      expect(await Track.objects.values("title").last()).toEqual({ title: "Aqualung" });
      expect(await Track.objects.values("title", "position").get({ title: "Moneytalks" })).toEqual({ title: "Moneytalks", position: 5 });
    });

    test("an unknown field or path is refused before any SQL", async () => {
      const error = await expectRefusedBeforeSql(target, async () => Track.objects.values("album__nope" as never), orm.UnknownFieldError);
      expect(error.message).toMatch(/Album has no field or relation "nope" \(in "album__nope"\)/);
      await expectRefusedBeforeSql(target, async () => Track.objects.values("id", "nope" as never), orm.UnknownFieldError);
      await expectRefusedBeforeSql(target, async () => Track.objects.valuesList("title__nope" as never, { flat: true }), orm.UnknownFieldError);
      await expectRefusedBeforeSql(target, async () => Track.objects.values("title__icontains" as never), orm.UnknownFieldError);
    });
  });

  describe("only() and defer()", () => {
    test("only() reads the named fields and the key; the others raise UnloadedFieldError", async () => {
      const statements = await target.statementsDuring(async () => {
        const tracks = await onlyFields(Track.objects, "title").orderBy("id");
        expect(tracks.map((track) => track.title)).toEqual(TRACKS.map((track) => track.title));
        expect(tracks[0]!.id).toBe(1);
        expect(() => tracks[0]!.notes).toThrow(orm.UnloadedFieldError);
        expect(() => tracks[0]!.position).toThrow(/Track.position is not loaded.*only\(\)\/defer\(\)/);
        expect(tracks[0]!.toJSON()).toEqual({ id: 1, title: "Hells Bells" });
      });
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).not.toMatch(/notes|tags|position/);
    });

    test("defer() reads all but the named fields; load() fills them in; save() writes only what changed", async () => {
      const track = await Track.objects.defer("notes", "tags").get({ id: 2 });
      expect(track.title).toBe("Shoot to Thrill");
      expect(track.album.pk).toBe(1);
      expect(() => track.tags).toThrow(orm.UnloadedFieldError);
      track.title = "Shoot to Thrill (live)";
      await track.save();
      const reread = await Track.objects.get({ id: 2 });
      expect(reread.title).toBe("Shoot to Thrill (live)");
      expect(reread.notes).toBe("note 2");
      expect(reread.tags).toEqual([1]);
      await track.load();
      expect(track.notes).toBe("note 2");
      await reread.update({ title: "Shoot to Thrill" });
      // Rows read partially share their state until one is written: loading one leaves the others partial.
      const [first, second] = await Track.objects.defer("notes").orderBy("id").limit(2);
      await first!.load();
      expect(first!.notes).toBe("note 1");
      expect(() => second!.notes).toThrow(orm.UnloadedFieldError);
    });

    test("only() and defer() combine with filters, selectRelated and streaming; unknown names are refused", async () => {
      const tracks = await onlyFields(Track.objects.selectRelated("album"), "title").defer("title").filter({ album__year__gte: 1990 });
      expect(tracks.map((track) => track.id)).toEqual([4, 5]);
      expect(() => tracks[0]!.title).toThrow(orm.UnloadedFieldError);
      expect(tracks[0]!.album.title).toBe("The Razors Edge");
      const streamed: string[] = [];
      for await (const track of onlyFields(Track.objects, "title").orderBy("id").iterate({ batchSize: 2 })) {
        expect(() => track.position).toThrow(orm.UnloadedFieldError);
        streamed.push(track.title);
      }
      expect(streamed).toHaveLength(6);
      // Deferring nothing loads everything: an ordinary instance.
      const full = await Track.objects.defer().get({ id: 1 });
      expect(full.notes).toBe("note 1");
      await expectRefusedBeforeSql(target, async () => onlyFields(Track.objects, "nope"), orm.UnknownFieldError);
      await expectRefusedBeforeSql(target, async () => Track.objects.defer("album__title"), orm.UnknownFieldError);
    });
  });

  describe("last() and inBulk()", () => {
    test("last() orders by the key unless ordered, and reverses the given order", async () => {
      expect((await Track.objects.last())?.id).toBe(6);
      expect((await Track.objects.orderBy("position", "-id").last())?.id).toBe(3);
      expect((await Track.objects.filter({ album: 2 }).orderBy("-position").last())?.title).toBe("Thunderstruck");
      expect(await Track.objects.filter({ title: "none" }).last()).toBeNull();
    });

    test("inBulk() maps keys to instances in one query, leaving out missing keys", async () => {
      const statements = await target.statementsDuring(async () => {
        const found = await Track.objects.filter({ album: 1 }).inBulk([1, 3, 4, 99]);
        expect([...found.keys()].sort()).toEqual([1, 3]);
        expect(found.get(3)?.title).toBe("Back in Black");
      });
      expect(statements).toHaveLength(1);
      expect((await Track.objects.inBulk([])).size).toBe(0);
    });
  });
});
