import { inspect } from "node:util";
import { beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { chinook } from "./helpers/fixtures.js";

describeEachDialect("relations", (target) => {
  const { database } = target;

  class Artist extends orm.Model.define("Artist", { name: orm.String({ maxLength: 120 }) }, { database }) {
    declare static objects: orm.Manager<Artist>;
    declare albums: orm.RelatedManager<Album>;
  }
  const Genre = orm.Model.define("Genre", { name: orm.String({ maxLength: 120 }) }, { database });
  // Reverse managers and "self" keys are typed by declaring them on a subclass: TypeScript cannot add
  // to a model's type from another model's definition.
  class Album extends orm.Model.define(
    "Album",
    { title: orm.String({ maxLength: 160 }), artist: orm.ForeignKey(Artist, { onDelete: "RESTRICT" }) },
    { database },
  ) {
    declare static objects: orm.Manager<Album>;
    declare tracks: orm.RelatedManager<orm.Infer<typeof Track>>;
  }
  const Track = orm.Model.define(
    "Track",
    {
      name: orm.String({ maxLength: 200 }),
      album: orm.ForeignKey(Album),
      genre: orm.ForeignKey("Genre", { allowNull: true, onDelete: "SET NULL" }),
      milliseconds: orm.Integer(),
    },
    { database },
  );
  class Employee extends orm.Model.define(
    "Employee",
    {
      name: orm.String({ maxLength: 60 }),
      reportsTo: orm.ForeignKey("self", { allowNull: true, onDelete: "SET NULL", relatedName: "reports", column: "reports_to" }),
    },
    { database },
  ) {
    declare static objects: orm.Manager<Employee>;
    declare reportsTo: Employee | null;
  }
  class Person extends orm.Model.define("Person", { name: orm.String({ maxLength: 60 }) }, { database }) {
    declare static objects: orm.Manager<Person>;
    // Message's type refers to Person, so Person's declarations cannot refer back to Message's.
    declare sent: orm.RelatedManager;
    declare received: orm.RelatedManager;
    declare profile: orm.RelatedOne;
  }
  const Profile = orm.Model.define(
    "Profile",
    { person: orm.OneToOne(Person), bio: orm.Text({ default: "" }) },
    { database },
  );
  const Message = orm.Model.define(
    "Message",
    {
      sender: orm.ForeignKey(Person, { relatedName: "sent" }),
      recipient: orm.ForeignKey(Person, { relatedName: "received", allowNull: true }),
      body: orm.Text(),
    },
    { database },
  );

  const artists = chinook("Artist");
  const albums = chinook("Album");
  const tracks = chinook("Track");
  const genres = chinook("Genre");

  beforeAll(async () => {
    await database.createAll();
    await Artist.objects.bulkCreate(artists.map((row) => ({ id: row.ArtistId as number, name: row.Name as string })));
    await Genre.objects.bulkCreate(genres.map((row) => ({ id: row.GenreId as number, name: row.Name as string })));
    await Album.objects.bulkCreate(albums.map((row) => ({ id: row.AlbumId as number, title: row.Title as string, artist: row.ArtistId as number })));
    await Track.objects.bulkCreate(
      tracks.map((row) => ({
        id: row.TrackId as number,
        name: row.Name as string,
        album: row.AlbumId as number,
        genre: row.GenreId as number,
        milliseconds: row.Milliseconds as number,
      })),
    );
  }, 120_000);

  describe("sparse stubs", () => {
    test("a fetched foreign key is a stub of the related model holding only its key", async () => {
      const track = await Track.objects.get({ pk: 1 });
      expect(track.album).toBeInstanceOf(Album);
      expect(track.album.pk).toBe(1);
      expect(String(track.album)).toBe("Album(id=1) [sparse]");
      expect(inspect(track.album)).toBe("Album(id=1) [sparse]");
      // @ts-expect-error -- a stub's type has only pk and load(), as its runtime has only the key
      expect(() => track.album.title).toThrow(orm.UnloadedFieldError);
      // @ts-expect-error -- as above
      expect(() => track.album.title).toThrow(
        'Album.title is not loaded: track.album is a sparse Album holding only its primary key. Load it with `await track.album.load()`, or fetch it up front with selectRelated("album").',
      );
    });

    test("load() fills the stub in place and it stops being sparse", async () => {
      const track = await Track.objects.get({ pk: 1 });
      const album = track.album;
      const loaded = await album.load();
      expect(loaded).toBe(album);
      expect(loaded.title).toBe("For Those About To Rock We Salute You");
      expect(String(track.album)).toBe("Album(id=1)");
      expect(String(loaded.artist)).toBe("Artist(id=1) [sparse]");
      // Stubs of one foreign key share their state until one is written: the others stay sparse.
      const sibling = (await Track.objects.get({ pk: 2 })).album;
      expect(String(sibling)).toBe("Album(id=2) [sparse]");
      expect(() => (sibling as unknown as { title: string }).title).toThrow(orm.UnloadedFieldError);
    });

    test("a null foreign key reads as null, not a stub", async () => {
      const track = await Track.objects.create({ name: "No genre", album: 1, milliseconds: 1 });
      const fetched = await Track.objects.get({ pk: track.pk });
      expect(fetched.genre).toBeNull();
      await fetched.delete();
    });

    test("a stub whose row was deleted gives NoMatch on load()", async () => {
      const artist = await Artist.objects.create({ name: "Ephemeral" });
      const album = await Album.objects.create({ title: "Gone", artist });
      const track = await Track.objects.create({ name: "Soon gone", album, milliseconds: 1 });
      const fetched = await Track.objects.get({ pk: track.pk });
      await database.execute(orm.sql`DELETE FROM ${orm.raw(database.dialect.quote("track"))} WHERE ${orm.raw(database.dialect.quote("id"))} = ${track.pk}`);
      await album.delete();
      await expect(fetched.album.load()).rejects.toThrow(orm.NoMatch);
      await artist.delete();
    });

    test("toJSON gives the key of a stub and the object of a loaded relation", async () => {
      const sparse = await Track.objects.get({ pk: 2 });
      expect(sparse.toJSON()).toMatchObject({ id: 2, album: 2 });
      const joined = await Track.objects.selectRelated("album").get({ pk: 2 });
      expect(JSON.parse(JSON.stringify(joined)).album).toEqual({ id: 2, title: "Balls to the Wall", artist: 2 });
    });
  });

  describe("create and filter with an instance or its key", () => {
    test("{ album: instance } and { album: key } are the same", async () => {
      const album = await Album.objects.get({ pk: 3 });
      const byInstance = await Track.objects.filter({ album }).count();
      const byKey = await Track.objects.filter({ album: 3 }).count();
      expect(byInstance).toBe(3);
      expect(byKey).toBe(byInstance);
      expect(await Track.objects.filter({ album__in: [album, 4] }).count()).toBe(3 + 8);
    });

    test("an instance of another model, an unsaved instance or a wrong key is a ValidationError before SQL", async () => {
      const artist = await Artist.objects.get({ pk: 1 });
      const events = await target.statementsDuring(async () => {
        // @ts-expect-error -- an Artist where an Album belongs
        expect(() => Track.objects.filter({ album: artist })).toThrow(orm.ValidationError);
        expect(() => Track.objects.filter({ album: new Album({ title: "x", artist: 1 }) })).toThrow("unsaved Album");
        // @ts-expect-error -- a string where Album's integer key belongs
        expect(() => Track.objects.filter({ album: "three" })).toThrow(orm.ValidationError);
        // @ts-expect-error -- a plain object is neither an Album nor its key
        await expect(Track.objects.create({ name: "x", album: { id: 1 }, milliseconds: 1 })).rejects.toThrow(orm.ValidationError);
      });
      expect(events).toHaveLength(0);
    });

    test("bulkCreate() through a reverse relation sets each row's foreign key to the owner, as create() does", async () => {
      const artist = await Artist.objects.create({ name: "Reverse bulk" });
      const albums = await artist.albums.bulkCreate([{ title: "One" }, { title: "Two" }]);
      expect(albums.map((album) => album.title)).toEqual(["One", "Two"]);
      expect(await Album.objects.filter({ artist }).orderBy("title").valuesList("title", { flat: true })).toEqual(["One", "Two"]);
      await expect(artist.albums.bulkCreate([null as never])).rejects.toThrow(orm.ValidationError);
      await Album.objects.filter({ artist }).delete();
      await artist.delete();
    });

    test("the reverse side is not a value to write: the error names the foreign key that writes it", async () => {
      const artist = await Artist.objects.get({ pk: 1 });
      const message = "Artist.albums is a relation to Album rows, not a value to write: it is the other side of Album.artist; set that on the Album rows";
      const events = await target.statementsDuring(async () => {
        expect(() => Object.assign(artist, { albums: [] })).toThrow(message);
        await expect(Artist.objects.create({ name: "x", albums: [] } as never)).rejects.toThrow(message);
      });
      expect(events).toHaveLength(0);
    });

    test("creating with an instance keeps that instance on the new row", async () => {
      const album = await Album.objects.get({ pk: 5 });
      const track = await Track.objects.create({ name: "Bonus", album, milliseconds: 10 });
      expect(track.album).toBe(album);
      expect((await track.album.load()).title).toBe(album.title);
      await track.delete();
    });

    test("assigning a key to a foreign key makes a stub; save() writes it", async () => {
      const track = await Track.objects.create({ name: "Movable", album: 1, milliseconds: 1 });
      track.album = 2 as never;
      expect(String(track.album)).toBe("Album(id=2) [sparse]");
      await track.save();
      expect((await Track.objects.get({ pk: track.pk })).album.pk).toBe(2);
      await track.delete();
    });

    test("a key given to new, create() or bulkCreate() reads as one stub, the same object each time", async () => {
      const fresh = new Track({ name: "Unsaved", album: 4, milliseconds: 1 });
      expect(String(fresh.album)).toBe("Album(id=4) [sparse]");
      expect(fresh.album).toBe(fresh.album);
      // @ts-expect-error -- a stub's type has only its key and load()
      expect(() => fresh.album.title).toThrow(orm.UnloadedFieldError);
      const five = await Album.objects.get({ pk: 5 });
      const [first, second] = await Track.objects.bulkCreate([
        { name: "Bulk one", album: 4, milliseconds: 1 },
        { name: "Bulk two", album: five, milliseconds: 2 },
      ]);
      expect(first!.album.pk).toBe(4);
      expect(first!.album).toBe(first!.album);
      expect(String(first!.album)).toBe("Album(id=4) [sparse]");
      expect(second!.album).toBe(five);
      expect(first!.toJSON()).toMatchObject({ name: "Bulk one", album: 4 });
      first!.name = "Bulk one, renamed";
      await first!.save();
      expect((await Track.objects.get({ pk: first!.pk })).name).toBe("Bulk one, renamed");
      await Track.objects.filter({ pk__in: [first!.pk, second!.pk] }).delete();
    });
  });

  describe("selectRelated", () => {
    test("200 tracks with their album in one statement, every album loaded", async () => {
      const query = Track.objects.selectRelated("album").orderBy("id").limit(200);
      let rows: Awaited<typeof query> = [];
      const events = await target.statementsDuring(async () => {
        rows = await query.all();
      });
      expect(events).toHaveLength(1);
      expect(events[0]!.sql).toMatch(/JOIN/);
      expect(rows).toHaveLength(200);
      const albumTitles = new Map(albums.map((row) => [row.AlbumId, row.Title]));
      for (const track of rows) expect(track.album.title).toBe(albumTitles.get(track.album.pk));
    });

    test("nested selectRelated three levels deep, with a nullable link in the middle", async () => {
      // Track -> genre (nullable) is one path; build a three-level chain through the nullable link:
      // Message -> recipient (nullable) -> ... is two; Employee -> reportsTo (nullable) -> reportsTo -> reportsTo is three.
      const boss = await Employee.objects.create({ name: "Andrew" });
      const manager = await Employee.objects.create({ name: "Nancy", reportsTo: boss });
      const lead = await Employee.objects.create({ name: "Jane", reportsTo: manager });
      const clerk = await Employee.objects.create({ name: "Steve", reportsTo: lead });
      const loner = await Employee.objects.create({ name: "Loner" });
      let rows: Awaited<ReturnType<typeof Employee.objects.all>> = [];
      const events = await target.statementsDuring(async () => {
        rows = await Employee.objects.selectRelated("reportsTo__reportsTo__reportsTo").orderBy("id").all();
      });
      expect(events).toHaveLength(1);
      expect(events[0]!.sql).toMatch(/LEFT JOIN/);
      const byName = new Map(rows.map((row) => [row.name, row]));
      expect(rows).toHaveLength(5);
      expect(byName.get("Steve")!.reportsTo!.reportsTo!.reportsTo!.name).toBe("Andrew");
      expect(byName.get("Jane")!.reportsTo!.reportsTo!.name).toBe("Andrew");
      expect(byName.get("Jane")!.reportsTo!.reportsTo!.reportsTo).toBeNull();
      expect(byName.get("Loner")!.reportsTo).toBeNull();
      expect(byName.get("Nancy")!.reportsTo!.reportsTo).toBeNull();
      await Employee.objects.filter({ pk__in: [clerk.pk, lead.pk, manager.pk, boss.pk, loner.pk] }).delete();
    });

    test("nested forward relations: album__artist, and several paths at once", async () => {
      const track = await Track.objects.selectRelated("album__artist", "genre").get({ pk: 1 });
      expect(track.album.artist.name).toBe("AC/DC");
      expect((track.genre as orm.Infer<typeof Genre>).name).toBe("Rock"); // a key declared by name is typed loosely
      const orphan = await Track.objects.create({ name: "No genre", album: 1, milliseconds: 1 });
      const reread = await Track.objects.selectRelated("genre").get({ pk: orphan.pk });
      expect(reread.genre).toBeNull();
      await orphan.delete();
    });

    test("a model joined to itself and two keys to one model never mix their columns", async () => {
      const alice = await Person.objects.create({ name: "Alice" });
      const bob = await Person.objects.create({ name: "Bob" });
      await Message.objects.create({ sender: alice, recipient: bob, body: "hi" });
      const message = await Message.objects.selectRelated("sender", "recipient").get({ body: "hi" });
      expect((message.sender as Person).name).toBe("Alice");
      expect((message.recipient as Person).name).toBe("Bob");
      expect(await alice.sent.count()).toBe(1);
      expect(await alice.received.count()).toBe(0);
      expect((await bob.received.get({ body: "hi" })).pk).toBe(message.pk);
      await Message.objects.filter({ sender: alice }).delete();
      await Person.objects.filter({ pk__in: [alice.pk, bob.pk] }).delete();
    });

    test("an unknown path is UnknownFieldError listing the keys at that step, before SQL", async () => {
      const events = await target.statementsDuring(async () => {
        // @ts-expect-error -- checked by the type too
        expect(() => Track.objects.selectRelated("nope")).toThrow(/Track has no foreign key "nope".*album, genre/);
        // @ts-expect-error -- checked by the type too
        expect(() => Track.objects.selectRelated("album__nope")).toThrow(/Album has no foreign key "nope".*artist/);
        // @ts-expect-error -- checked by the type too
        expect(() => Album.objects.selectRelated("tracks")).toThrow(/prefetchRelated\("tracks"\)/);
      });
      expect(events).toHaveLength(0);
    });
  });

  describe("filters across relations", () => {
    test("forward at any depth, with operators, excludes and ordering", async () => {
      expect(await Track.objects.filter({ album__title: "Let There Be Rock" }).count()).toBe(8);
      expect(await Track.objects.filter({ album__title__iexact: "let there be rock" }).count()).toBe(8);
      expect(await Track.objects.filter({ album__artist__name__startswith: "AC/" }).count()).toBe(18);
      expect(await Track.objects.filter({ album__artist__name: "AC/DC" }).exclude({ album__title__icontains: "salute" }).count()).toBe(8);
      const ordered = await Album.objects.filter({ artist__name__in: ["AC/DC", "Accept"] }).orderBy("-artist__name", "title").all();
      // Binary collation on every database: "AC/DC" sorts before "Accept" ("C" < "c").
      expect(ordered.map((album) => album.title)).toEqual([
        "Balls to the Wall",
        "Restless and Wild",
        "For Those About To Rock We Salute You",
        "Let There Be Rock",
      ]);
      expect((await Track.objects.orderBy("album__title", "name").first())!.album.pk).toBe(156);
    });

    test("backwards across reverse relations, without duplicate rows", async () => {
      const found = await Album.objects.filter({ tracks__name__contains: "Rock" }).all();
      const expected = new Set(tracks.filter((row) => String(row.Name).includes("Rock")).map((row) => row.AlbumId));
      expect(found.map((album) => album.pk).sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => (a as number) - (b as number)));
      expect(await Artist.objects.filter({ albums__tracks__milliseconds__gt: 1_000_000 }).count()).toBe(
        new Set(
          tracks
            .filter((row) => (row.Milliseconds as number) > 1_000_000)
            .map((row) => albums.find((album) => album.AlbumId === row.AlbumId)!.ArtistId),
        ).size,
      );
      const withoutRock = await Album.objects.exclude({ tracks__genre__name: "Rock" }).count();
      const rockAlbums = new Set(tracks.filter((row) => row.GenreId === 1).map((row) => row.AlbumId));
      expect(withoutRock).toBe(albums.length - rockAlbums.size);
    });

    test("an unknown name along a path is UnknownFieldError listing what exists at that step", () => {
      // @ts-expect-error -- checked by the type too
      expect(() => Track.objects.filter({ album__nope: 1 })).toThrow(orm.UnknownFieldError);
      // @ts-expect-error -- checked by the type too
      expect(() => Track.objects.filter({ album__nope: 1 })).toThrow(/Album has no field or relation "nope".*title.*artist.*tracks/);
      // @ts-expect-error -- checked by the type too
      expect(() => Track.objects.orderBy("album__nope")).toThrow(orm.UnknownFieldError);
    });

    test("update and delete through a filter across a relation", async () => {
      const artist = await Artist.objects.create({ name: "Temporary Artist" });
      const album = await Album.objects.create({ title: "Temporary", artist });
      await Track.objects.bulkCreate([1, 2, 3].map((n) => ({ name: `t${n}`, album, milliseconds: n })));
      expect(await Track.objects.filter({ album__artist__name: "Temporary Artist" }).update({ milliseconds: 99 })).toBe(3);
      expect(await album.tracks.filter({ milliseconds: 99 }).count()).toBe(3);
      // The same shapes again with other values: each statement binds its own, whatever text it reuses.
      expect(await Track.objects.filter({ album__artist__name: "No Such Artist" }).update({ milliseconds: 99 })).toBe(0);
      expect(await Track.objects.filter({ album__artist__name: "Temporary Artist" }).update({ milliseconds: 7 })).toBe(3);
      expect(await album.tracks.filter({ milliseconds: 99 }).count()).toBe(0);
      expect(await album.tracks.filter({ milliseconds: 7 }).count()).toBe(3);
      expect(await Track.objects.filter({ album__artist: artist, name: "t1" }).delete()).toBe(1);
      expect(await Track.objects.filter({ album__artist: artist, name: "t4" }).delete()).toBe(0);
      expect(await Track.objects.filter({ album__artist: artist }).delete()).toBe(2);
      await album.delete();
      await artist.delete();
    });
  });

  describe("reverse managers", () => {
    test("album.tracks is a manager scoped to the album", async () => {
      const album = await Album.objects.get({ pk: 1 });
      expect(await album.tracks.count()).toBe(10);
      expect((await album.tracks.orderBy("id").first())!.name).toBe("For Those About To Rock (We Salute You)");
      expect(await album.tracks.filter({ name__icontains: "night" }).count()).toBe(1);
      const added = await album.tracks.create({ name: "Hidden track", milliseconds: 5 });
      expect(added.album.pk).toBe(1);
      expect((await album.tracks.get({ name: "Hidden track" })).pk).toBe(added.pk);
      await added.delete();
      expect(await album.tracks.count()).toBe(10);
    });

    test("a OneToOne resolves to one instance, or NoMatch", async () => {
      const ann = await Person.objects.create({ name: "Ann" });
      const ben = await Person.objects.create({ name: "Ben" });
      const profile = await Profile.objects.create({ person: ann, bio: "writes code" });
      expect((await ann.profile).pk).toBe(profile.pk);
      await expect(ben.profile).rejects.toThrow(orm.NoMatch);
      await expect(Profile.objects.create({ person: ann })).rejects.toThrow(orm.IntegrityError);
      await Person.objects.filter({ pk__in: [ann.pk, ben.pk] }).delete();
    });
  });

  describe("prefetchRelated and batching", () => {
    test("N albums with their tracks in 2 statements", async () => {
      let rows: Awaited<ReturnType<typeof Album.objects.all>> = [];
      const events = await target.statementsDuring(async () => {
        rows = await Album.objects.filter({ pk__lte: 50 }).prefetchRelated("tracks").all();
        for (const album of rows) await album.tracks.all();
      });
      expect(events).toHaveLength(2);
      expect(rows).toHaveLength(50);
      const counts = new Map<unknown, number>();
      for (const row of tracks) counts.set(row.AlbumId, (counts.get(row.AlbumId) ?? 0) + 1);
      for (const album of rows) {
        const list = await album.tracks.all();
        expect(list).toHaveLength(counts.get(album.pk) ?? 0);
        for (const track of list) expect(track.album).toBe(album);
      }
    });

    test("prefetched rows land with their own owner whichever order they arrive in", async () => {
      const artist = await Artist.objects.create({ name: "Interleaved" });
      const [first, second] = [await Album.objects.create({ title: "Side A", artist }), await Album.objects.create({ title: "Side B", artist })];
      // Inserted alternately: read back in the table's order, runs of one key and changes of key.
      const tracks = await Track.objects.bulkCreate(
        ["a1", "b1", "b2", "a2", "b3", "a3", "a4"].map((name) => ({ name, album: name.startsWith("a") ? first : second, milliseconds: 1 })),
      );
      try {
        const [a, b] = await Album.objects.filter({ artist }).orderBy("title").prefetchRelated("tracks");
        const names = async (album: Album | undefined) => (await album!.tracks.all()).map((track) => track.name).sort();
        expect(await names(a)).toEqual(["a1", "a2", "a3", "a4"]);
        expect(await names(b)).toEqual(["b1", "b2", "b3"]);
        for (const track of await a!.tracks.all()) expect(track.album).toBe(a);
      } finally {
        await Track.objects.filter({ pk__in: tracks.map((track) => track.pk) }).delete();
        await Album.objects.filter({ artist }).delete();
        await artist.delete();
      }
    });

    test("forward and nested prefetch: one statement per relation", async () => {
      let rows: Awaited<ReturnType<typeof Track.objects.all>> = [];
      const events = await target.statementsDuring(async () => {
        rows = await Track.objects.filter({ pk__lte: 100 }).prefetchRelated("album__artist", "genre").all();
      });
      expect(events).toHaveLength(4);
      // prefetchRelated fills in the same instances at run time; its types keep the stubs (selectRelated narrows them).
      expect(rows.every((track) => typeof (track.album as unknown as Album).artist.pk === "number")).toBe(true);
      expect(rows.every((track) => !String(track.album).endsWith("[sparse]"))).toBe(true);
      // @ts-expect-error -- Album has no relation "nope"
      expect(() => Album.objects.prefetchRelated("nope")).toThrow(orm.UnknownFieldError);
    });

    test("100 concurrent load() calls send one statement", async () => {
      const rows = await Track.objects.orderBy("id").limit(100).all();
      let loaded: Album[] = [];
      const events = await target.statementsDuring(async () => {
        loaded = await Promise.all(rows.map((track) => track.album.load()));
      });
      expect(events).toHaveLength(1);
      expect(loaded.every((album) => typeof album.title === "string")).toBe(true);
    });

    test("loads batch per tick with no cache: a later load sees a changed row", async () => {
      const track = await Track.objects.get({ pk: 10 });
      const before = (await track.album.load()).title;
      await Album.objects.filter({ pk: track.album.pk }).update({ title: "Renamed" });
      const again = await Track.objects.get({ pk: 10 });
      expect((await again.album.load()).title).toBe("Renamed");
      await Album.objects.filter({ pk: track.album.pk }).update({ title: before });
    });

    test("inside a transaction, batched loads run on the transaction's connection", async () => {
      const rows = await Track.objects.orderBy("id").limit(5).all();
      await database.transaction(async () => {
        await Album.objects.filter({ pk: rows[0]!.album.pk }).update({ title: "Uncommitted" });
        const loaded = await Promise.all(rows.map((track) => track.album.load()));
        expect(loaded[0]!.title).toBe("Uncommitted");
        throw new RollBack();
      }).catch((error) => {
        if (!(error instanceof RollBack)) throw error;
      });
      expect((await Album.objects.get({ pk: rows[0]!.album.pk })).title).not.toBe("Uncommitted");
    });
  });

  describe("ON DELETE, enforced by the database", () => {
    test("CASCADE removes the rows that point at a deleted row", async () => {
      const artist = await Artist.objects.create({ name: "Cascade Artist" });
      const album = await Album.objects.create({ title: "Cascade", artist });
      await Track.objects.bulkCreate([{ name: "a", album, milliseconds: 1 }, { name: "b", album, milliseconds: 2 }]);
      await database.execute(orm.sql`DELETE FROM ${orm.raw(database.dialect.quote("album"))} WHERE ${orm.raw(database.dialect.quote("id"))} = ${album.pk}`);
      expect(await Track.objects.filter({ album: album.pk }).count()).toBe(0);
      await artist.delete();
    });

    test("SET NULL empties the key", async () => {
      const genre = await Genre.objects.create({ name: "Short-lived" });
      const track = await Track.objects.create({ name: "Genre goes", album: 1, genre, milliseconds: 1 });
      await genre.delete();
      expect((await Track.objects.get({ pk: track.pk })).genre).toBeNull();
      await track.delete();
    });

    test("RESTRICT refuses with IntegrityError and changes nothing", async () => {
      const artist = await Artist.objects.get({ pk: 1 });
      await expect(artist.delete()).rejects.toThrow(orm.IntegrityError);
      expect(await Artist.objects.filter({ pk: 1 }).exists()).toBe(true);
      expect(await Album.objects.filter({ artist: 1 }).count()).toBe(2);
    });

    test("a key to a row that does not exist is an IntegrityError", async () => {
      await expect(Track.objects.create({ name: "dangling", album: 999_999, milliseconds: 1 })).rejects.toThrow(orm.IntegrityError);
    });
  });

  test("createAll creates referenced tables first and dropAll drops in reverse", async () => {
    const order = database.models.map((meta) => meta.name);
    expect(order.indexOf("Album")).toBeLessThan(order.indexOf("Track"));
    const events = await target.statementsDuring(() => database.createAll());
    const creates = events.map((event) => /CREATE TABLE IF NOT EXISTS [`"](\w+)[`"]/.exec(event.sql)?.[1]).filter(Boolean);
    expect(creates.indexOf("artist")).toBeLessThan(creates.indexOf("album"));
    expect(creates.indexOf("album")).toBeLessThan(creates.indexOf("track"));
    expect(creates.indexOf("genre")).toBeLessThan(creates.indexOf("track"));
  });
});

class RollBack extends Error {}
