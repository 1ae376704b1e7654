import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { chinook } from "./helpers/fixtures.js";

// Chinook's playlists and tracks are a real many-to-many (its PlaylistTrack table): every answer below is
// worked out in plain TypeScript over data/chinook.json and compared with what quarry reads back.
const genres = chinook("Genre");
const tracks = chinook("Track");
const playlists = chinook("Playlist");
const links = chinook("PlaylistTrack");

const genreName = new Map(genres.map((row) => [row.GenreId as number, row.Name as string]));
const trackById = new Map(tracks.map((row) => [row.TrackId as number, row]));
const tracksOf = new Map<number, number[]>(playlists.map((row) => [row.PlaylistId as number, []]));
for (const link of links) tracksOf.get(link.PlaylistId as number)!.push(link.TrackId as number);
const playlistName = new Map(playlists.map((row) => [row.PlaylistId as number, row.Name as string]));

const byNumber = (a: number, b: number) => a - b;

describeEachDialect("many-to-many over Chinook", (target) => {
  const { database } = target;
  const Genre = orm.Model.define("Genre", { name: orm.String({ maxLength: 120 }) }, { database });
  const Track = orm.Model.define(
    "Track",
    { name: orm.String({ maxLength: 200 }), genre: orm.ForeignKey(Genre, { allowNull: true }), milliseconds: orm.Integer() },
    { database },
  );
  const Playlist = orm.Model.define(
    "Playlist",
    { name: orm.String({ maxLength: 120 }), tracks: orm.ManyToMany(Track, { through: "PlaylistTrack" }) },
    { database },
  );
  orm.Model.define("PlaylistTrack", { playlist: orm.ForeignKey(Playlist), track: orm.ForeignKey(Track) }, { database, tablename: "playlist_track", constraints: [{ unique: ["playlist", "track"] }] });

  beforeAll(async () => {
    await database.createAll();
    await Genre.objects.bulkCreate(genres.map((row) => ({ id: row.GenreId as number, name: row.Name as string })));
    await Track.objects.bulkCreate(
      tracks.map((row) => ({ id: row.TrackId as number, name: row.Name as string, genre: row.GenreId as number, milliseconds: row.Milliseconds as number })),
    );
    await Playlist.objects.bulkCreate(playlists.map((row) => ({ id: row.PlaylistId as number, name: row.Name as string })));
    // Loaded through the manager: the largest playlist links 3,290 tracks in one add().
    for (const [id, ids] of tracksOf) if (ids.length > 0) await (await Playlist.objects.get({ pk: id })).tracks.add(...ids);
  }, 120_000);

  test("every link arrived, once", async () => {
    const counted = await Playlist.objects.annotate({ n: orm.Count("tracks") }).orderBy("id").valuesList("id", "n");
    expect(counted).toEqual([...tracksOf].map(([id, ids]) => [id, ids.length]));
  });

  test("prefetchRelated gives each playlist its tracks, in one statement more", async () => {
    let loaded: orm.Infer<typeof Playlist>[] = [];
    const statements = await target.statementsDuring(async () => {
      loaded = await Playlist.objects.orderBy("id").prefetchRelated("tracks").all();
    });
    expect(statements).toHaveLength(2);
    for (const playlist of loaded) {
      const ids = (await playlist.tracks.all()).map((track) => track.pk).sort(byNumber);
      expect(ids).toEqual([...tracksOf.get(playlist.pk)!].sort(byNumber));
    }
  });

  test("filters through it give each playlist once", async () => {
    const hasGenre = (id: number, genre: string) => tracksOf.get(id)!.some((track) => genreName.get(trackById.get(track)!.GenreId as number) === genre);
    for (const genre of ["Rock", "Jazz", "Classical", "Opera"]) {
      const expected = [...tracksOf.keys()].filter((id) => hasGenre(id, genre));
      expect(await Playlist.objects.filter({ tracks__genre__name: genre }).orderBy("id").valuesList("id", { flat: true })).toEqual(expected);
      expect(await Playlist.objects.filter({ tracks__genre__name: genre }).count()).toBe(expected.length);
      const without = [...tracksOf.keys()].filter((id) => !hasGenre(id, genre));
      expect(await Playlist.objects.exclude({ tracks__genre__name: genre }).orderBy("id").valuesList("id", { flat: true })).toEqual(without);
    }
  });

  test("conditions in one filter hold for one track together; chained filters may each match a different track", async () => {
    // Playlists with a Jazz track over 10 minutes, against those with a Jazz track and a (maybe other) track over 10 minutes.
    const jazz = (track: number) => genreName.get(trackById.get(track)!.GenreId as number) === "Jazz";
    const long = (track: number) => (trackById.get(track)!.Milliseconds as number) > 600_000;
    const ids = [...tracksOf.keys()];
    const together = ids.filter((id) => tracksOf.get(id)!.some((track) => jazz(track) && long(track)));
    const apart = ids.filter((id) => tracksOf.get(id)!.some(jazz) && tracksOf.get(id)!.some(long));
    expect(together.length).toBeGreaterThan(0);
    expect(apart.length).toBeGreaterThan(together.length);
    const found = (query: orm.QuerySet<orm.Infer<typeof Playlist>>) => query.orderBy("id").valuesList("id", { flat: true });
    expect(await found(Playlist.objects.filter({ tracks__genre__name: "Jazz", tracks__milliseconds__gt: 600_000 }))).toEqual(together);
    expect(await found(Playlist.objects.filter(orm.Q.and({ tracks__genre__name: "Jazz" }, { tracks__milliseconds__gt: 600_000 })))).toEqual(together);
    expect(await found(Playlist.objects.filter({ tracks__genre__name: "Jazz" }, { tracks__milliseconds__gt: 600_000 }))).toEqual(together);
    expect(await found(Playlist.objects.filter({ tracks__genre__name: "Jazz" }).filter({ tracks__milliseconds__gt: 600_000 }))).toEqual(apart);
    // exclude() is the rest of what the same filter() gives.
    const rest = ids.filter((id) => !together.includes(id));
    expect(await found(Playlist.objects.exclude({ tracks__genre__name: "Jazz", tracks__milliseconds__gt: 600_000 }))).toEqual(rest);
    // Q.or across the relation: a track of either kind.
    const either = ids.filter((id) => tracksOf.get(id)!.some((track) => jazz(track) || long(track)));
    expect(await found(Playlist.objects.filter(orm.Q.or({ tracks__genre__name: "Jazz" }, { tracks__milliseconds__gt: 600_000 })))).toEqual(either);
  });

  test("the reverse side: the playlists a track is on", async () => {
    const onPlaylists = new Map<number, number[]>();
    for (const link of links) {
      const list = onPlaylists.get(link.TrackId as number) ?? [];
      list.push(link.PlaylistId as number);
      onPlaylists.set(link.TrackId as number, list);
    }
    for (const id of [1, 2, 3402, 2000]) {
      const track = await Track.objects.get({ pk: id });
      const reverse = (track as unknown as { playlists: orm.ManyRelatedManager<orm.Infer<typeof Playlist>> }).playlists;
      expect(await reverse.orderBy("id").valuesList("id", { flat: true })).toEqual([...(onPlaylists.get(id) ?? [])].sort(byNumber));
    }
    const long = 600_000;
    const expected = new Set(links.filter((link) => (trackById.get(link.TrackId as number)!.Milliseconds as number) > long).map((link) => link.PlaylistId as number));
    expect(await Playlist.objects.filter({ tracks__milliseconds__gt: long }).orderBy("id").valuesList("id", { flat: true })).toEqual([...expected].sort(byNumber));
    const tracksOnGrunge = tracksOf.get([...playlistName].find(([, name]) => name === "Grunge")![0])!.length;
    expect(await Track.objects.filter({ playlists__name: "Grunge" } as never).count()).toBe(tracksOnGrunge);
  });

  test("values() through it: a row per link", async () => {
    const id = [...playlistName].find(([, name]) => name === "Grunge")![0];
    const rows = await Playlist.objects.filter({ pk: id }).values("name", "tracks__name");
    const expected = tracksOf.get(id)!.map((track) => trackById.get(track)!.Name as string).sort();
    expect(rows.map((row) => row.tracks__name).sort()).toEqual(expected);
    expect(new Set(rows.map((row) => row.name))).toEqual(new Set(["Grunge"]));
  });

  test("set() on a large playlist writes only the difference", async () => {
    const playlist = await Playlist.objects.get({ pk: 1 });
    const ids = tracksOf.get(1)!;
    const kept = ids.slice(10);
    const statements = await target.statementsDuring(() => playlist.tracks.set(kept));
    const deletes = statements.filter((event) => event.sql.startsWith("DELETE"));
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.values.slice(1).map(Number).sort(byNumber)).toEqual(ids.slice(0, 10).sort(byNumber));
    expect(statements.some((event) => event.sql.startsWith("INSERT"))).toBe(false);
    expect(await playlist.tracks.count()).toBe(kept.length);
    await playlist.tracks.add(...ids.slice(0, 10));
    expect(await playlist.tracks.count()).toBe(ids.length);
  });
});
