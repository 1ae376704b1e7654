/**
 * The floor: the drivers themselves with prepared statements — better-sqlite3 (synchronous,
 * statements prepared once), pg (named prepared statements), mysql2 (execute(): server-side
 * prepared statements, cached per connection). The server drivers through their callback APIs, one
 * promise per statement (mysql2/promise would add a stack capture per call). Each workload is the
 * fewest round trips the database allows: one JOIN, two queries for albums + tracks, one IN (...)
 * for the 100 FK loads.
 */
import type Database from "better-sqlite3";
import pg from "pg";
import mysql from "mysql2";
import type { DbConfig } from "../config.js";
import type { NewTrack, TrackRow } from "../data.js";
import type { Adapter, AlbumWithTracks, MillisecondsRow, PlaylistWithTracks, TrackOut, TrackWithAlbum } from "./types.js";
import { groupTracks, openSqlite, pkgVersion } from "./common.js";

type Row = Record<string, any>;

/** Bound values per multi-row INSERT on SQLite: 512 rows of four columns. */
const SQLITE_RAW_VALUES_PER_INSERT = 2048;

const CONFLICT_COLUMNS = "id, name, album_id, milliseconds, unit_price";
const conflictValues = (r: TrackRow) => [r.id, r.name, r.albumId, r.milliseconds, r.unitPrice];

/** "?" placeholders everywhere; `in(ids)` builds the dialect's "one of these ids" condition. */
interface Exec {
  all(sql: string, params: unknown[]): Promise<Row[]>;
  run(sql: string, params: unknown[]): Promise<number>;
  in(column: string, ids: number[]): [string, unknown[]];
  bulkInsert(rows: NewTrack[]): Promise<number>;
  /** The rows with their ids, a row whose id is taken skipped, or updating that track's name and milliseconds. */
  bulkConflict(rows: TrackRow[], upsert: boolean): Promise<void>;
  /** One UPDATE of each track's milliseconds from a list of (id, milliseconds) joined on the key; returns the rows matched. */
  updateMilliseconds(rows: MillisecondsRow[]): Promise<number>;
  /** One INSERT of these (track, tag) pairs, a pair already there skipped. */
  linkTags(trackId: number, tagIds: number[]): Promise<void>;
  close(): Promise<void>;
}

function sqliteExec(cfg: DbConfig): Exec {
  const db = openSqlite(cfg.file!);
  const cache = new Map<string, Database.Statement>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s;
  };
  // Multi-row INSERTs of SQLITE_RAW_VALUES_PER_INSERT values, each text prepared once, in one transaction. 10,000
  // rows into this table (its indexes and foreign key), CPU, medians of 40 interleaved rounds under load: a
  // one-row INSERT run per row 25.9-29.2 ms, statements of 256-2,048 rows 14.5-23.8, at the bind limit 26.8.
  // The values go as arguments, not as one array: better-sqlite3 binds an array's elements through a slower path
  // (10,000 rows on tmpfs: 14.7-22.3 ms of CPU spread, 18.1-28.5 ms as an array).
  const listed = <R>(columns: string, push: (bound: unknown[], row: R) => void, tail: string) => {
    const width = columns.split(", ").length;
    const perStatement = Math.floor(SQLITE_RAW_VALUES_PER_INSERT / width);
    const statements = new Map<number, Database.Statement>();
    const statementOf = (count: number) => {
      let s = statements.get(count);
      if (!s) statements.set(count, (s = db.prepare(`INSERT INTO track (${columns}) VALUES ${new Array(count).fill(`(${new Array(width).fill("?").join(", ")})`).join(", ")}${tail}`)));
      return s;
    };
    return db.transaction((rows: R[]) => {
      for (let start = 0; start < rows.length; start += perStatement) {
        const end = Math.min(rows.length, start + perStatement);
        const bound: unknown[] = [];
        for (let k = start; k < end; k++) push(bound, rows[k]!);
        statementOf(end - start).run(...bound);
      }
      return rows.length;
    });
  };
  const insertAll = listed("name, album_id, milliseconds, unit_price", (bound, r: NewTrack) => bound.push(r.name, r.albumId, r.milliseconds, r.unitPrice), "");
  const pushConflict = (bound: unknown[], r: TrackRow) => bound.push(r.id, r.name, r.albumId, r.milliseconds, r.unitPrice);
  const ignoreAll = listed(CONFLICT_COLUMNS, pushConflict, " ON CONFLICT DO NOTHING");
  const upsertAll = listed(CONFLICT_COLUMNS, pushConflict, " ON CONFLICT (id) DO UPDATE SET name = excluded.name, milliseconds = excluded.milliseconds");
  return {
    async all(sql, params) { return stmt(sql).all(...params) as Row[]; },
    async run(sql, params) { return stmt(sql).run(...params).changes; },
    in: (column, ids) => [`${column} IN (${ids.map(() => "?").join(", ")})`, ids],
    async bulkInsert(rows) { return insertAll(rows); },
    async bulkConflict(rows, upsert) { (upsert ? upsertAll : ignoreAll)(rows); },
    async updateMilliseconds(rows) {
      // UPDATE ... FROM (SQLite 3.33): a VALUES list's columns are column1, column2.
      const text = `UPDATE track SET milliseconds = v.column2 FROM (VALUES ${rows.map(() => "(?, ?)").join(", ")}) AS v WHERE track.id = v.column1`;
      return stmt(text).run(...rows.flatMap((r) => [r.id, r.milliseconds])).changes;
    },
    async linkTags(trackId, tagIds) {
      stmt(`INSERT INTO track_tags (track_id, tag_id) VALUES ${tagIds.map(() => "(?, ?)").join(", ")} ON CONFLICT DO NOTHING`).run(...tagIds.flatMap((tag) => [trackId, tag]));
    },
    async close() { db.close(); },
  };
}

