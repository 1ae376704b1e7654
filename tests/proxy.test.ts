import { types } from "node:util";
import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf, onlyFields } from "./helpers/fixtures.js";

// Issue 20: the Proxy design. The class Model.define returns is a Proxy; sparse stubs and only()/defer() rows are
// Proxies that raise on unloaded fields; whole rows are plain instances.
describeEachDialect("proxies", ({ database }) => {
  const Album = orm.Model.define("Album", { name: orm.String() }, { database });
  const Track = orm.Model.define("Track", { title: orm.String(), album: orm.ForeignKey(Album), position: orm.Integer({ default: 1 }) }, { database });
  class Song extends Track {
    declare static objects: orm.Manager<Song>;
    get label(): string {
      return `${this.position}. ${this.title}`;
    }
  }

  beforeAll(async () => {
    await database.createAll();
    const album = await Album.objects.create({ name: "Fantasies" });
    await Track.objects.create({ title: "The Bird", album, position: 2 });
  });

  test("the model class is a Proxy whose misses name Model.objects", async () => {
    expect(types.isProxy(Track)).toBe(true);
    const misspelt = await errorOf(() => (Track as unknown as { object: unknown }).object);
    expect(misspelt).toBeInstanceOf(TypeError);
    expect(misspelt.message).toBe("Track.object does not exist: use Track.objects, where every query starts: .objects.filter({ ... })");
    expect((await errorOf(() => (Track as unknown as { findAll(): unknown }).findAll())).message).toBe(
      "Track.findAll does not exist: use Track.objects.all() or .objects.filter({ ... })",
    );
    expect((await errorOf(() => (Track as unknown as { filter(): unknown }).filter())).message).toBe("Track.filter does not exist: use Track.objects.filter(...)");
    expect((await errorOf(() => (Song as unknown as { findOne(): unknown }).findOne())).message).toMatch(/^Song\.findOne does not exist: use Song\.objects\.get/);
    expect((await errorOf(() => (Track as unknown as { feilds: unknown }).feilds)).message).toBe("Track.feilds does not exist: use Track.fields");
  });

  test("probes of the class read as undefined, as on any class", async () => {
    const loose = Track as unknown as Record<string | symbol, unknown>;
    expect(loose.then).toBeUndefined();
    expect(loose.toJSON).toBeUndefined();
    expect(loose.$$typeof).toBeUndefined();
    expect(loose[Symbol.for("nodejs.util.inspect.custom")]).toBeUndefined();
    expect(await Promise.resolve(Track)).toBe(Track);
    expect(Track.name).toBe("Track");
  });

  test("whole rows are plain instances; their constructor is the class the user holds", async () => {
    const track = await Track.objects.get({ title: "The Bird" });
    expect(types.isProxy(track)).toBe(false);
    expect(track.constructor).toBe(Track);
    expect(track).toBeInstanceOf(Track);
    const song = await Song.objects.get({ title: "The Bird" });
    expect(types.isProxy(song)).toBe(false);
    expect(song.label).toBe("2. The Bird");
  });

  test("a sparse stub is a Proxy that raises on unloaded fields and passes everything else", async () => {
    const track = await Track.objects.get({ title: "The Bird" });
    const album = track.album;
    expect(types.isProxy(album)).toBe(true);
    expect(album).toBeInstanceOf(Album);
    expect(album.pk).toBeTypeOf("number");
    const error = await errorOf(() => (album as unknown as { name: string }).name);
    expect(error).toBeInstanceOf(orm.UnloadedFieldError);
    expect(error.message).toMatch(/track\.album is a sparse Album/);
    expect((album as unknown as { then?: unknown }).then).toBeUndefined();
    expect(JSON.stringify(track)).toContain(`"album":${album.pk}`);
    await album.load();
    expect((album as unknown as { name: string }).name).toBe("Fantasies");
    expect(track.album).toBe(album);
  });

  test("only() and defer() rows are Proxies that raise on what they did not load", async () => {
    const [only] = await onlyFields(Song.objects, "title");
    expect(types.isProxy(only)).toBe(true);
    expect(only!.title).toBe("The Bird");
    expect(() => only!.position).toThrow(orm.UnloadedFieldError);
    expect(() => only!.label).toThrow(orm.UnloadedFieldError);
    const [deferred] = await Track.objects.defer("position");
    expect(types.isProxy(deferred)).toBe(true);
    expect(() => deferred!.position).toThrow(/Track\.position is not loaded/);
    deferred!.position = 5;
    await deferred!.save();
    expect((await Track.objects.get({ pk: deferred!.pk })).position).toBe(5);
  });
});
