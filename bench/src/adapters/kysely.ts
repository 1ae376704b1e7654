/**
 * Kysely: a typed query builder over the same drivers (better-sqlite3, a pg Pool, a mysql2 pool).
 * Albums with their tracks use Kysely's documented `jsonArrayFrom` helper (one query, a correlated
 * JSON subquery) on SQLite and PostgreSQL; on MariaDB, whose JSON syntax the MySQL helper doesn't fit,
 * two queries. The FK loads are one query per track, issued together.
 */
import pg from "pg";
import { createPool } from "mysql2";
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql, type Generated } from "kysely";
import { jsonArrayFrom as pgJsonArrayFrom } from "kysely/helpers/postgres";
import { jsonArrayFrom as sqliteJsonArrayFrom } from "kysely/helpers/sqlite";
import type { DbConfig } from "../config.js";
import type { NewTrack, TrackRow } from "../data.js";
import { chunks, SQLITE_ROWS_PER_INSERT, type Adapter, type AlbumWithTracks, type TrackOut, type TrackWithAlbum } from "./types.js";
import { groupTracks, openSqlite, pkgVersion, toNumber } from "./common.js";

interface DB {
  artist: { id: Generated<number>; name: string };
  album: { id: Generated<number>; title: string; artist_id: number };
  track: { id: Generated<number>; name: string; album_id: number; milliseconds: number; unit_price: string };
}
type TrackSel = { id: number; name: string; album_id: number; milliseconds: number; unit_price: string };

const TRACK_COLUMNS = ["track.id", "track.name", "track.album_id", "track.milliseconds", "track.unit_price"] as const;
const toTrack = (t: TrackSel): TrackOut => ({ id: t.id, name: t.name, albumId: t.album_id });
const insertValues = (r: NewTrack) => ({ name: r.name, album_id: r.albumId, milliseconds: r.milliseconds, unit_price: r.unitPrice });
const parsed = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);

export default class KyselyAdapter implements Adapter<TrackSel[]> {
  readonly name = "kysely";
  private db!: Kysely<DB>;
  private dialect!: DbConfig["dialect"];

  version(): string { return pkgVersion("kysely"); }

  async setup(cfg: DbConfig): Promise<void> {
    this.dialect = cfg.dialect;
    const dialect = cfg.dialect === "sqlite"
      ? new SqliteDialect({ database: openSqlite(cfg.file!) })
      : cfg.dialect === "postgresql"
        ? new PostgresDialect({ pool: new pg.Pool({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database, max: cfg.poolMax }) })
        : new MysqlDialect({ pool: createPool({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database, connectionLimit: cfg.poolMax }) });
    this.db = new Kysely<DB>({ dialect });
  }

  async teardown(): Promise<void> { await this.db.destroy(); }

  async getByPk(id: number): Promise<TrackOut> {
    return toTrack(await this.db.selectFrom("track").selectAll().where("id", "=", id).executeTakeFirstOrThrow());
  }

  async filterOrderLimit(min: number): Promise<TrackOut[]> {
    const rows = await this.db.selectFrom("track").selectAll().where("milliseconds", ">", min)
      .orderBy("milliseconds", "desc").orderBy("id", "desc").limit(20).execute();
    return rows.map(toTrack);
  }

  async tracksWithAlbum(from: number, to: number): Promise<TrackWithAlbum[]> {
    const rows = await this.db.selectFrom("track as t").innerJoin("album as a", "a.id", "t.album_id")
      .select(["t.id", "t.name", "t.album_id", "t.milliseconds", "t.unit_price", "a.id as a_id", "a.title as a_title", "a.artist_id as a_artist_id"])
      .where("t.id", ">=", from).where("t.id", "<", to).orderBy("t.id").execute();
    return rows.map((r) => ({ id: r.id, name: r.name, albumTitle: r.a_title }));
  }

  async albumsWithTracks(from: number, to: number): Promise<AlbumWithTracks[]> {
    if (this.dialect === "mysql") {
      // Kysely's MySQL jsonArrayFrom casts to JSON, which MariaDB can't parse: two queries there.
      const albums = await this.db.selectFrom("album").selectAll().where("id", ">=", from).where("id", "<", to).orderBy("id").execute();
      const tracks = await this.db.selectFrom("track").selectAll().where("album_id", "in", albums.map((a) => a.id)).orderBy("id").execute();
      return groupTracks(albums, tracks, (t) => t.album_id);
    }
    const jsonArrayFrom = this.dialect === "sqlite" ? sqliteJsonArrayFrom : pgJsonArrayFrom;
    const rows = await this.db.selectFrom("album").selectAll("album")
      .select((eb) => jsonArrayFrom(eb.selectFrom("track").select(TRACK_COLUMNS).whereRef("track.album_id", "=", "album.id").orderBy("track.id")).as("tracks"))
      .where("album.id", ">=", from).where("album.id", "<", to).orderBy("album.id").execute();
    return rows.map((a) => ({ id: a.id, title: a.title, trackIds: parsed(a.tracks).map((t) => t.id) }));
  }