function pgExec(cfg: DbConfig): Exec {
  const pool = new pg.Pool({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database, max: cfg.poolMax });
  const names = new Map<string, { name: string; text: string }>();
  const named = (sql: string) => {
    let q = names.get(sql);
    if (!q) {
      let n = 0;
      names.set(sql, (q = { name: `raw_${names.size}`, text: sql.replace(/\?/g, () => `$${++n}`) }));
    }
    return q;
  };
  // The callback API, promised here once (as the mysql2 floor below).
  const query = (sql: string, params: unknown[]) =>
    new Promise<pg.QueryResult>((resolve, reject) => pool.query({ ...named(sql), values: params }, (error, result) => (error ? reject(error) : resolve(result))));
  return {
    async all(sql, params) { return (await query(sql, params)).rows; },
    async run(sql, params) { return (await query(sql, params)).rowCount ?? 0; },
    in: (column, ids) => [`${column} = ANY(?::int[])`, [ids]],
    async bulkInsert(rows) {
      const res = await pool.query({
        ...named("INSERT INTO track (name, album_id, milliseconds, unit_price) SELECT * FROM unnest(?::varchar[], ?::int[], ?::int[], ?::numeric[])"),
        values: [rows.map((r) => r.name), rows.map((r) => r.albumId), rows.map((r) => r.milliseconds), rows.map((r) => r.unitPrice)],
      });
      return res.rowCount ?? 0;
    },
    async bulkConflict(rows, upsert) {
      const tail = upsert ? " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, milliseconds = EXCLUDED.milliseconds" : " ON CONFLICT DO NOTHING";
      await query(`INSERT INTO track (${CONFLICT_COLUMNS}) SELECT * FROM unnest(?::int[], ?::varchar[], ?::int[], ?::int[], ?::numeric[])${tail}`,
        [rows.map((r) => r.id), rows.map((r) => r.name), rows.map((r) => r.albumId), rows.map((r) => r.milliseconds), rows.map((r) => r.unitPrice)]);
    },
    async updateMilliseconds(rows) {
      const result = await query("UPDATE track SET milliseconds = v.ms FROM unnest(?::int[], ?::int[]) AS v(id, ms) WHERE track.id = v.id",
        [rows.map((r) => r.id), rows.map((r) => r.milliseconds)]);
      return result.rowCount ?? 0;
    },
    async linkTags(trackId, tagIds) {
      await query("INSERT INTO track_tags (track_id, tag_id) SELECT ?::int, unnest(?::int[]) ON CONFLICT DO NOTHING", [trackId, tagIds]);
    },
    async close() { await pool.end(); },
  };
}

