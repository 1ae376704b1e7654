import { afterAll, beforeAll, expect, it } from "vitest";
import * as orm from "../lib/index.js";
import { compareCatalogs, readCatalog } from "../lib/schema/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { CONFIG_MODULE, createAllCatalog, modelsModule } from "./helpers/migration-project.js";
import { TempProject } from "./helpers/project.js";

/** The models at each step, as models.ts holds them (plain JS: the test defines the same models to compare with createAll). */
const STEPS: { title: string; models: string; flags?: string[] }[] = [
  {
    title: "create three models with a foreign key",
    models: `
export const Artist = orm.Model.define("Artist", { name: orm.String({ maxLength: 100 }) }, { database });
export const Album = orm.Model.define("Album", { name: orm.String({ maxLength: 100 }) }, { database });
export const Track = orm.Model.define("Track", { album: orm.ForeignKey(Album), title: orm.String({ maxLength: 200 }), position: orm.Integer() }, { database });`,
  },
  { title: "add a nullable field", models: "" },
  { title: "add a non-null field with a default to 10,000 rows", models: "" },
  { title: "rename a field", models: "", flags: ["--rename", "Track.title=name"] },
  { title: "change a String's maxLength", models: "" },
  { title: "make a field unique and add an index", models: "" },
  { title: "add a foreign key", models: "" },
  { title: "remove a field", models: "" },
  { title: "rename a model", models: "", flags: ["--rename", "Artist=Performer"] },
  { title: "delete a model", models: "" },
];
const TRACK = [
  `{ album: orm.ForeignKey(Album), title: orm.String({ maxLength: 200 }), position: orm.Integer() }`,
  `{ album: orm.ForeignKey(Album), title: orm.String({ maxLength: 200 }), position: orm.Integer(), lyrics: orm.Text({ allowNull: true }) }`,
  `{ album: orm.ForeignKey(Album), title: orm.String({ maxLength: 200 }), position: orm.Integer(), lyrics: orm.Text({ allowNull: true }), plays: orm.Integer({ default: 0 }) }`,
  `{ album: orm.ForeignKey(Album), name: orm.String({ maxLength: 200 }), position: orm.Integer(), lyrics: orm.Text({ allowNull: true }), plays: orm.Integer({ default: 0 }) }`,
  `{ album: orm.ForeignKey(Album), name: orm.String({ maxLength: 300 }), position: orm.Integer(), lyrics: orm.Text({ allowNull: true }), plays: orm.Integer({ default: 0 }) }`,
];
const modelsAt = (step: number): string => {
  const artistName = step >= 5 ? `orm.String({ maxLength: 100, unique: true })` : `orm.String({ maxLength: 100 })`;
  const artist = step >= 8 ? "Performer" : "Artist";
  const albumFields = [`name: orm.String({ maxLength: 100${step >= 5 ? ", index: true" : ""} })`];
  if (step >= 6) albumFields.push(`artist: orm.ForeignKey("${artist}", { allowNull: true, onDelete: "SET NULL" })`);
  const track = step >= 7 ? TRACK[4]!.replace(" lyrics: orm.Text({ allowNull: true }),", "") : TRACK[Math.min(step, 4)]!;
  return [
    `export const ${artist} = orm.Model.define("${artist}", { name: ${artistName} }, { database });`,
    `export const Album = orm.Model.define("Album", { ${albumFields.join(", ")} }, { database });`,
    ...(step >= 9 ? [] : [`export const Track = orm.Model.define("Track", ${track}, { database });`]),
  ].join("\n");
};

describeEachDialect("migrations take a schema through ten changes", (target) => {
  const project = new TempProject();
  const environment = { QUARRY_DATABASE_URL: target.url };
  const quarry = async (...args: string[]) => {
    const result = await project.run(args, { env: environment });
    expect(result.stderr, `quarry ${args.join(" ")}`).toBe("");
    expect(result.code, `quarry ${args.join(" ")}: ${result.stdout}`).toBe(0);
    return result.stdout;
  };
  const createAllCatalogOf = (step: number) => createAllCatalog(target.dialect, modelsAt(step), "reference");
  const liveCatalog = () => readCatalog(target.database, { exclude: ["quarry_migrations"] });
  const writeModels = (step: number) =>
    project.write("models.js", modelsModule(modelsAt(step)));

  beforeAll(() => {
    project.write("quarry.config.js", CONFIG_MODULE);
  });
  afterAll(() => project.destroy());

  STEPS.forEach((step, index) => {
    it(`step ${index + 1}: ${step.title}; rows kept and the live schema equal to createAll's`, async () => {
      writeModels(index);
      expect(await quarry("makemigrations", ...(step.flags ?? []))).toMatch(/^Wrote migrations\/\d{4}_\w+\.js/);
      expect(await quarry("makemigrations")).toBe("No changes detected.\n");
      await quarry("migrate");
      if (index === 0) {
        await target.database.execute(orm.sql`INSERT INTO album (name) VALUES (${"Fantasies"})`);
        for (let chunk = 0; chunk < 10; chunk++) {
          const rows = Array.from({ length: 1000 }, (_, offset) => orm.sql`(1, ${`Track ${chunk * 1000 + offset + 1}`}, ${offset})`);
          await target.database.execute(orm.sql`INSERT INTO track (album_id, title, position) VALUES ${orm.join(rows)}`);
        }
      }
      expect(compareCatalogs(await createAllCatalogOf(index), await liveCatalog())).toEqual([]);
      if (index < 9) {
        const [{ n }] = await target.database.query<{ n: number }>(orm.sql`SELECT COUNT(*) AS n FROM track`);
        expect(Number(n)).toBe(10_000);
        const column = index >= 3 ? "name" : "title";
        const [row] = await target.database.query(orm.sql`SELECT ${orm.raw(target.database.dialect.quote(column))} AS label FROM track WHERE id = 1`);
        expect(row!.label).toBe("Track 1");
      }
      if (index >= 2 && index < 9) {
        const [{ plays }] = await target.database.query<{ plays: number }>(orm.sql`SELECT MIN(plays) AS plays FROM track`);
        expect(Number(plays)).toBe(0);
      }
      const [{ albums }] = await target.database.query<{ albums: number }>(orm.sql`SELECT COUNT(*) AS albums FROM album`);
      expect(Number(albums)).toBe(1);
    });
  });

  it("goes back to zero, and up again to the same schema", async () => {
    const finalSchema = await liveCatalog();
    expect(await quarry("migrate", "zero")).toMatch(/Unapplying 0001_\w+/);
    expect((await liveCatalog()).tables).toEqual([]);
    await quarry("migrate");
    expect(compareCatalogs(finalSchema, await liveCatalog())).toEqual([]);
    expect(await quarry("showmigrations")).toMatch(/^(\[X\] \d{4}_\w+\n){10}$/);
  });
});
