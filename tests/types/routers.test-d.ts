// Type-level tests of several databases: using(database) keeps the QuerySet's type, routers and save({ using }) are typed.
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expectTypeOf, test } from "vitest";
import * as orm from "../../lib/index.js";

const tenant = new AsyncLocalStorage<orm.Database>();
const router: orm.Router = {
  read: (_model, hints) => (hints.instance ? undefined : tenant.getStore()),
  write: () => null,
};
const home = new orm.Database("sqlite::memory:", { router });
const other = new orm.Database("sqlite::memory:");

class Artist extends orm.Model.define("Artist", { name: orm.String({ maxLength: 60 }) }, { database: home }) {
  declare static objects: orm.Manager<Artist>;
}
const Album = orm.Model.define("Album", { title: orm.String({ maxLength: 60 }), artist: orm.ForeignKey(Artist) }, { database: home });

describe("several databases", () => {
  test("using(database) keeps the QuerySet's type, whatever came before it", async () => {
    expectTypeOf(Artist.objects.using(other)).toEqualTypeOf<orm.QuerySet<Artist>>();
    const filtered = Artist.objects.filter({ name: "x" }).using(other);
    expectTypeOf(filtered).toEqualTypeOf<orm.QuerySet<Artist>>();
    expectTypeOf<Awaited<ReturnType<typeof filtered.first>>>().toEqualTypeOf<Artist | null>();
    const album = await Album.objects.selectRelated("artist").using(other).first();
    expectTypeOf(album!.artist.name).toEqualTypeOf<string>();
    const names = await Artist.objects.using(other).values("name");
    expectTypeOf(names).toEqualTypeOf<{ name: string }[]>();
    expectTypeOf(Artist.objects.using("primary")).toEqualTypeOf<orm.QuerySet<Artist>>();
    // @ts-expect-error a database is a Database, not its name
    Artist.objects.using("other");
    // @ts-expect-error nor its URL
    Artist.objects.using(other.url);
  });

  test("save({ using }) takes a Database and returns the instance", async () => {
    const artist = await Artist.objects.get({ pk: 1 });
    expectTypeOf(artist.save({ using: other })).toEqualTypeOf<Promise<Artist>>();
    expectTypeOf<orm.SaveOptions>().toEqualTypeOf<{ using?: orm.Database; signal?: orm.AbortSignalLike; timeoutMs?: number }>();
    // @ts-expect-error using takes a Database
    void artist.save({ using: "other" });
  });

  test("a router's methods take the model and hints, and return a Database, or undefined or null", () => {
    expectTypeOf<Parameters<NonNullable<orm.Router["read"]>>>().toEqualTypeOf<[orm.AnyModelClass, orm.RouterHints]>();
    expectTypeOf<ReturnType<NonNullable<orm.Router["write"]>>>().toEqualTypeOf<orm.Database | null | undefined>();
    expectTypeOf<orm.RouterHints["instance"]>().toEqualTypeOf<orm.InstanceMethods | undefined>();
    expectTypeOf(home.router).toEqualTypeOf<orm.Router | undefined>();
    // @ts-expect-error a router returns a Database, not a name
    new orm.Database("sqlite::memory:", { router: { read: () => "replica" } });
    // @ts-expect-error read is a function
    new orm.Database("sqlite::memory:", { router: { read: other } });
  });
});