function mysqlExec(cfg: DbConfig): Exec {
  const pool = mysql.createPool({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database, connectionLimit: cfg.poolMax });
  // The callback API, promised here once: mysql2/promise records a stack trace per call, which no floor should pay.
  const execute = (sql: string, params: unknown[]) =>
    new Promise<unknown>((resolve, reject) => pool.execute(sql, params as any[], (error, result) => (error ? reject(error) : resolve(result))));
  return {
    async all(sql, params) { return (await execute(sql, params)) as Row[]; },
    async run(sql, params) { return ((await execute(sql, params)) as mysql.ResultSetHeader).affectedRows; },
    in: (column, ids) => [`${column} IN (${ids.map(() => "?").join(", ")})`, ids],
    bulkInsert(rows) {
      // mysql2's client-side expansion of a nested array: one multi-row INSERT (execute() can't take one).
      return new Promise((resolve, reject) => pool.query("INSERT INTO track (name, album_id, milliseconds, unit_price) VALUES ?",
        [rows.map((r) => [r.name, r.albumId, r.milliseconds, r.unitPrice])],
        (error, result) => (error ? reject(error) : resolve((result as mysql.ResultSetHeader).affectedRows))));
    },
    bulkConflict(rows, upsert) {
      const text = upsert
        ? `INSERT INTO track (${CONFLICT_COLUMNS}) VALUES ? ON DUPLICATE KEY UPDATE name = VALUES(name), milliseconds = VALUES(milliseconds)`
        : `INSERT IGNORE INTO track (${CONFLICT_COLUMNS}) VALUES ?`;
      return new Promise((resolve, reject) => pool.query(text, [rows.map(conflictValues)], (error) => (error ? reject(error) : resolve())));
    },
    updateMilliseconds(rows) {
      // The rows as one JSON parameter, read back as a table (JSON_TABLE: MariaDB 10.6, MySQL 8).
      const text = "UPDATE track JOIN JSON_TABLE(?, '$[*]' COLUMNS (id INT PATH '$[0]', ms INT PATH '$[1]')) AS v ON track.id = v.id SET track.milliseconds = v.ms";
      return new Promise((resolve, reject) => pool.query(text, [JSON.stringify(rows.map((r) => [r.id, r.milliseconds]))],
        (error, result) => (error ? reject(error) : resolve((result as mysql.ResultSetHeader).affectedRows))));
    },
    linkTags(trackId, tagIds) {
      return new Promise((resolve, reject) => pool.query("INSERT INTO track_tags (track_id, tag_id) VALUES ? ON DUPLICATE KEY UPDATE track_id = track_id",
        [tagIds.map((tag) => [trackId, tag])], (error) => (error ? reject(error) : resolve())));
    },
    close() { return new Promise((resolve) => pool.end(() => resolve())); },
  };
}

const TRACK_COLS = "id, name, album_id, milliseconds, unit_price";
const toTrack = (r: Row): TrackOut => ({ id: r.id, name: r.name, albumId: r.album_id });

export class RawAdapter implements Adapter<Row[]> {
  readonly name = "raw";
  private x!: Exec;
  private dialect!: DbConfig["dialect"];

  version(): string {
    return pkgVersion({ sqlite: "better-sqlite3", postgresql: "pg", mysql: "mysql2" }[this.dialect]);
  }

  async setup(cfg: DbConfig): Promise<void> {
    this.dialect = cfg.dialect;
    this.x = { sqlite: sqliteExec, postgresql: pgExec, mysql: mysqlExec }[cfg.dialect](cfg);
  }

  async teardown(): Promise<void> { await this.x.close(); }

  async getByPk(id: number): Promise<TrackOut> {
    const [row] = await this.x.all(`SELECT ${TRACK_COLS} FROM track WHERE id = ?`, [id]);
    if (!row) throw new Error(`no track ${id}`);
    return toTrack(row);
  }

  async filterOrderLimit(min: number): Promise<TrackOut[]> {
    const rows = await this.x.all(`SELECT ${TRACK_COLS} FROM track WHERE milliseconds > ? ORDER BY milliseconds DESC, id DESC LIMIT 20`, [min]);
    return rows.map(toTrack);
  }

  async tracksWithAlbum(from: number, to: number): Promise<TrackWithAlbum[]> {
    const rows = await this.x.all(
      "SELECT t.id, t.name, t.album_id, t.milliseconds, t.unit_price, a.id AS a_id, a.title AS a_title, a.artist_id AS a_artist_id " +
      "FROM track t JOIN album a ON a.id = t.album_id WHERE t.id >= ? AND t.id < ? ORDER BY t.id", [from, to]);
    return rows.map((r) => ({ id: r.id, name: r.name, albumTitle: r.a_title }));
  }

