/**
 * TypeORM: entities declared with EntitySchema (no decorators, so no decorator-metadata build step),
 * used through repositories and find options. Track has both the `albumId` column and the `album`
 * many-to-one relation on album_id. SQLite through better-sqlite3, MariaDB through mysql2.
 * The FK loads are `albums.findOneBy({ id })` per track, issued together.
 */
import "reflect-metadata";
import { Between, DataSource, EntitySchema, In, MoreThan, type Repository } from "typeorm";
import type { DbConfig } from "../config.js";
import type { NewTrack } from "../data.js";
import { chunks, SQLITE_ROWS_PER_INSERT, type Adapter, type AlbumWithTracks, type PlaylistWithTracks, type TrackOut, type TrackWithAlbum } from "./types.js";
import { pkgVersion } from "./common.js";

interface Artist { id: number; name: string; albums?: Album[] }
interface Album { id: number; title: string; artistId: number; artist?: Artist; tracks?: Track[] }
interface Track { id: number; name: string; albumId: number; milliseconds: number; unitPrice: string; album?: Album; tags?: Tag[] }
interface Playlist { id: number; name: string; tracks?: Track[] }
interface Tag { id: number; name: string }

const ArtistSchema = new EntitySchema<Artist>({
  name: "Artist", tableName: "artist",
  columns: { id: { type: Number, primary: true, generated: "increment" }, name: { type: String, length: 120 } },
  relations: { albums: { type: "one-to-many", target: "Album", inverseSide: "artist" } },
});
const AlbumSchema = new EntitySchema<Album>({
  name: "Album", tableName: "album",
  columns: {
    id: { type: Number, primary: true, generated: "increment" },
    title: { type: String, length: 160 },
    artistId: { type: Number, name: "artist_id" },
  },
  relations: {
    artist: { type: "many-to-one", target: "Artist", joinColumn: { name: "artist_id" }, inverseSide: "albums" },
    tracks: { type: "one-to-many", target: "Track", inverseSide: "album" },
  },
});
const TrackSchema = new EntitySchema<Track>({
  name: "Track", tableName: "track",
  columns: {
    id: { type: Number, primary: true, generated: "increment" },
    name: { type: String, length: 200 },
    albumId: { type: Number, name: "album_id" },
    milliseconds: { type: Number },
    unitPrice: { type: "decimal", precision: 10, scale: 2, name: "unit_price" },
  },
  relations: {
    album: { type: "many-to-one", target: "Album", joinColumn: { name: "album_id" }, inverseSide: "tracks" },
    tags: { type: "many-to-many", target: "Tag", joinTable: { name: "track_tags", joinColumn: { name: "track_id" }, inverseJoinColumn: { name: "tag_id" } } },
  },
});
const TagSchema = new EntitySchema<Tag>({
  name: "Tag", tableName: "tag",
  columns: { id: { type: Number, primary: true, generated: "increment" }, name: { type: String, length: 40 } },
});
// Playlists ↔ tracks through playlist_track, a join table TypeORM writes two columns of (its id is generated).
const PlaylistSchema = new EntitySchema<Playlist>({
  name: "Playlist", tableName: "playlist",
  columns: { id: { type: Number, primary: true, generated: "increment" }, name: { type: String, length: 120 } },
  relations: {
    tracks: { type: "many-to-many", target: "Track", joinTable: { name: "playlist_track", joinColumn: { name: "playlist_id" }, inverseJoinColumn: { name: "track_id" } } },
  },
});

const toTrack = (t: Track): TrackOut => ({ id: t.id, name: t.name, albumId: t.albumId });

export default class TypeormAdapter implements Adapter<Track[]> {
  readonly name = "typeorm";
  private ds!: DataSource;
  private tracks!: Repository<Track>;
  private albums!: Repository<Album>;
  private playlists!: Repository<Playlist>;
  private dialect!: DbConfig["dialect"];

  version(): string { return pkgVersion("typeorm"); }

