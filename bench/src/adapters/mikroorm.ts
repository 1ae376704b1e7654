/**
 * MikroORM 6 (7 needs Node 22): EntitySchema definitions (no decorators), one forked EntityManager
 * per operation — the per-request context MikroORM asks for, and what keeps its identity map from
 * answering repeated reads without a query. Relations use the default "joined" load strategy
 * (one query). FK loads are `track.album.load()` per track with MikroORM's own dataloader enabled
 * (`dataloader: DataloaderType.ALL`), so they batch into one query like quarry's.
 * SQLite through @mikro-orm/better-sqlite, MariaDB through @mikro-orm/mysql (mysql2).
 */
import { DataloaderType, EntitySchema, MikroORM, type Collection, type EntityManager, type Ref } from "@mikro-orm/core";
import type { DbConfig } from "../config.js";
import type { NewTrack } from "../data.js";
import { chunks, SQLITE_ROWS_PER_INSERT, type Adapter, type AlbumWithTracks, type PlaylistWithTracks, type TrackOut, type TrackWithAlbum } from "./types.js";
import { pkgVersion } from "./common.js";

class Artist { id!: number; name!: string }
class Album { id!: number; title!: string; artist!: Ref<Artist>; tracks!: { getItems(): Track[] } }
class Track { id!: number; name!: string; album!: Ref<Album>; milliseconds!: number; unitPrice!: string; tags!: Collection<Tag> }
class Tag { id!: number; name!: string }
class Playlist { id!: number; name!: string; tracks!: Collection<Track> }

const ArtistSchema = new EntitySchema<Artist>({
  class: Artist, tableName: "artist",
  properties: { id: { type: "integer", primary: true }, name: { type: "string", length: 120 } },
});
const AlbumSchema = new EntitySchema<Album>({
  class: Album, tableName: "album",
  properties: {
    id: { type: "integer", primary: true },
    title: { type: "string", length: 160 },
    artist: { kind: "m:1", entity: () => Artist, fieldName: "artist_id", ref: true },
    tracks: { kind: "1:m", entity: () => Track, mappedBy: "album" } as never,
  },
});
const TrackSchema = new EntitySchema<Track>({
  class: Track, tableName: "track",
  properties: {
    id: { type: "integer", primary: true },
    name: { type: "string", length: 200 },
    album: { kind: "m:1", entity: () => Album, fieldName: "album_id", ref: true },
    milliseconds: { type: "integer" },
    unitPrice: { type: "decimal", precision: 10, scale: 2, fieldName: "unit_price" },
    tags: { kind: "m:n", entity: () => Tag, pivotTable: "track_tags", joinColumn: "track_id", inverseJoinColumn: "tag_id" } as never,
  },
});
const TagSchema = new EntitySchema<Tag>({
  class: Tag, tableName: "tag",
  properties: { id: { type: "integer", primary: true }, name: { type: "string", length: 40 } },
});
// Many-to-many through pivot tables that have an id column of their own, which MikroORM leaves to the database.
const PlaylistSchema = new EntitySchema<Playlist>({
  class: Playlist, tableName: "playlist",
  properties: {
    id: { type: "integer", primary: true },
    name: { type: "string", length: 120 },
    tracks: { kind: "m:n", entity: () => Track, pivotTable: "playlist_track", joinColumn: "playlist_id", inverseJoinColumn: "track_id" } as never,
  },
});

const toTrack = (t: Track): TrackOut => ({ id: t.id, name: t.name, albumId: t.album.id });
const insertData = (r: NewTrack) => ({ name: r.name, album: r.albumId, milliseconds: r.milliseconds, unitPrice: r.unitPrice });

export default class MikroormAdapter implements Adapter<Track[]> {
  readonly name = "mikroorm";
  private orm!: MikroORM;
  private dialect!: DbConfig["dialect"];
  private driverPkg!: string;

  version(): string { return pkgVersion("@mikro-orm/core", this.driverPkg); }

  private get em(): EntityManager { return this.orm.em.fork() as unknown as EntityManager; }

