/**
 * The one schema every tool maps onto, created and seeded through the raw drivers, plus the
 * untimed helpers the harness uses between batches (cleanup, verification) and at the end (drop).
 */
import { mkdirSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import pg from "pg";
import mysql from "mysql2/promise";
import { ADMIN_DATABASE, DATA_DIR, type DbConfig } from "./config.js";
import assert from "node:assert/strict";
import { CONFLICT_FIRST_ID, TRACK_COUNT, UPSERT_MARK, type Dataset } from "./data.js";

/** Same columns, types and indexes on every database. */
function ddl(dialect: DbConfig["dialect"]): string[] {
  const pk = { sqlite: "INTEGER PRIMARY KEY", postgresql: "SERIAL PRIMARY KEY", mysql: "INT AUTO_INCREMENT PRIMARY KEY" }[dialect];
  const int = dialect === "mysql" ? "INT" : "INTEGER";
  const tail = dialect === "mysql" ? " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin" : "";
  // MySQL takes foreign keys as table constraints (added below); the others inline.
  const ref = (table: string) => (dialect === "mysql" ? "" : ` REFERENCES ${table} (id)`);
  return [
    `CREATE TABLE artist (id ${pk}, name VARCHAR(120) NOT NULL)${tail}`,
    `CREATE TABLE album (id ${pk}, title VARCHAR(160) NOT NULL, artist_id ${int} NOT NULL${ref("artist")})${tail}`,
    `CREATE TABLE track (id ${pk}, name VARCHAR(200) NOT NULL, album_id ${int} NOT NULL${ref("album")}, ` +
      `milliseconds ${int} NOT NULL, unit_price DECIMAL(10, 2) NOT NULL)${tail}`,
    `CREATE TABLE playlist (id ${pk}, name VARCHAR(120) NOT NULL)${tail}`,
    `CREATE TABLE playlist_track (id ${pk}, playlist_id ${int} NOT NULL${ref("playlist")}, track_id ${int} NOT NULL${ref("track")}, ` +
      `UNIQUE (playlist_id, track_id))${tail}`,
    `CREATE TABLE tag (id ${pk}, name VARCHAR(40) NOT NULL)${tail}`,
    `CREATE TABLE track_tags (id ${pk}, track_id ${int} NOT NULL${ref("track")}, tag_id ${int} NOT NULL${ref("tag")}, ` +
      `UNIQUE (track_id, tag_id))${tail}`,
    `CREATE INDEX playlist_track_track_id ON playlist_track (track_id)`,
    `CREATE INDEX track_tags_tag_id ON track_tags (tag_id)`,
    `CREATE INDEX album_artist_id ON album (artist_id)`,
    `CREATE INDEX track_album_id ON track (album_id)`,
    `CREATE INDEX track_milliseconds ON track (milliseconds, id)`,
    `CREATE INDEX artist_name ON artist (name)`,
  ];
}
function mysqlForeignKeys(): string[] {
  return [
    "ALTER TABLE album ADD CONSTRAINT album_artist_fk FOREIGN KEY (artist_id) REFERENCES artist (id)",
    "ALTER TABLE track ADD CONSTRAINT track_album_fk FOREIGN KEY (album_id) REFERENCES album (id)",
    "ALTER TABLE playlist_track ADD CONSTRAINT playlist_track_playlist_fk FOREIGN KEY (playlist_id) REFERENCES playlist (id)",
    "ALTER TABLE playlist_track ADD CONSTRAINT playlist_track_track_fk FOREIGN KEY (track_id) REFERENCES track (id)",
    "ALTER TABLE track_tags ADD CONSTRAINT track_tags_track_fk FOREIGN KEY (track_id) REFERENCES track (id)",
    "ALTER TABLE track_tags ADD CONSTRAINT track_tags_tag_fk FOREIGN KEY (tag_id) REFERENCES tag (id)",
  ];
}

/** A minimal async connection for the harness's own untimed statements ("?" placeholders). */
export interface AdminConn {
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  exec(sql: string, params?: unknown[]): Promise<void>;
  /**
   * After a bulk insert and its deletion, untimed: the database back in the state the next tool's op found
   * before (SQLite's WAL checkpointed and emptied, PostgreSQL's dead rows vacuumed), so that no tool's op
   * pays for the one before it. InnoDB purges deleted rows in the background.
   */
  settle(): Promise<void>;
  close(): Promise<void>;
}

function toPg(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export async function openAdmin(cfg: DbConfig, database = cfg.database): Promise<AdminConn> {
  switch (cfg.dialect) {
    case "sqlite": {
      const db = new Database(cfg.file!);
      return {
        async all(sql, params = []) { return db.prepare(sql).all(...params) as never; },
        async exec(sql, params = []) { if (params.length) db.prepare(sql).run(...params); else db.exec(sql); },
        async settle() { db.pragma("wal_checkpoint(TRUNCATE)"); },
        async close() { db.close(); },
      };
    }
    case "postgresql": {
      const client = new pg.Client({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database });
      await client.connect();
      return {
        async all(sql, params = []) { return (await client.query(toPg(sql), params)).rows; },
        async exec(sql, params = []) { await client.query(toPg(sql), params); },
        async settle() { await client.query("VACUUM track"); },
        async close() { await client.end(); },
      };
    }
    case "mysql": {
      const conn = await mysql.createConnection({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database });
      return {
        async all(sql, params = []) { return (await conn.query(sql, params))[0] as never; },
        async exec(sql, params = []) { await conn.query(sql, params); },
        async settle() {},
        async close() { await conn.end(); },
      };
    }
  }
}

/** Drops and recreates the bench database (file) and returns an admin connection to it. */
export async function createDatabase(cfg: DbConfig): Promise<AdminConn> {
  await dropDatabase(cfg);
  if (cfg.dialect === "sqlite") {
    mkdirSync(DATA_DIR, { recursive: true });
    const admin = await openAdmin(cfg);
    await admin.exec("PRAGMA journal_mode = WAL"); // persistent: every tool's connection shares it
    return admin;
  }
  const server = await openAdmin(cfg, ADMIN_DATABASE[cfg.dialect]);
  try {
    await server.exec(cfg.dialect === "mysql"
      ? `CREATE DATABASE ${cfg.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`
      : `CREATE DATABASE ${cfg.database}`);
  } finally {
    await server.close();
  }
  return openAdmin(cfg);
}

export async function dropDatabase(cfg: DbConfig): Promise<void> {
  if (cfg.dialect === "sqlite") {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(cfg.file! + suffix, { force: true });
    return;
  }
  const server = await openAdmin(cfg, ADMIN_DATABASE[cfg.dialect]);
  try {
    if (cfg.dialect === "postgresql") await server.exec(`DROP DATABASE IF EXISTS ${cfg.database} WITH (FORCE)`);
    else await server.exec(`DROP DATABASE IF EXISTS ${cfg.database}`);
  } finally {
    await server.close();
  }
}

async function insertMany(admin: AdminConn, cfg: DbConfig, table: string, cols: string[], rows: unknown[][]): Promise<void> {
  const chunk = 1000;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const values = part.map(() => `(${cols.map(() => "?").join(", ")})`).join(", ");
    await admin.exec(`INSERT INTO ${table} (${cols.join(", ")}) VALUES ${values}`, part.flat());
  }
  if (cfg.dialect === "postgresql") {
    await admin.exec(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT MAX(id) FROM ${table}))`);
  }
}

export async function createSchemaAndSeed(cfg: DbConfig, data: Dataset): Promise<AdminConn> {
  const admin = await createDatabase(cfg);
  for (const stmt of ddl(cfg.dialect)) await admin.exec(stmt);
  if (cfg.dialect === "mysql") for (const stmt of mysqlForeignKeys()) await admin.exec(stmt);
  await admin.exec(cfg.dialect === "sqlite" ? "BEGIN" : "START TRANSACTION");
  await insertMany(admin, cfg, "artist", ["id", "name"], data.artists.map((a) => [a.id, a.name]));
  await insertMany(admin, cfg, "album", ["id", "title", "artist_id"], data.albums.map((a) => [a.id, a.title, a.artistId]));
  await insertMany(admin, cfg, "track", ["id", "name", "album_id", "milliseconds", "unit_price"],
    data.tracks.map((t) => [t.id, t.name, t.albumId, t.milliseconds, t.unitPrice]));
  await insertMany(admin, cfg, "playlist", ["id", "name"], data.playlists.map((p) => [p.id, p.name]));
  const links = [...data.trackIdsByPlaylist].flatMap(([playlist, tracks]) => tracks.map((track) => [playlist, track]));
  await insertMany(admin, cfg, "playlist_track", ["id", "playlist_id", "track_id"], links.map((link, k) => [k + 1, ...link]));
  await insertMany(admin, cfg, "tag", ["id", "name"], data.tags.map((t) => [t.id, t.name]));
  await admin.exec("COMMIT");
  await admin.exec(cfg.dialect === "postgresql" ? "ANALYZE" : cfg.dialect === "mysql" ? "ANALYZE TABLE artist, album, track, playlist, playlist_track, tag" : "ANALYZE");
  const [{ n }] = await admin.all<{ n: number | string }>("SELECT COUNT(*) AS n FROM track");
  if (Number(n) !== TRACK_COUNT) throw new Error(`seeding: expected ${TRACK_COUNT} tracks, found ${n}`);
  return admin;
}

/** Rows the write workloads added (every seeded id is <= TRACK_COUNT). */
export async function countInserted(admin: AdminConn): Promise<number> {
  const [row] = await admin.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM track WHERE id > ${TRACK_COUNT}`);
  return Number(row!.n);
}

