/**
 * The contract every tool's adapter implements. Each operation does the real work through the
 * tool's idiomatic API and returns plain objects (reading every field the workload needs, which is
 * part of the cost and what lets the harness check the rows).
 */
import type { DbConfig } from "../config.js";
import type { NewTrack, TrackRow } from "../data.js";

export interface TrackOut { id: number; name: string; albumId: number }
export interface TrackWithAlbum { id: number; name: string; albumTitle: string }
export interface AlbumWithTracks { id: number; title: string; trackIds: number[] }
export interface PlaylistWithTracks { id: number; name: string; trackIds: number[] }
/** A track's new milliseconds (workload 6d). */
export interface MillisecondsRow { id: number; milliseconds: number }

export interface Adapter<Prepared = unknown> {
  /** Tool name as reported, e.g. "drizzle". */
  readonly name: string;
  /** Installed version (or build) of the tool, for the report. */
  version(): string;
  /** Connects and defines the models on the already created and seeded database. */
  setup(cfg: DbConfig): Promise<void>;
  /** Closes every connection. */
  teardown(): Promise<void>;

  /** 1. One track by primary key. */
  getByPk(id: number): Promise<TrackOut>;
  /** 2. Tracks with milliseconds > min, ordered by milliseconds desc then id desc, first 20. */
  filterOrderLimit(minMilliseconds: number): Promise<TrackOut[]>;
  /** 3. Tracks with fromId <= id < toId, ordered by id, each with its album (JOIN / include). */
  tracksWithAlbum(fromId: number, toId: number): Promise<TrackWithAlbum[]>;
  /** 4. Albums with fromId <= id < toId, ordered by id, each with all its tracks (prefetch / include). */
  albumsWithTracks(fromId: number, toId: number): Promise<AlbumWithTracks[]>;
  /** 5. Inserts one track and returns it with its new id. */
  insertOne(row: NewTrack): Promise<TrackOut>;
  /**
   * 6-6c (untimed, once per list of rows). The rows as plain data in the shape the tool's bulk API takes, where that
   * is not the harness's own (other field or column names); the write ops get them as `shaped`. The raw driver,
   * Drizzle, Prisma and TypeORM take the harness's rows as they are, so the others get theirs ready too: the timed op
   * is the write, not the harness's renaming of 10,000 rows. Absent where the tool takes the rows as given.
   */
  shapeRows?(rows: readonly (NewTrack | TrackRow)[]): unknown[];
  /** 6. Inserts all rows (`shaped`: see shapeRows) through the tool's bulk API; returns how many it reports written. */
  bulkCreate(rows: NewTrack[], shaped?: unknown[]): Promise<number>;
  /**
   * 6b. Inserts these rows (ids given, half of them already in the table) through the tool's bulk API, a row
   * whose id is taken skipped. Absent where the bulk API cannot skip such rows.
   */
  bulkCreateIgnore?(rows: TrackRow[], shaped?: unknown[]): Promise<void>;
  /**
   * 6c. The same rows, a row whose id is taken updating that track's name and milliseconds instead (an upsert).
   * Absent where the bulk API cannot.
   */
  bulkUpsert?(rows: TrackRow[], shaped?: unknown[]): Promise<void>;
  /**
   * 6d (untimed). Readies these new milliseconds (by track id) for bulkUpdate: the tool's objects loaded and
   * assigned, or the rows as they are. Absent where the tool has no bulk update of many rows' own values.
   */
  prepareBulkUpdate?(rows: MillisecondsRow[]): Promise<Prepared>;
  /** 6d. Writes each prepared track's new milliseconds in the tool's bulk update; returns the rows it reports matched. */
  bulkUpdate?(prepared: Prepared): Promise<number>;
  /** 7. Sets unit_price on every track of one album; returns the affected row count. */
  updateByFilter(albumId: number, unitPrice: string): Promise<number>;
  /** 8. Counts the tracks whose album's artist has this name (two FK hops). */
  countAcrossFk(artistName: string): Promise<number>;
  /** 9 (untimed). Loads these tracks as the tool's objects, their album not loaded. */
  prepareFkLoads(trackIds: number[]): Promise<Prepared>;
  /** 9. Loads every prepared track's album, one load per track, all issued together. */
  fkLoads(prepared: Prepared): Promise<TrackWithAlbum[]>;
  /**
   * 10. Playlists with fromId <= id < toId, ordered by id, each with its tracks through the many-to-many
   * playlist_track (prefetch / include). Absent where the tool has no many-to-many.
   */
  playlistsWithTracks?(fromId: number, toId: number): Promise<PlaylistWithTracks[]>;
  /** 11 (untimed). The track as the tool's object (or its id, for a tool that needs none). */
  prepareAddTags?(trackId: number): Promise<unknown>;
  /** 11. Links these tags to the prepared track through the many-to-many track_tags (a pair already linked is no error). */
  addTags?(track: unknown, tagIds: number[]): Promise<void>;
}

/** Splits a list into consecutive slices of at most `size` items. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * SQLite caps a statement at 32,766 bound parameters; a tool that writes one multi-row INSERT
 * (4 parameters a row) must be handed at most this many rows at a time there.
 */
export const SQLITE_ROWS_PER_INSERT = 5000;