  async setup(cfg: DbConfig): Promise<void> {
    this.dialect = cfg.dialect;
    const entities = [ArtistSchema, AlbumSchema, TrackSchema, TagSchema, PlaylistSchema];
    this.ds = new DataSource(cfg.dialect === "sqlite"
      ? { type: "better-sqlite3", database: cfg.file!, entities }
      : {
        type: cfg.dialect === "mysql" ? "mariadb" : "postgres", host: cfg.host, port: cfg.port, username: cfg.user,
        password: cfg.password, database: cfg.database, entities, poolSize: cfg.poolMax,
      });
    await this.ds.initialize();
    this.tracks = this.ds.getRepository(TrackSchema);
    this.albums = this.ds.getRepository(AlbumSchema);
    this.playlists = this.ds.getRepository(PlaylistSchema);
  }

  async teardown(): Promise<void> { await this.ds.destroy(); }

  async getByPk(id: number): Promise<TrackOut> {
    const t = await this.tracks.findOneBy({ id });
    if (!t) throw new Error(`no track ${id}`);
    return toTrack(t);
  }

  async filterOrderLimit(min: number): Promise<TrackOut[]> {
    const rows = await this.tracks.find({ where: { milliseconds: MoreThan(min) }, order: { milliseconds: "DESC", id: "DESC" }, take: 20 });
    return rows.map(toTrack);
  }

  async tracksWithAlbum(from: number, to: number): Promise<TrackWithAlbum[]> {
    const rows = await this.tracks.find({ where: { id: Between(from, to - 1) }, relations: { album: true }, order: { id: "ASC" } });
    return rows.map((t) => ({ id: t.id, name: t.name, albumTitle: t.album!.title }));
  }

  async albumsWithTracks(from: number, to: number): Promise<AlbumWithTracks[]> {
    const rows = await this.albums.find({ where: { id: Between(from, to - 1) }, relations: { tracks: true }, order: { id: "ASC" } });
    return rows.map((a) => ({ id: a.id, title: a.title, trackIds: a.tracks!.map((t) => t.id) }));
  }

  async insertOne(row: NewTrack): Promise<TrackOut> {
    return toTrack(await this.tracks.save(this.tracks.create(row)));
  }

  async bulkCreate(rows: NewTrack[]): Promise<number> {
    // repository.insert(): one multi-row INSERT (save() would also select back every row).
    if (this.dialect !== "sqlite") return (await this.tracks.insert(rows)).identifiers.length;
    return this.ds.transaction(async (em) => {
      let n = 0;
      for (const part of chunks(rows, SQLITE_ROWS_PER_INSERT)) n += (await em.getRepository(TrackSchema).insert(part)).identifiers.length;
      return n;
    });
  }

  async updateByFilter(albumId: number, unitPrice: string): Promise<number> {
    return (await this.tracks.update({ albumId }, { unitPrice })).affected ?? NaN;
  }

  countAcrossFk(artistName: string): Promise<number> {
    return this.tracks.count({ where: { album: { artist: { name: artistName } } } });
  }

  async playlistsWithTracks(from: number, to: number): Promise<PlaylistWithTracks[]> {
    const rows = await this.playlists.find({ where: { id: Between(from, to - 1) }, relations: { tracks: true }, order: { id: "ASC" } });
    return rows.map((p) => ({ id: p.id, name: p.name, trackIds: p.tracks!.map((t) => t.id) }));
  }

  async prepareAddTags(trackId: number): Promise<Track> {
    return (await this.tracks.findOneBy({ id: trackId }))!;
  }

  async addTags(track: unknown, tagIds: number[]): Promise<void> {
    // The relation query builder's add(): one INSERT into the join table, without loading the collection.
    await this.ds.createQueryBuilder().relation(TrackSchema, "tags").of(track as Track).add(tagIds);
  }

  prepareFkLoads(ids: number[]): Promise<Track[]> {
    return this.tracks.find({ where: { id: In(ids) }, order: { id: "ASC" } });
  }

  async fkLoads(tracks: Track[]): Promise<TrackWithAlbum[]> {
    const albums = await Promise.all(tracks.map((t) => this.albums.findOneBy({ id: t.albumId })));
    return tracks.map((t, k) => ({ id: t.id, name: t.name, albumTitle: albums[k]!.title }));
  }
}
