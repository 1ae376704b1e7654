/**
 * Drizzle ORM: one table set per dialect (Drizzle's column builders are dialect-specific), the
 * same queries on all three. Tracks with their album: an inner join (core API). Albums with their
 * tracks: the relational query API (`db.query.album.findMany({ with: { tracks: true } })`, one query
 * aggregating JSON through LEFT JOIN LATERAL) — except on MariaDB, which has no LATERAL, where it is
 * two queries. The FK loads are one `db.query.album.findFirst` per track, issued together.
 */
import pg from "pg";
import mysql from "mysql2/promise";
import { and, count, desc, eq, gt, gte, inArray, lt, relations, asc, sql } from "drizzle-orm";
import * as sqliteCore from "drizzle-orm/sqlite-core";
import * as pgCore from "drizzle-orm/pg-core";
import * as mysqlCore from "drizzle-orm/mysql-core";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzleMysql } from "drizzle-orm/mysql2";
import type { DbConfig } from "../config.js";
import type { NewTrack, TrackRow } from "../data.js";
import { chunks, SQLITE_ROWS_PER_INSERT, type Adapter, type AlbumWithTracks, type TrackOut, type TrackWithAlbum } from "./types.js";
import { groupTracks, openSqlite, pkgVersion, toNumber } from "./common.js";

function tables(dialect: DbConfig["dialect"]) {
  if (dialect === "sqlite") {
    const { sqliteTable, integer, text, numeric } = sqliteCore;
    const artist = sqliteTable("artist", { id: integer("id").primaryKey(), name: text("name").notNull() });
    const album = sqliteTable("album", { id: integer("id").primaryKey(), title: text("title").notNull(), artistId: integer("artist_id").notNull().references(() => artist.id) });
    const track = sqliteTable("track", {
      id: integer("id").primaryKey(), name: text("name").notNull(), albumId: integer("album_id").notNull().references(() => album.id),
      milliseconds: integer("milliseconds").notNull(), unitPrice: numeric("unit_price").notNull(),
    });
    return { artist, album, track };
  }
  if (dialect === "postgresql") {
    const { pgTable, serial, integer, varchar, numeric } = pgCore;
    const artist = pgTable("artist", { id: serial("id").primaryKey(), name: varchar("name", { length: 120 }).notNull() });
    const album = pgTable("album", { id: serial("id").primaryKey(), title: varchar("title", { length: 160 }).notNull(), artistId: integer("artist_id").notNull().references(() => artist.id) });
    const track = pgTable("track", {
      id: serial("id").primaryKey(), name: varchar("name", { length: 200 }).notNull(), albumId: integer("album_id").notNull().references(() => album.id),
      milliseconds: integer("milliseconds").notNull(), unitPrice: numeric("unit_price", { precision: 10, scale: 2 }).notNull(),
    });
    return { artist, album, track };
  }
  const { mysqlTable, int, varchar, decimal } = mysqlCore;
  const artist = mysqlTable("artist", { id: int("id").autoincrement().primaryKey(), name: varchar("name", { length: 120 }).notNull() });
  const album = mysqlTable("album", { id: int("id").autoincrement().primaryKey(), title: varchar("title", { length: 160 }).notNull(), artistId: int("artist_id").notNull().references(() => artist.id) });
  const track = mysqlTable("track", {
    id: int("id").autoincrement().primaryKey(), name: varchar("name", { length: 200 }).notNull(), albumId: int("album_id").notNull().references(() => album.id),
    milliseconds: int("milliseconds").notNull(), unitPrice: decimal("unit_price", { precision: 10, scale: 2 }).notNull(),
  });
  return { artist, album, track };
}

function schemaFor(dialect: DbConfig["dialect"]) {
  const t = tables(dialect) as any;
  const artistRelations = relations(t.artist, ({ many }) => ({ albums: many(t.album) }));
  const albumRelations = relations(t.album, ({ one, many }) => ({
    artist: one(t.artist, { fields: [t.album.artistId], references: [t.artist.id] }),
    tracks: many(t.track),
  }));
  const trackRelations = relations(t.track, ({ one }) => ({ album: one(t.album, { fields: [t.track.albumId], references: [t.album.id] }) }));
  return { ...t, artistRelations, albumRelations, trackRelations };
}

const toTrack = (t: any): TrackOut => ({ id: t.id, name: t.name, albumId: t.albumId });

export default class DrizzleAdapter implements Adapter<any[]> {
  readonly name = "drizzle";
  private db: any;
  private s: any;
  private dialect!: DbConfig["dialect"];
  private close!: () => Promise<void>;

  version(): string { return pkgVersion("drizzle-orm"); }

  async setup(cfg: DbConfig): Promise<void> {
    this.dialect = cfg.dialect;
    this.s = schemaFor(cfg.dialect);
    if (cfg.dialect === "sqlite") {
      const client = openSqlite(cfg.file!);
      this.db = drizzleSqlite(client, { schema: this.s });
      this.close = async () => { client.close(); };
    } else if (cfg.dialect === "postgresql") {
      const pool = new pg.Pool({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database, max: cfg.poolMax });
      this.db = drizzlePg(pool, { schema: this.s });
      this.close = () => pool.end();
    } else {
      const pool = mysql.createPool({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database, connectionLimit: cfg.poolMax });
      this.db = drizzleMysql(pool, { schema: this.s, mode: "default" });
      this.close = () => pool.end();
    }
  }