  async setup(cfg: DbConfig): Promise<void> {
    this.dialect = cfg.dialect;
    this.driverPkg = { sqlite: "@mikro-orm/better-sqlite", postgresql: "@mikro-orm/postgresql", mysql: "@mikro-orm/mysql" }[cfg.dialect];
    const { MikroORM: DriverORM } = (await import(this.driverPkg)) as { MikroORM: typeof MikroORM };
    this.orm = await DriverORM.init({
      entities: [ArtistSchema, AlbumSchema, TrackSchema, TagSchema, PlaylistSchema],
      dbName: cfg.dialect === "sqlite" ? cfg.file! : cfg.database,
      ...(cfg.dialect === "sqlite" ? {} : { host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, pool: { min: 0, max: cfg.poolMax } }),
      dataloader: DataloaderType.ALL,
      discovery: { disableDynamicFileAccess: true },
      debug: false,
    } as never);
  }

  async teardown(): Promise<void> { await this.orm.close(true); }

  async getByPk(id: number): Promise<TrackOut> {
    return toTrack(await this.em.findOneOrFail(Track, id));
  }

  async filterOrderLimit(min: number): Promise<TrackOut[]> {
    const rows = await this.em.find(Track, { milliseconds: { $gt: min } }, { orderBy: { milliseconds: "desc", id: "desc" }, limit: 20 });
    return rows.map(toTrack);
  }

  async tracksWithAlbum(from: number, to: number): Promise<TrackWithAlbum[]> {
    const rows = await this.em.find(Track, { id: { $gte: from, $lt: to } }, { populate: ["album"], orderBy: { id: "asc" } });
    return rows.map((t) => ({ id: t.id, name: t.name, albumTitle: t.album.$.title }));
  }

  async albumsWithTracks(from: number, to: number): Promise<AlbumWithTracks[]> {
    const rows = await this.em.find(Album, { id: { $gte: from, $lt: to } }, { populate: ["tracks"] as never, orderBy: { id: "asc" } });
    return rows.map((a) => ({ id: a.id, title: a.title, trackIds: a.tracks.getItems().map((t) => t.id) }));
  }

  async insertOne(row: NewTrack): Promise<TrackOut> {
    const em = this.em;
    const t = em.create(Track, insertData(row) as never);
    await em.flush();
    return toTrack(t);
  }

  shapeRows(rows: readonly NewTrack[]): object[] {
    return rows.map(insertData);
  }

  async bulkCreate(rows: NewTrack[], shaped = this.shapeRows(rows)): Promise<number> {
    // em.insertMany(): one native multi-row INSERT, no entities. It returns every new id only where
    // the driver has RETURNING support wired (PostgreSQL), else just the first; the harness's untimed
    // COUNT(*) after each op is what checks that all rows landed.
    const data = shaped as never[];
    const em = this.em;
    if (this.dialect !== "sqlite") await em.insertMany(Track, data);
    else await em.transactional(async (tx) => { for (const part of chunks(data, SQLITE_ROWS_PER_INSERT)) await tx.insertMany(Track, part); });
    return rows.length;
  }

  updateByFilter(albumId: number, unitPrice: string): Promise<number> {
    return this.em.nativeUpdate(Track, { album: albumId } as never, { unitPrice });
  }

  countAcrossFk(artistName: string): Promise<number> {
    return this.em.count(Track, { album: { artist: { name: artistName } } } as never);
  }

  async playlistsWithTracks(from: number, to: number): Promise<PlaylistWithTracks[]> {
    const rows = await this.em.find(Playlist, { id: { $gte: from, $lt: to } }, { populate: ["tracks"] as never, orderBy: { id: "asc" } });
    return rows.map((p) => ({ id: p.id, name: p.name, trackIds: p.tracks.getItems().map((t) => t.id) }));
  }

  async prepareAddTags(trackId: number): Promise<{ em: EntityManager; track: Track }> {
    const em = this.em;
    return { em, track: await em.findOneOrFail(Track, trackId) };
  }

  async addTags(prepared: unknown, tagIds: number[]): Promise<void> {
    const { em, track } = prepared as { em: EntityManager; track: Track };
    track.tags.add(tagIds.map((id) => em.getReference(Tag, id)));
    await em.flush();
  }

  prepareFkLoads(ids: number[]): Promise<Track[]> {
    return this.em.find(Track, { id: { $in: ids } }, { orderBy: { id: "asc" } });
  }

  async fkLoads(tracks: Track[]): Promise<TrackWithAlbum[]> {
    const albums = await Promise.all(tracks.map((t) => t.album.load()));
    return tracks.map((t, k) => ({ id: t.id, name: t.name, albumTitle: albums[k]!.title }));
  }
}
