/**
 * Sequelize 6: models with associations (Track belongsTo Album belongsTo Artist, Album hasMany
 * Track). SQLite goes through Sequelize's own driver, sqlite3 (it does not support better-sqlite3);
 * MariaDB through its "mysql" dialect (mysql2, as the raw driver). The FK loads are
 * `track.getAlbum()` per track, issued together.
 */
import { DataTypes, Model, Op, Sequelize, type ModelStatic } from "sequelize";
import type { DbConfig } from "../config.js";
import type { NewTrack } from "../data.js";
import type { Adapter, AlbumWithTracks, PlaylistWithTracks, TrackOut, TrackWithAlbum } from "./types.js";
import { pkgVersion, toNumber } from "./common.js";

const toTrack = (t: any): TrackOut => ({ id: t.id, name: t.name, albumId: t.albumId });

export default class SequelizeAdapter implements Adapter<any[]> {
  readonly name = "sequelize";
  private sequelize!: Sequelize;
  private Artist!: ModelStatic<Model>;
  private Album!: ModelStatic<Model>;
  private Track!: ModelStatic<Model>;
  private Playlist!: ModelStatic<Model>;
  private dialect!: DbConfig["dialect"];

  version(): string { return pkgVersion("sequelize", ...(this.dialect === "sqlite" ? ["sqlite3"] : [])); }

  async setup(cfg: DbConfig): Promise<void> {
    this.dialect = cfg.dialect;
    const common = { logging: false, pool: { max: cfg.poolMax, min: 0 } } as const;
    this.sequelize = cfg.dialect === "sqlite"
      ? new Sequelize({ ...common, dialect: "sqlite", storage: cfg.file })
      : new Sequelize(cfg.database, cfg.user, cfg.password, { ...common, host: cfg.host, port: cfg.port, dialect: cfg.dialect === "mysql" ? "mysql" : "postgres" });
    const options = { sequelize: this.sequelize, timestamps: false, underscored: true };
    const id = { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true };
    this.Artist = this.sequelize.define("Artist", { id, name: { type: DataTypes.STRING(120), allowNull: false } }, { ...options, tableName: "artist" });
    this.Album = this.sequelize.define("Album", {
      id, title: { type: DataTypes.STRING(160), allowNull: false }, artistId: { type: DataTypes.INTEGER, allowNull: false },
    }, { ...options, tableName: "album" });
    this.Track = this.sequelize.define("Track", {
      id, name: { type: DataTypes.STRING(200), allowNull: false }, albumId: { type: DataTypes.INTEGER, allowNull: false },
      milliseconds: { type: DataTypes.INTEGER, allowNull: false }, unitPrice: { type: DataTypes.DECIMAL(10, 2), allowNull: false },
    }, { ...options, tableName: "track" });
    this.Album.belongsTo(this.Artist, { as: "artist", foreignKey: "artistId" });
    this.Artist.hasMany(this.Album, { as: "albums", foreignKey: "artistId" });
    this.Track.belongsTo(this.Album, { as: "album", foreignKey: "albumId" });
    this.Album.hasMany(this.Track, { as: "tracks", foreignKey: "albumId" });
    // Many-to-many: belongsToMany through the join tables' models (their own id column, which Sequelize leaves to the database).
    this.Playlist = this.sequelize.define("Playlist", { id, name: { type: DataTypes.STRING(120), allowNull: false } }, { ...options, tableName: "playlist" });
    const Tag = this.sequelize.define("Tag", { id, name: { type: DataTypes.STRING(40), allowNull: false } }, { ...options, tableName: "tag" });
    const PlaylistTrack = this.sequelize.define("PlaylistTrack", { id }, { ...options, tableName: "playlist_track" });
    const TrackTag = this.sequelize.define("TrackTag", { id }, { ...options, tableName: "track_tags" });
    this.Playlist.belongsToMany(this.Track, { as: "tracks", through: PlaylistTrack, foreignKey: "playlistId", otherKey: "trackId" });
    this.Track.belongsToMany(Tag, { as: "tags", through: TrackTag, foreignKey: "trackId", otherKey: "tagId" });
    await this.sequelize.authenticate();
  }

  async teardown(): Promise<void> { await this.sequelize.close(); }

  async getByPk(id: number): Promise<TrackOut> {
    const t = await this.Track.findByPk(id);
    if (!t) throw new Error(`no track ${id}`);
    return toTrack(t);
  }

  async filterOrderLimit(min: number): Promise<TrackOut[]> {
    const rows = await this.Track.findAll({ where: { milliseconds: { [Op.gt]: min } }, order: [["milliseconds", "DESC"], ["id", "DESC"]], limit: 20 });
    return rows.map(toTrack);
  }

  async tracksWithAlbum(from: number, to: number): Promise<TrackWithAlbum[]> {
    const rows = await this.Track.findAll({
      where: { id: { [Op.gte]: from, [Op.lt]: to } }, include: [{ model: this.Album, as: "album" }], order: [["id", "ASC"]],
    });
    return rows.map((t: any) => ({ id: t.id, name: t.name, albumTitle: t.album.title }));
  }

  async albumsWithTracks(from: number, to: number): Promise<AlbumWithTracks[]> {
    const rows = await this.Album.findAll({
      where: { id: { [Op.gte]: from, [Op.lt]: to } }, include: [{ model: this.Track, as: "tracks" }], order: [["id", "ASC"]],
    });
    return rows.map((a: any) => ({ id: a.id, title: a.title, trackIds: a.tracks.map((t: any) => t.id) }));
  }

  async insertOne(row: NewTrack): Promise<TrackOut> {
    return toTrack(await this.Track.create({ ...row }));
  }

  async bulkCreate(rows: NewTrack[]): Promise<number> {
    return (await this.Track.bulkCreate(rows.map((r) => ({ ...r })))).length;
  }

  async updateByFilter(albumId: number, unitPrice: string): Promise<number> {
    const [n] = await this.Track.update({ unitPrice }, { where: { albumId } });
    return n;
  }

  async countAcrossFk(artistName: string): Promise<number> {
    return toNumber(await this.Track.count({
      include: [{ model: this.Album, as: "album", attributes: [], required: true, include: [{ model: this.Artist, as: "artist", attributes: [], required: true, where: { name: artistName } }] }],
    }));
  }

  async playlistsWithTracks(from: number, to: number): Promise<PlaylistWithTracks[]> {
    const rows = await this.Playlist.findAll({
      where: { id: { [Op.gte]: from, [Op.lt]: to } }, include: [{ model: this.Track, as: "tracks" }], order: [["id", "ASC"]],
    });
    return rows.map((p: any) => ({ id: p.id, name: p.name, trackIds: p.tracks.map((t: any) => t.id) }));
  }

  async prepareAddTags(trackId: number): Promise<any> {
    return this.Track.findByPk(trackId);
  }

  async addTags(track: any, tagIds: number[]): Promise<void> {
    await track.addTags(tagIds); // reads the pairs already linked, then one bulk INSERT of the others
  }

  prepareFkLoads(ids: number[]): Promise<any[]> {
    return this.Track.findAll({ where: { id: ids }, order: [["id", "ASC"]] });
  }

  async fkLoads(tracks: any[]): Promise<TrackWithAlbum[]> {
    const albums = await Promise.all(tracks.map((t) => t.getAlbum()));
    return tracks.map((t, k) => ({ id: t.id, name: t.name, albumTitle: albums[k].title }));
  }
}