  async teardown(): Promise<void> { await this.close(); }

  async getByPk(id: number): Promise<TrackOut> {
    const [t] = await this.db.select().from(this.s.track).where(eq(this.s.track.id, id));
    return toTrack(t);
  }

  async filterOrderLimit(min: number): Promise<TrackOut[]> {
    const { track } = this.s;
    const rows = await this.db.select().from(track).where(gt(track.milliseconds, min)).orderBy(desc(track.milliseconds), desc(track.id)).limit(20);
    return rows.map(toTrack);
  }

  async tracksWithAlbum(from: number, to: number): Promise<TrackWithAlbum[]> {
    const { track, album } = this.s;
    const rows = await this.db.select().from(track).innerJoin(album, eq(album.id, track.albumId))
      .where(and(gte(track.id, from), lt(track.id, to))).orderBy(asc(track.id));
    return rows.map((r: any) => ({ id: r.track.id, name: r.track.name, albumTitle: r.album.title }));
  }

  async albumsWithTracks(from: number, to: number): Promise<AlbumWithTracks[]> {
    const { album, track } = this.s;
    const where = and(gte(album.id, from), lt(album.id, to));
    if (this.dialect !== "mysql") {
      const rows = await this.db.query.album.findMany({ where, orderBy: [asc(album.id)], with: { tracks: true } });
      return rows.map((a: any) => ({ id: a.id, title: a.title, trackIds: a.tracks.map((t: any) => t.id) }));
    }
    // Drizzle's relational queries compile to LEFT JOIN LATERAL, which MariaDB lacks: two queries instead.
    const albums = await this.db.select().from(album).where(where).orderBy(asc(album.id));
    const tracks = await this.db.select().from(track).where(inArray(track.albumId, albums.map((a: any) => a.id))).orderBy(asc(track.id));
    return groupTracks(albums, tracks, (t: any) => t.albumId);
  }

  async insertOne(row: NewTrack): Promise<TrackOut> {
    const q = this.db.insert(this.s.track).values(row);
    if (this.dialect === "mysql") {
      const [{ id }] = await q.$returningId();
      return { id, name: row.name, albumId: row.albumId };
    }
    const [t] = await q.returning();
    return toTrack(t);
  }

  async bulkCreate(rows: NewTrack[]): Promise<number> {
    const { track } = this.s;
    if (this.dialect === "sqlite") {
      return this.db.transaction((tx: any) =>
        chunks(rows, SQLITE_ROWS_PER_INSERT).reduce((n, part) => n + tx.insert(track).values(part).run().changes, 0));
    }
    const res = await this.db.insert(track).values(rows);
    return this.dialect === "postgresql" ? res.rowCount : res[0].affectedRows;
  }

  async bulkCreateIgnore(rows: TrackRow[]): Promise<void> {
    await this.#conflicting(rows, (q) => (this.dialect === "mysql" ? q.onDuplicateKeyUpdate({ set: { id: sql`id` } }) : q.onConflictDoNothing()));
  }

  async bulkUpsert(rows: TrackRow[]): Promise<void> {
    const { track } = this.s;
    await this.#conflicting(rows, (q) => (this.dialect === "mysql"
      ? q.onDuplicateKeyUpdate({ set: { name: sql`values(${track.name})`, milliseconds: sql`values(${track.milliseconds})` } })
      : q.onConflictDoUpdate({ target: track.id, set: { name: sql.raw("excluded.name"), milliseconds: sql.raw("excluded.milliseconds") } })));
  }

  async #conflicting(rows: TrackRow[], clause: (q: any) => any): Promise<void> {
    const { track } = this.s;
    if (this.dialect === "sqlite") {
      return this.db.transaction((tx: any) => {
        for (const part of chunks(rows, SQLITE_ROWS_PER_INSERT)) clause(tx.insert(track).values(part)).run();
      });
    }
    // Drizzle's MySQL insert has ignore() too; ON DUPLICATE KEY UPDATE id = id, as its docs suggest for skipping, is what quarry writes.
    await clause(this.db.insert(track).values(rows));
  }

  async updateByFilter(albumId: number, unitPrice: string): Promise<number> {
    const { track } = this.s;
    const q = this.db.update(track).set({ unitPrice }).where(eq(track.albumId, albumId));
    if (this.dialect === "sqlite") return q.run().changes;
    const res = await q;
    return this.dialect === "postgresql" ? res.rowCount : res[0].affectedRows;
  }

  async countAcrossFk(artistName: string): Promise<number> {
    const { track, album, artist } = this.s;
    const [r] = await this.db.select({ n: count() }).from(track)
      .innerJoin(album, eq(album.id, track.albumId)).innerJoin(artist, eq(artist.id, album.artistId))
      .where(eq(artist.name, artistName));
    return toNumber(r.n);
  }

  prepareFkLoads(ids: number[]): Promise<any[]> {
    const { track } = this.s;
    return this.db.select().from(track).where(inArray(track.id, ids)).orderBy(asc(track.id));
  }

  async fkLoads(tracks: any[]): Promise<TrackWithAlbum[]> {
    const { album } = this.s;
    const albums = await Promise.all(tracks.map((t) => this.db.query.album.findFirst({ where: eq(album.id, t.albumId) })));
    return tracks.map((t, k) => ({ id: t.id, name: t.name, albumTitle: albums[k].title }));
  }
}
