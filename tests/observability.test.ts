import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";

describeEachDialect("observability", (target) => {
  const { database } = target;
  const Artist = orm.Model.define("ObsArtist", { name: orm.String({ maxLength: 120 }) }, { database, tablename: "obs_artist" });
  const Album = orm.Model.define("ObsAlbum", { title: orm.String({ maxLength: 160 }), artist: orm.ForeignKey(Artist) }, { database, tablename: "obs_album" });

  beforeAll(async () => {
    await database.createAll();
  });

  test("every statement quarry writes says its model, table and operation; raw SQL says nothing", async () => {
    const events = await target.statementsDuring(async () => {
      const artist = await Artist.objects.create({ name: "AC/DC" });
      await Album.objects.bulkCreate([{ title: "A", artist }, { title: "B", artist }]);
      const [album] = await Album.objects.filter({ title: "A" }).all();
      await album!.artist.load();
      await Album.objects.filter({ title: "B" }).update({ title: "C" });
      await Album.objects.count();
      await Album.objects.filter({ title: "C" }).delete();
      await database.query(orm.sql`SELECT 1 AS one`);
    });
    // MariaDB asks once for the step between generated keys (a server setting): not a model's statement.
    const described = events.filter((event) => !event.sql.includes("auto_increment_increment")).map((event) => event.about && [event.about.operation, event.about.model, event.about.table, event.about.batchSize]);
    expect(described).toEqual([
      ["INSERT", "ObsArtist", "obs_artist", undefined],
      ["INSERT", "ObsAlbum", "obs_album", 2],
      ["SELECT", "ObsAlbum", "obs_album", undefined],
      ["SELECT", "ObsArtist", "obs_artist", 1],
      ["UPDATE", "ObsAlbum", "obs_album", undefined],
      ["SELECT", "ObsAlbum", "obs_album", undefined],
      ["DELETE", "ObsAlbum", "obs_album", undefined],
      undefined,
    ]);
  });
});
