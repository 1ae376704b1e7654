// The Python original's second example: a foreign key, sparse stubs, load(), selectRelated, filters across it.
//   npm run demo:albums            (SQLite file)   DATABASE_URL=... for PostgreSQL or MariaDB
import assert from "node:assert/strict";
import * as orm from "../lib/index.js";

const database = new orm.Database(process.env.DATABASE_URL ?? "sqlite:///playground/albums.sqlite");

// Subclassing types the reverse manager that Track's foreign key adds.
class Album extends orm.Model.define("Album", {
  id: orm.Integer({ primaryKey: true }),
  name: orm.String({ maxLength: 100 }),
}, { database, tablename: "album" }) {
  declare static objects: orm.Manager<Album>;
  declare tracks: orm.RelatedManager<orm.Infer<typeof Track>>;
}

const Track = orm.Model.define("Track", {
  id: orm.Integer({ primaryKey: true }),
  album: orm.ForeignKey(Album),
  title: orm.String({ maxLength: 100 }),
  position: orm.Integer(),
}, { database, tablename: "track" });

await database.dropAll();
await database.createAll();

// Create some records to work with.
const malibu = await Album.objects.create({ name: "Malibu" });
await Track.objects.create({ album: malibu, title: "The Bird", position: 1 });
await Track.objects.create({ album: malibu, title: "Heart don't stand a chance", position: 2 });
await Track.objects.create({ album: malibu, title: "The Waters", position: 3 });

const fantasies = await Album.objects.create({ name: "Fantasies" });
await Track.objects.create({ album: fantasies, title: "Help I'm Alive", position: 1 });
await Track.objects.create({ album: fantasies, title: "Sick Muse", position: 2 });

// Fetch an instance, without loading a foreign key relationship on it.
const track = await Track.objects.get({ title: "The Bird" });

// We have an album instance, but it only has the primary key populated
console.log(String(track.album)); // Album(id=1) [sparse]
console.log(track.album.pk);      // 1
try {
  // @ts-expect-error -- the type says it too: a sparse stub has no `name` until loaded
  console.log(track.album.name);
} catch (error) {
  console.log(`${(error as Error).name}: ${(error as Error).message}`);
}

// Load the relationship from the database: load() fills the stub in place and returns it, typed as loaded.
const album = await track.album.load();
assert.equal(album.name, "Malibu");

// This time, fetch an instance, loading the foreign key relationship.
const joined = await Track.objects.selectRelated("album").get({ title: "The Bird" });
assert.equal(joined.album.name, "Malibu");

// Fetch instances, with a filter across an FK relationship.
const tracks = await Track.objects.filter({ album__name: "Fantasies" });
assert.equal(tracks.length, 2);

// Fetch instances, with a filter and operator across an FK relationship.
const same = await Track.objects.filter({ album__name__iexact: "fantasies" });
assert.equal(same.length, 2);
console.log("count across the FK:", await Track.objects.filter({ album__name: "Fantasies" }).count());

// The reverse side, prefetching and batching.
console.log("malibu.tracks:", (await malibu.tracks.all()).map((t) => t.title));
const albums = await Album.objects.prefetchRelated("tracks").all();
console.log("prefetched:", await Promise.all(albums.map(async (a) => `${a.name}: ${(await a.tracks.all()).length} tracks`)));
const stubs = await Track.objects.all();
const loaded = await Promise.all(stubs.map((t) => t.album.load()));
console.log("loaded together:", loaded.map((a) => a.name));

await database.disconnect();
