import { afterAll, expect, it } from "vitest";
import * as orm from "../lib/index.js";
import { compareCatalogs, readCatalog } from "../lib/schema/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { CONFIG_MODULE, createAllCatalog, modelsModule } from "./helpers/migration-project.js";
import { TempProject } from "./helpers/project.js";

const VERSIONS = [
  `export const Song = orm.Model.define("Song", { title: orm.String({ maxLength: 80 }), year: orm.Integer(), price: orm.Integer() }, { database });`,
  `export const Song = orm.Model.define("Song", { title: orm.String({ maxLength: 80 }), year: orm.Integer(), price: orm.Integer() }, {
  database,
  indexes: [{ fields: ["year", "-title"], name: "song_year_title" }],
  constraints: [{ unique: ["title", "year"] }, { check: { price__gte: 0 }, name: "song_price_positive" }],
});`,
  `export const Song = orm.Model.define("Song", { title: orm.String({ maxLength: 80 }), year: orm.Integer(), price: orm.Integer() }, {
  database,
  constraints: [{ unique: ["title", "year"] }],
});`,
];

describeEachDialect("migrations of the model options indexes and constraints", (target) => {
  const project = new TempProject().write("quarry.config.js", CONFIG_MODULE);
  afterAll(() => project.destroy());
  const quarry = async (...args: string[]) => {
    const result = await project.run(args, { env: { QUARRY_DATABASE_URL: target.url } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    return result.stdout;
  };
  const createAllCatalogOf = (version: number) => createAllCatalog(target.dialect, VERSIONS[version]!, "options-reference");

  it("adds and removes them, rows kept, the live schema equal to createAll's each time, and back to zero", async () => {
    const expected = [/Create model Song/, /Add index song_year_title on Song\n.*Add constraint song_title_year_uniq on Song\n.*Add constraint song_price_positive on Song/s, /Remove index song_year_title from Song\n.*Remove constraint song_price_positive from Song/s];
    for (const [version, source] of VERSIONS.entries()) {
      project.write("models.js", modelsModule(source));
      expect(await quarry("makemigrations")).toMatch(expected[version]!);
      await quarry("migrate");
      if (version === 0) await target.database.execute(orm.sql`INSERT INTO song (title, year, price) VALUES (${"Kid A"}, 2000, 5)`);
      expect(compareCatalogs(await createAllCatalogOf(version), await readCatalog(target.database, { exclude: ["quarry_migrations"] }))).toEqual([]);
      expect(await target.database.query(orm.sql`SELECT title FROM song`)).toEqual([{ title: "Kid A" }]);
    }
    await quarry("migrate", "0001");
    expect(compareCatalogs(await createAllCatalogOf(0), await readCatalog(target.database, { exclude: ["quarry_migrations"] }))).toEqual([]);
    await quarry("migrate", "zero");
    expect((await readCatalog(target.database, { exclude: ["quarry_migrations"] })).tables).toEqual([]);
  });
});