  async albumsWithTracks(from: number, to: number): Promise<AlbumWithTracks[]> {
    const albums = await this.x.all("SELECT id, title, artist_id FROM album WHERE id >= ? AND id < ? ORDER BY id", [from, to]);
    const [cond, params] = this.x.in("album_id", albums.map((a) => a.id));
    const tracks = await this.x.all(`SELECT ${TRACK_COLS} FROM track WHERE ${cond} ORDER BY id`, params);
    return groupTracks(albums as { id: number; title: string }[], tracks as { id: number; album_id: number }[], (t) => t.album_id);
  }

  async insertOne(row: NewTrack): Promise<TrackOut> {
    // RETURNING: SQLite >= 3.35, PostgreSQL, MariaDB >= 10.5 — one round trip everywhere.
    const [r] = await this.x.all(`INSERT INTO track (name, album_id, milliseconds, unit_price) VALUES (?, ?, ?, ?) RETURNING ${TRACK_COLS}`,
      [row.name, row.albumId, row.milliseconds, row.unitPrice]);
    return toTrack(r!);
  }

  bulkCreate(rows: NewTrack[]): Promise<number> { return this.x.bulkInsert(rows); }

  bulkCreateIgnore(rows: TrackRow[]): Promise<void> { return this.x.bulkConflict(rows, false); }

  bulkUpsert(rows: TrackRow[]): Promise<void> { return this.x.bulkConflict(rows, true); }

  async prepareBulkUpdate(rows: MillisecondsRow[]): Promise<MillisecondsRow[]> {
    return rows;
  }

  bulkUpdate(rows: unknown): Promise<number> {
    return this.x.updateMilliseconds(rows as MillisecondsRow[]);
  }

  updateByFilter(albumId: number, unitPrice: string): Promise<number> {
    return this.x.run("UPDATE track SET unit_price = ? WHERE album_id = ?", [unitPrice, albumId]);
  }

  async countAcrossFk(artistName: string): Promise<number> {
    const [r] = await this.x.all("SELECT COUNT(*) AS n FROM track t JOIN album a ON a.id = t.album_id " +
      "JOIN artist ar ON ar.id = a.artist_id WHERE ar.name = ?", [artistName]);
    return Number(r!.n);
  }

  async playlistsWithTracks(from: number, to: number): Promise<PlaylistWithTracks[]> {
    const playlists = await this.x.all("SELECT id, name FROM playlist WHERE id >= ? AND id < ? ORDER BY id", [from, to]);
    const [cond, params] = this.x.in("pt.playlist_id", playlists.map((p) => p.id));
    const tracks = await this.x.all(`SELECT ${TRACK_COLS.split(", ").map((c) => `t.${c}`).join(", ")}, pt.playlist_id FROM track t JOIN playlist_track pt ON pt.track_id = t.id WHERE ${cond}`, params);
    const byPlaylist = new Map<number, number[]>(playlists.map((p) => [p.id, []]));
    for (const t of tracks) byPlaylist.get(t.playlist_id)!.push(t.id);
    return playlists.map((p) => ({ id: p.id, name: p.name, trackIds: byPlaylist.get(p.id)! }));
  }

  async prepareAddTags(trackId: number): Promise<number> {
    return trackId;
  }

  addTags(trackId: unknown, tagIds: number[]): Promise<void> {
    return this.x.linkTags(trackId as number, tagIds);
  }

  async prepareFkLoads(ids: number[]): Promise<Row[]> {
    const [cond, params] = this.x.in("id", ids);
    return this.x.all(`SELECT ${TRACK_COLS} FROM track WHERE ${cond} ORDER BY id`, params);
  }

  async fkLoads(tracks: Row[]): Promise<TrackWithAlbum[]> {
    const [cond, params] = this.x.in("id", [...new Set(tracks.map((t) => t.album_id as number))]);
    const albums = new Map((await this.x.all(`SELECT id, title, artist_id FROM album WHERE ${cond}`, params)).map((a) => [a.id, a]));
    return tracks.map((t) => ({ id: t.id, name: t.name, albumTitle: albums.get(t.album_id)!.title }));
  }
}

export default RawAdapter;