  async insertOne(row: NewTrack): Promise<TrackOut> {
    const q = this.db.insertInto("track").values(insertValues(row));
    if (this.dialect === "mysql") {
      const { insertId } = await q.executeTakeFirstOrThrow();
      return { id: Number(insertId), name: row.name, albumId: row.albumId };
    }
    return toTrack(await q.returningAll().executeTakeFirstOrThrow());
  }

  shapeRows(rows: readonly (NewTrack | TrackRow)[]): object[] {
    return rows.map((r) => ("id" in r ? { id: r.id, ...insertValues(r) } : insertValues(r)));
  }

  async bulkCreate(rows: NewTrack[], shaped = this.shapeRows(rows)): Promise<number> {
    const values = shaped as ReturnType<typeof insertValues>[];
    if (this.dialect !== "sqlite") return toNumber((await this.db.insertInto("track").values(values).executeTakeFirstOrThrow()).numInsertedOrUpdatedRows);
    return this.db.transaction().execute(async (tx) => {
      let n = 0;
      for (const part of chunks(values, SQLITE_ROWS_PER_INSERT)) n += toNumber((await tx.insertInto("track").values(part).executeTakeFirstOrThrow()).numInsertedOrUpdatedRows);
      return n;
    });
  }

  // Kysely writes what it is told: ON CONFLICT on SQLite and PostgreSQL, INSERT IGNORE and ON DUPLICATE KEY UPDATE on MySQL.
  async bulkCreateIgnore(rows: TrackRow[], shaped = this.shapeRows(rows)): Promise<void> {
    await this.#conflicting(shaped, (q) => (this.dialect === "mysql" ? q.ignore() : q.onConflict((oc: any) => oc.doNothing())));
  }

  async bulkUpsert(rows: TrackRow[], shaped = this.shapeRows(rows)): Promise<void> {
    await this.#conflicting(shaped, (q) => (this.dialect === "mysql"
      ? q.onDuplicateKeyUpdate({ name: sql`VALUES(name)`, milliseconds: sql`VALUES(milliseconds)` })
      : q.onConflict((oc: any) => oc.column("id").doUpdateSet({ name: (eb: any) => eb.ref("excluded.name"), milliseconds: (eb: any) => eb.ref("excluded.milliseconds") }))));
  }

  async #conflicting(shaped: unknown[], clause: (q: any) => any): Promise<void> {
    const values = shaped as (ReturnType<typeof insertValues> & { id: number })[];
    if (this.dialect !== "sqlite") return void (await clause(this.db.insertInto("track").values(values)).execute());
    await this.db.transaction().execute(async (tx) => {
      for (const part of chunks(values, SQLITE_ROWS_PER_INSERT)) await clause(tx.insertInto("track").values(part)).execute();
    });
  }

  async updateByFilter(albumId: number, unitPrice: string): Promise<number> {
    const r = await this.db.updateTable("track").set({ unit_price: unitPrice }).where("album_id", "=", albumId).executeTakeFirstOrThrow();
    return toNumber(r.numUpdatedRows);
  }

  async countAcrossFk(artistName: string): Promise<number> {
    const r = await this.db.selectFrom("track").innerJoin("album", "album.id", "track.album_id").innerJoin("artist", "artist.id", "album.artist_id")
      .select((eb) => eb.fn.countAll().as("n")).where("artist.name", "=", artistName).executeTakeFirstOrThrow();
    return toNumber(r.n);
  }

  prepareFkLoads(ids: number[]): Promise<TrackSel[]> {
    return this.db.selectFrom("track").selectAll().where("id", "in", ids).orderBy("id").execute();
  }

  async fkLoads(tracks: TrackSel[]): Promise<TrackWithAlbum[]> {
    const albums = await Promise.all(tracks.map((t) => this.db.selectFrom("album").selectAll().where("id", "=", t.album_id).executeTakeFirstOrThrow()));
    return tracks.map((t, k) => ({ id: t.id, name: t.name, albumTitle: albums[k]!.title }));
  }
}
