/**
 * The bench data set: Chinook's artists and albums as they are, and its 3,503 tracks replicated
 * (with a " (copy N)" suffix) up to exactly 10,000 rows. Also the expected answers every workload
 * is checked against, computed here in plain JS from the same rows.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CHINOOK_PATH = process.env.BENCH_CHINOOK ?? fileURLToPath(new URL("../../data/chinook.json", import.meta.url));
export const TRACK_COUNT = 10_000;
/** Playlists ↔ tracks, a many-to-many through playlist_track: this many playlists of this many tracks each. */
export const PLAYLIST_COUNT = 500;
export const TRACKS_PER_PLAYLIST = 30;
/** Tags that the many-to-many add workload links to tracks (through track_tags). */
export const TAG_COUNT = 1_000;
/** The first id of the onConflict workloads' rows: ids from here to TRACK_COUNT clash with seeded tracks. */
export const CONFLICT_FIRST_ID = TRACK_COUNT / 2 + 1;
/** What the onConflict workloads' rows add to a track's name. */
export const UPSERT_MARK = " [upsert]";

export interface ArtistRow { id: number; name: string }
export interface AlbumRow { id: number; title: string; artistId: number }
export interface TrackRow { id: number; name: string; albumId: number; milliseconds: number; unitPrice: string }
/** A track to insert: no id (the database assigns it). */
export type NewTrack = Omit<TrackRow, "id">;

interface Table { columns: string[]; rows: unknown[][] }

function rowsOf<T>(table: Table, map: (get: (col: string) => unknown) => T): T[] {
  const index = new Map(table.columns.map((c, i) => [c, i]));
  return table.rows.map((r) => map((col) => {
    const i = index.get(col);
    if (i === undefined) throw new Error(`chinook.json: no column ${col}`);
    return r[i];
  }));
}

export interface Dataset {
  artists: ArtistRow[];
  albums: AlbumRow[];
  tracks: TrackRow[];
  albumById: Map<number, AlbumRow>;
  trackById: Map<number, TrackRow>;
  /** album id -> its track ids, ascending */
  trackIdsByAlbum: Map<number, number[]>;
  /** artist name -> number of tracks on that artist's albums */
  trackCountByArtistName: Map<string, number>;
  /** Rows inserted by the bulk workload (derived from the Chinook tracks). */
  bulkRows: NewTrack[];
  /**
   * Rows of the bulk workloads with onConflict: ids CONFLICT_FIRST_ID to CONFLICT_FIRST_ID + 9,999, the first
   * half already tracks. Each is the track of its id (or, past the table, of its id less 5,000) with " [upsert]"
   * after its name and 1 more millisecond: what an upsert writes over the existing half.
   */
  conflictRows: TrackRow[];
  /** Chinook's playlist names, cycled, numbered: `Music 7`. */
  playlists: { id: number; name: string }[];
  /** playlist id -> its track ids, ascending */
  trackIdsByPlaylist: Map<number, number[]>;
  tags: { id: number; name: string }[];
}

export function loadDataset(): Dataset {
  const json = JSON.parse(readFileSync(CHINOOK_PATH, "utf8")) as Record<string, Table>;
  const artists = rowsOf(json.Artist!, (g) => ({ id: g("ArtistId") as number, name: g("Name") as string }));
  const albums = rowsOf(json.Album!, (g) => ({ id: g("AlbumId") as number, title: g("Title") as string, artistId: g("ArtistId") as number }));
  const chinookTracks = rowsOf(json.Track!, (g) => ({
    id: g("TrackId") as number,
    name: g("Name") as string,
    albumId: g("AlbumId") as number,
    milliseconds: g("Milliseconds") as number,
    unitPrice: (g("UnitPrice") as number).toFixed(2),
  }));
  chinookTracks.sort((a, b) => a.id - b.id);
  chinookTracks.forEach((t, i) => {
    if (t.id !== i + 1) throw new Error("chinook.json: expected contiguous TrackIds");
    if (t.albumId == null) throw new Error("chinook.json: expected every track to have an album");
  });

  const tracks: TrackRow[] = [];
  for (let id = 1; id <= TRACK_COUNT; id++) {
    const copy = Math.floor((id - 1) / chinookTracks.length);
    const src = chinookTracks[(id - 1) % chinookTracks.length]!;
    tracks.push({ ...src, id, name: copy === 0 ? src.name : `${src.name} (copy ${copy})` });
  }

  const albumById = new Map(albums.map((a) => [a.id, a]));
  const artistById = new Map(artists.map((a) => [a.id, a]));
  const trackById = new Map(tracks.map((t) => [t.id, t]));
  const trackIdsByAlbum = new Map<number, number[]>(albums.map((a) => [a.id, []]));
  const trackCountByArtistName = new Map<string, number>();
  for (const t of tracks) {
    trackIdsByAlbum.get(t.albumId)!.push(t.id);
    const name = artistById.get(albumById.get(t.albumId)!.artistId)!.name;
    trackCountByArtistName.set(name, (trackCountByArtistName.get(name) ?? 0) + 1);
  }
  const bulkRows = tracks.map(({ id: _id, ...t }) => ({ ...t, name: `${t.name} [bulk]` }));
  const chinookPlaylists = rowsOf(json.Playlist!, (g) => g("Name") as string);
  const playlists = Array.from({ length: PLAYLIST_COUNT }, (_, k) => ({ id: k + 1, name: `${chinookPlaylists[k % chinookPlaylists.length]} ${k + 1}` }));
  // 30 distinct tracks a playlist, spread over the table (101 is prime to 10,000), a track on several playlists.
  const trackIdsByPlaylist = new Map(playlists.map(({ id }) => [id, Array.from({ length: TRACKS_PER_PLAYLIST }, (_, j) => 1 + ((id * 37 + j * 101) % TRACK_COUNT)).sort((a, b) => a - b)]));
  const tags = Array.from({ length: TAG_COUNT }, (_, k) => ({ id: k + 1, name: `tag ${k + 1}` }));
  const conflictRows = Array.from({ length: TRACK_COUNT }, (_, k) => {
    const src = tracks[(CONFLICT_FIRST_ID - 1 + k) % TRACK_COUNT]!;
    return { id: CONFLICT_FIRST_ID + k, name: `${src.name}${UPSERT_MARK}`, albumId: src.albumId, milliseconds: src.milliseconds + 1, unitPrice: src.unitPrice };
  });
  return { artists, albums, tracks, albumById, trackById, trackIdsByAlbum, trackCountByArtistName, bulkRows, conflictRows, playlists, trackIdsByPlaylist, tags };
}
