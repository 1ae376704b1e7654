import { AsyncLocalStorage } from "node:async_hooks";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect, placeFor } from "./helpers/databases.js";

/** The names in a table, read straight from one database (no model, no router): where did the statement land? */
async function namesIn(database: orm.Database, table: string, column = "name"): Promise<string[]> {
  const q = (name: string) => database.dialect.quote(name);
  const rows = await database.query(orm.raw(`SELECT ${q(column)} AS v FROM ${q(table)} ORDER BY ${q(column)}`));
  return rows.map((row) => String(row.v));
}

describeEachDialect("routers", (target) => {
  const a = target.database;
  const placeB = placeFor(target.dialect, "routers b");
  const placeC = placeFor(target.dialect, "routers c");
  const b = new orm.Database(placeB.url);
  const c = new orm.Database(placeC.url);

  class Artist extends orm.Model.define("Artist", { name: orm.String({ maxLength: 60 }) }, { database: a }) {
    declare static objects: orm.Manager<Artist>;
    declare albums: orm.RelatedManager<Album>;
  }
  const Tag = orm.Model.define("Tag", { name: orm.String({ maxLength: 30 }) }, { database: a });
  class Album extends orm.Model.define(
    "Album",
    { name: orm.String({ maxLength: 60 }), artist: orm.ForeignKey(Artist, { relatedName: "albums" }), tags: orm.ManyToMany(Tag) },
    { database: a },
  ) {
    declare static objects: orm.Manager<Album>;
    declare tags: orm.ManyRelatedManager<orm.Infer<typeof Tag>>;
  }

  // Models whose home has a router, on the same place as `a` (tables of their own).
  const tenant = new AsyncLocalStorage<orm.Database>();
  const tenanted = new orm.Database(target.url, { router: { read: () => tenant.getStore(), write: () => tenant.getStore() } });
  const Note = orm.Model.define("Note", { name: orm.String({ maxLength: 60 }) }, { database: tenanted });

  // Reads of Log go to b, its writes to c; Counter is left alone (its home).
  const hinted: Array<{ method: string; model: string; instance: unknown }> = [];
  const split: orm.Database = new orm.Database(target.url, {
    router: {
      read(model, hints) {
        hinted.push({ method: "read", model: model.name, instance: hints.instance });
        return model.name === "Log" ? b : undefined;
      },
      write(model, hints) {
        hinted.push({ method: "write", model: model.name, instance: hints.instance });
        return model.name === "Log" ? c : null;
      },
    },
  });
  const Log = orm.Model.define("Log", { name: orm.String({ maxLength: 60 }) }, { database: split });
  const Counter = orm.Model.define("Counter", { name: orm.String({ maxLength: 60 }) }, { database: split });

  let wrong: unknown = "b";
  const broken = new orm.Database(target.url, { router: { read: () => wrong as orm.Database } });
  const Broken = orm.Model.define("Broken", { name: orm.String({ maxLength: 60 }) }, { database: broken });

  beforeAll(async () => {
    await placeB.create();
    await placeC.create();
    await a.createAll();
    await tenanted.createAll();
    await split.createAll();
    await broken.createAll();
    for (const other of [b, c]) {
      await other.createAll(a);
      await other.createAll(tenanted);
      await other.createAll(split);
    }
  });
  afterAll(async () => {
    for (const database of [tenanted, split, broken, b, c]) await database.disconnect();
    await placeB.destroy();
    await placeC.destroy();
  });
  beforeEach(async () => {
    for (const database of [a, b, c]) {
      for (const table of ["album_tags", "album", "artist", "tag", "note", "log", "counter"]) await database.execute(orm.raw(`DELETE FROM ${database.dialect.quote(table)}`));
    }
    hinted.length = 0;
  });

  describe("using(database)", () => {
    test("every terminal method runs on the database given", async () => {
      await Artist.objects.create({ name: "home" });
      const on = Artist.objects.using(b);
      const created = await on.create({ name: "Abba" });
      await on.bulkCreate([{ name: "Beck" }, { name: "Cher" }]);
      const [dylan, made] = await on.getOrCreate({ name: "Dylan" });
      expect(made).toBe(true);
      expect((await on.getOrCreate({ name: "Dylan" }))[1]).toBe(false);
      await on.updateOrCreate({ name: "Enya" }, {});
      expect(await namesIn(b, "artist")).toEqual(["Abba", "Beck", "Cher", "Dylan", "Enya"]);
      expect(await namesIn(a, "artist")).toEqual(["home"]);

      expect((await on).map((artist) => artist.name).sort()).toEqual(["Abba", "Beck", "Cher", "Dylan", "Enya"]);
      expect((await on.get({ pk: created.pk })).name).toBe("Abba");
      expect((await on.get({ name: "Beck" })).name).toBe("Beck");
      expect(await on.count()).toBe(5);
      expect(await on.filter({ name: "home" }).exists()).toBe(false);
      expect((await on.orderBy("name").first())?.name).toBe("Abba");
      expect((await on.orderBy("name").last())?.name).toBe("Enya");
      expect(await on.aggregate({ n: orm.Count("id") })).toEqual({ n: 5 });
      expect(await on.orderBy("name").valuesList("name", { flat: true })).toEqual(["Abba", "Beck", "Cher", "Dylan", "Enya"]);
      expect(await on.filter({ name: "Cher" }).values("name")).toEqual([{ name: "Cher" }]);
      expect((await on.inBulk([dylan.pk])).get(dylan.pk)?.name).toBe("Dylan");
      const streamed: string[] = [];
      for await (const artist of on.orderBy("name").iterate({ batchSize: 2 })) streamed.push(artist.name);
      expect(streamed).toEqual(["Abba", "Beck", "Cher", "Dylan", "Enya"]);

      expect(await on.filter({ name: "Beck" }).update({ name: "Bjork" })).toBe(1);
      expect(await on.filter({ name: "Cher" }).delete()).toBe(1);
      expect(await namesIn(b, "artist")).toEqual(["Abba", "Bjork", "Dylan", "Enya"]);
      expect(await namesIn(a, "artist")).toEqual(["home"]);
      // The home database saw none of it.
      expect(await Artist.objects.count()).toBe(1);
    });

    test("selectRelated and prefetchRelated load from the same database", async () => {
      const home = await Artist.objects.create({ name: "home" });
      await Album.objects.create({ name: "home album", artist: home });
      const artist = await Artist.objects.using(b).create({ name: "Abba" });
      const album = await Album.objects.using(b).create({ name: "Arrival", artist });
      const tag = await Tag.objects.using(b).create({ name: "pop" });
      await album.tags.add(tag);

      const [joined] = await Album.objects.using(b).selectRelated("artist");
      expect(joined!.artist.name).toBe("Abba");
      const [withAlbums] = await Artist.objects.using(b).prefetchRelated("albums", "albums__tags");
      expect(withAlbums!.albums).toBeDefined();
      expect((await withAlbums!.albums.all()).map((row) => row.name)).toEqual(["Arrival"]);
      const [prefetched] = await Album.objects.using(b).prefetchRelated("artist", "tags");
      expect(prefetched!.artist.name).toBe("Abba");
      expect((await prefetched!.tags.all()).map((row) => row.name)).toEqual(["pop"]);
    });

    test('using("primary") still reads from the home database\'s primary', async () => {
      await Artist.objects.create({ name: "home" });
      expect(await Artist.objects.using("primary").count()).toBe(1);
      expect(() => Artist.objects.using("b" as never)).toThrow(/Artist\.objects\.using\(\) takes a Database or "primary"/);
    });
  });

  describe("instances remember their database", () => {
    test("save(), update(), load(), delete() and the foreign key's stub go where the row was read", async () => {
      await Artist.objects.create({ name: "Abba" });
      const inB = await Artist.objects.using(b).create({ name: "Abba" });
      await Album.objects.using(b).create({ name: "Arrival", artist: inB });

      const artist = await Artist.objects.using(b).get({ name: "Abba" });
      artist.name = "ABBA";
      await artist.save();
      expect(await namesIn(b, "artist")).toEqual(["ABBA"]);
      expect(await namesIn(a, "artist")).toEqual(["Abba"]);
      await artist.update({ name: "A.B.B.A." });
      expect(await namesIn(b, "artist")).toEqual(["A.B.B.A."]);
      await b.execute(orm.raw(`UPDATE ${b.dialect.quote("artist")} SET ${b.dialect.quote("name")} = 'Reloaded'`));
      await artist.load();
      expect(artist.name).toBe("Reloaded");

      const album = await Album.objects.using(b).get({ name: "Arrival" });
      const stub = album.artist as unknown as Artist;
      await stub.load();
      expect(stub.name).toBe("Reloaded");

      // Reverse and many-to-many managers of the instance read and write its database.
      const albums = artist.albums;
      expect((await albums.all()).map((row) => row.name)).toEqual(["Arrival"]);
      await artist.albums.create({ name: "Voulez-Vous" });
      expect(await namesIn(b, "album")).toEqual(["Arrival", "Voulez-Vous"]);
      expect(await namesIn(a, "album")).toEqual([]);
      const tag = await Tag.objects.using(b).create({ name: "pop" });
      await album.tags.add(tag);
      expect((await album.tags.all()).map((row) => row.name)).toEqual(["pop"]);
      await album.tags.create({ name: "disco" });
      expect(await namesIn(b, "tag")).toEqual(["disco", "pop"]);
      expect(await namesIn(a, "tag")).toEqual([]);
      await album.tags.clear();
      expect(await album.tags.count()).toBe(0);

      await Album.objects.using(b).delete();
      await artist.delete();
      expect(await namesIn(b, "artist")).toEqual([]);
      expect(await namesIn(a, "artist")).toEqual(["Abba"]);
    });

    test("save({ using }) copies a row to another database, key and all; the copy then belongs there", async () => {
      const artist = await Artist.objects.create({ name: "Abba" });
      await artist.save({ using: b });
      const copied = await Artist.objects.using(b).get({ pk: artist.pk });
      expect(copied.name).toBe("Abba");
      artist.name = "ABBA";
      await artist.save();
      expect(await namesIn(b, "artist")).toEqual(["ABBA"]);
      expect(await namesIn(a, "artist")).toEqual(["Abba"]);
      // Saved again to where its row already is: an UPDATE, not a second row.
      await artist.save({ using: b });
      expect(await Artist.objects.using(b).count()).toBe(1);
      // A new row goes where it is told.
      await new Artist({ name: "Beck" }).save({ using: c });
      expect(await namesIn(c, "artist")).toEqual(["Beck"]);
    });
  });

  describe("a router", () => {
    test("reads and writes go where read() and write() say; undefined or null is the home database", async () => {
      const log = await Log.objects.create({ name: "written" });
      expect(await namesIn(c, "log")).toEqual(["written"]);
      expect(await namesIn(b, "log")).toEqual([]);
      expect(await namesIn(a, "log")).toEqual([]);
      await b.execute(orm.raw(`INSERT INTO ${b.dialect.quote("log")} (${b.dialect.quote("id")}, ${b.dialect.quote("name")}) VALUES (${Number(log.pk)}, 'replicated')`));
      expect((await Log.objects.all()).map((row) => row.name)).toEqual(["replicated"]);
      expect(await Log.objects.count()).toBe(1);
      log.name = "rewritten";
      await log.save();
      expect(await namesIn(c, "log")).toEqual(["rewritten"]);
      expect(hinted.some((hint) => hint.method === "write" && hint.model === "Log" && hint.instance === log)).toBe(true);
      // load() reads where the router's read() says (b), told which instance.
      hinted.length = 0;
      await log.load();
      expect(log.name).toBe("replicated");
      expect(hinted).toEqual([{ method: "read", model: "Log", instance: log }]);

      await Counter.objects.create({ name: "home" });
      expect(await namesIn(a, "counter")).toEqual(["home"]);
      expect(await Counter.objects.count()).toBe(1);
      // An explicit using() is not asked about.
      hinted.length = 0;
      expect(await Log.objects.using(c).count()).toBe(1);
      expect(hinted).toEqual([]);
    });

    test("a tenant per request through AsyncLocalStorage: concurrent requests never mix", async () => {
      const request = async (database: orm.Database, index: number) =>
        tenant.run(database, async () => {
          await new Promise((resolve) => setTimeout(resolve, (index * 7) % 5));
          const note = await Note.objects.create({ name: `${database === b ? "b" : "c"}${index}` });
          await new Promise((resolve) => setTimeout(resolve, (index * 3) % 4));
          note.name = `${note.name}!`;
          await note.save();
          return (await Note.objects.all()).map((row) => row.name);
        });
      const seen = await Promise.all(Array.from({ length: 24 }, (_, index) => request(index % 2 === 0 ? b : c, index)));
      for (const [index, names] of seen.entries()) expect(names.every((name) => name.startsWith(index % 2 === 0 ? "b" : "c"))).toBe(true);
      const inB = await namesIn(b, "note");
      const inC = await namesIn(c, "note");
      expect(inB).toHaveLength(12);
      expect(inC).toHaveLength(12);
      expect(inB.every((name) => name.startsWith("b") && name.endsWith("!"))).toBe(true);
      expect(inC.every((name) => name.startsWith("c") && name.endsWith("!"))).toBe(true);
      // Outside any request: the home database.
      await Note.objects.create({ name: "home" });
      expect(await namesIn(a, "note")).toEqual(["home"]);
    });

    test("what a router returns is checked: a TypeError names the model and the method", async () => {
      wrong = "b";
      await expect(Broken.objects.count()).rejects.toThrow(TypeError);
      await expect(Broken.objects.count()).rejects.toThrow(/router\.read\(\) .*Broken.*returned the string "b".*Database/);
      wrong = { url: "x" };
      // all() fails as its promise, not as a throw where the QuerySet is awaited.
      let pending: Promise<unknown> | undefined;
      expect(() => (pending = Broken.objects.all())).not.toThrow();
      await expect(pending).rejects.toThrow(/router\.read\(\).*Broken/);
      wrong = Promise.resolve(b);
      await expect(Broken.objects.count()).rejects.toThrow(/router\.read\(\) for Broken returned a Promise \(a router answers synchronously: no async\)/);
      wrong = undefined;
      expect(await Broken.objects.count()).toBe(0);
      expect(() => new orm.Database("sqlite://:memory:", { router: { read: "b" } as never })).toThrow(/router\.read must be a function/);
    });
  });

  describe("refusals", () => {
    test("a relation between rows of two databases is refused: a foreign key, add(), save()", async () => {
      const home = await Artist.objects.create({ name: "home" });
      const inB = await Artist.objects.using(b).create({ name: "Abba" });
      const album = await Album.objects.using(b).create({ name: "Arrival", artist: inB });
      expect(() => (album.artist = home)).toThrow(orm.ValidationError);
      expect(() => (album.artist = home)).toThrow(/Album\.artist.*Artist.*Database\(.*\).*Database\(/);
      const tagA = await Tag.objects.create({ name: "pop" });
      await expect(album.tags.add(tagA)).rejects.toThrow(orm.ValidationError);
      await expect(album.tags.add(tagA)).rejects.toThrow(/Album\.tags\.add\(\).*Tag.*another database/);
      // A new row holding a row of b cannot be saved to a.
      await expect(new Album({ name: "x", artist: inB }).save({ using: a })).rejects.toThrow(/Album\.artist/);
      // ...but saved without using(), it goes where its artist is (as in Django).
      const adopted = new Album({ name: "adopted", artist: inB });
      await adopted.save();
      expect(await namesIn(b, "album")).toEqual(["Arrival", "adopted"]);
      expect(await namesIn(a, "album")).toEqual([]);
    });

    test("bulkCreate() and update() refuse a row of another database in a foreign key, before any SQL", async () => {
      const home = await Artist.objects.create({ name: "home" });
      const inB = await Artist.objects.using(b).create({ name: "Abba" });
      const sentToB: string[] = [];
      const listener = (event: orm.QueryEvent) => sentToB.push(event.sql);
      b.on("query", listener);
      try {
        const bulk = Album.objects.using(b).bulkCreate([{ name: "fine", artist: inB }, { name: "stray", artist: home }]);
        await expect(bulk).rejects.toThrow(orm.ValidationError);
        await expect(Album.objects.using(b).bulkCreate([{ name: "stray", artist: home }])).rejects.toThrow(/Album\.artist.*another database/);
        await expect(Album.objects.using(b).filter({ name: "none" }).update({ artist: home })).rejects.toThrow(/Album\.artist.*another database/);
        expect(sentToB).toEqual([]);
      } finally {
        b.off("query", listener);
      }
      // Rows of its own database, and bare keys (the database's own constraint checks those), go through.
      expect(await Album.objects.using(b).bulkCreate([{ name: "own", artist: inB }, { name: "by key", artist: inB.pk }])).toHaveLength(2);
      expect(await Album.objects.using(b).filter({ name: "own" }).update({ artist: inB })).toBe(1);
    });

    test("inside a.transaction(), a statement on b without b's own transaction is refused before any SQL", async () => {
      const sentToB: string[] = [];
      const listener = (event: orm.QueryEvent) => sentToB.push(event.sql);
      b.on("query", listener);
      try {
        await expect(a.transaction(() => Artist.objects.using(b).count())).rejects.toThrow(orm.TransactionError);
        await expect(a.transaction(() => Artist.objects.using(b).create({ name: "x" }))).rejects.toThrow(/b\.transaction\(\)|transaction\(\) of Database\(/);
        const inB = await Artist.objects.using(b).create({ name: "Abba" });
        sentToB.length = 0;
        await expect(a.transaction(() => inB.save())).rejects.toThrow(orm.TransactionError);
        await expect(tenant.run(b, () => a.transaction(() => Note.objects.count()))).rejects.toThrow(orm.TransactionError);
        expect(sentToB).toEqual([]);
      } finally {
        b.off("query", listener);
      }
      const secret = new orm.Database("postgresql://someone:s3cret@127.0.0.1:1/nowhere");
      const refusal = await a.transaction(() => Artist.objects.using(secret).count()).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(orm.TransactionError);
      expect(String((refusal as Error).message)).toMatch(/Artist/);
      expect(String((refusal as Error).message)).not.toContain("s3cret");
    });

    test("a nested b.transaction() inside a.transaction() is allowed; each commits on its own (not atomic across both)", async () => {
      await a.transaction(async () => {
        await Artist.objects.create({ name: "in a" });
        await b.transaction(() => Artist.objects.using(b).create({ name: "in b" }));
      });
      expect(await namesIn(a, "artist")).toEqual(["in a"]);
      expect(await namesIn(b, "artist")).toEqual(["in b"]);
      const failure = await a
        .transaction(async () => {
          await Artist.objects.create({ name: "rolled back" });
          await b.transaction(() => Artist.objects.using(b).create({ name: "committed" }));
          throw new Error("after b committed");
        })
        .catch((error: unknown) => error);
      expect((failure as Error).message).toBe("after b committed");
      expect(await namesIn(a, "artist")).toEqual(["in a"]);
      expect(await namesIn(b, "artist")).toEqual(["committed", "in b"]);
      // Inside both, b's statements use b's transaction: rolled back with it.
      await b
        .transaction(() => a.transaction(async () => {
          await Artist.objects.using(b).create({ name: "gone" });
          throw new Error("rollback");
        }))
        .catch(() => undefined);
      expect(await namesIn(b, "artist")).toEqual(["committed", "in b"]);
    });
  });
});

describeEachDialect("routers: copying from a SQLite file", (target) => {
  const file = join(tmpdir(), `q_routers_copy_${randomBytes(4).toString("hex")}.sqlite`);
  const source = new orm.Database(`sqlite:///${file}`);
  const Artist = orm.Model.define("Artist", { name: orm.String({ maxLength: 60 }), born: orm.Date({ allowNull: true }), rating: orm.Decimal({ maxDigits: 6, decimalPlaces: 2 }), active: orm.Boolean() }, { database: source });
  const Album = orm.Model.define("Album", { name: orm.String({ maxLength: 60 }), artist: orm.ForeignKey(Artist, { relatedName: "albums" }), meta: orm.JSON({ default: {} }) }, { database: source });

  beforeAll(async () => {
    await source.createAll();
    await target.database.createAll(source);
  });
  afterAll(async () => {
    await source.disconnect();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
  });

  test(`each row of the SQLite file is written to ${target.dialect}, compiled for ${target.dialect}`, async () => {
    const abba = await Artist.objects.create({ name: "Abba", born: "1972-01-01", rating: "9.50", active: true });
    const beck = await Artist.objects.create({ name: "Beck", born: null, rating: "7.25", active: false });
    await Album.objects.create({ name: "Arrival", artist: abba, meta: { year: 1976 } });
    await Album.objects.create({ name: "Odelay", artist: beck, meta: { tracks: [1, 2] } });

    for (const artist of await Artist.objects.all()) await artist.save({ using: target.database });
    await Album.objects.using(target.database).bulkCreate((await Album.objects.values("id", "name", "artist", "meta")) as never);

    expect(await namesIn(target.database, "artist")).toEqual(["Abba", "Beck"]);
    const copied = await Album.objects.using(target.database).selectRelated("artist").orderBy("name");
    expect(copied.map((album) => [album.name, album.artist.name, album.artist.rating, album.artist.active, album.meta])).toEqual([
      ["Arrival", "Abba", "9.50", true, { year: 1976 }],
      ["Odelay", "Beck", "7.25", false, { tracks: [1, 2] }],
    ]);
    // The same query shape, compiled for each database's dialect in turn, never mixes their texts.
    for (let round = 0; round < 3; round++) {
      expect((await Artist.objects.get({ name: "Beck" })).born).toBeNull();
      expect((await Artist.objects.using(target.database).get({ name: "Beck" })).born).toBeNull();
      expect(await Artist.objects.filter({ name__in: ["Abba"] }).count()).toBe(1);
      expect(await Artist.objects.using(target.database).filter({ name__in: ["Abba"] }).count()).toBe(1);
    }
    // The server's key sequence moved past the copied keys: a new row there gets a fresh one.
    const next = await Artist.objects.using(target.database).create({ name: "Cher", rating: "5.00", active: true });
    expect(Number(next.pk)).toBeGreaterThan(Number(beck.pk));
  });
});