export async function deleteInserted(admin: AdminConn): Promise<void> {
  await admin.exec(`DELETE FROM track WHERE id > ${TRACK_COUNT}`);
}

/**
 * After a bulk insert with onConflict (untimed): its 5,000 new rows there, and the 5,000 clashing tracks as an
 * upsert leaves them (name marked) or as a skip does (untouched).
 */
export async function checkConflictWrites(admin: AdminConn, upserted: boolean): Promise<void> {
  assert.equal(await countInserted(admin), TRACK_COUNT - CONFLICT_FIRST_ID + 1, "new rows after the bulk insert with onConflict");
  const [row] = await admin.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM track WHERE id >= ${CONFLICT_FIRST_ID} AND id <= ${TRACK_COUNT} AND name LIKE '%${UPSERT_MARK}'`);
  assert.equal(Number(row!.n), upserted ? TRACK_COUNT - CONFLICT_FIRST_ID + 1 : 0, "clashing tracks updated");
}

/** The tracks an upsert overwrote, back as seeded (it added UPSERT_MARK to their names and 1 to their milliseconds). */
export async function restoreUpserted(admin: AdminConn): Promise<void> {
  await admin.exec(`UPDATE track SET name = REPLACE(name, '${UPSERT_MARK}', ''), milliseconds = milliseconds - 1 WHERE id >= ${CONFLICT_FIRST_ID} AND id <= ${TRACK_COUNT}`);
}

/** After a write workload failed part way: the rows it added, gone. */
export async function resetWrites(admin: AdminConn): Promise<void> {
  await deleteInserted(admin);
  await admin.exec("DELETE FROM track_tags");
}

/** Links the many-to-many add workload made, counted then deleted (untimed, after each batch). */
export async function takeTagLinks(admin: AdminConn): Promise<number> {
  const [row] = await admin.all<{ n: number | string }>("SELECT COUNT(*) AS n FROM track_tags");
  await admin.exec("DELETE FROM track_tags");
  return Number(row!.n);
}

/** The seeded prices, put back after the update workload. */
/** Workload 6d's tracks back to their own milliseconds. */
export async function restoreMilliseconds(admin: AdminConn, data: Dataset): Promise<void> {
  for (let i = 0; i < data.tracks.length; i += 1000) {
    const part = data.tracks.slice(i, i + 1000);
    await admin.exec(`UPDATE track SET milliseconds = CASE id ${part.map(() => "WHEN ? THEN ? + 0").join(" ")} END WHERE id IN (${part.map(() => "?").join(", ")})`, [
      ...part.flatMap((t) => [t.id, t.milliseconds]),
      ...part.map((t) => t.id),
    ]);
  }
}

export async function restorePrices(admin: AdminConn, data: Dataset): Promise<void> {
  for (const price of new Set(data.tracks.map((t) => t.unitPrice))) {
    const ids = data.tracks.filter((t) => t.unitPrice === price).map((t) => t.id);
    for (let i = 0; i < ids.length; i += 1000) {
      const part = ids.slice(i, i + 1000);
      await admin.exec(`UPDATE track SET unit_price = ? WHERE id IN (${part.map(() => "?").join(", ")})`, [price, ...part]);
    }
  }
}
