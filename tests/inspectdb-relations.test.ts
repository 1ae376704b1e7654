// inspectdb writes join tables as ManyToMany fields and composite uniques and indexes as model options, so that the
// models it writes for a database that migrations made are those migrations' models (makemigrations --check is 0).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { describeEachDialect } from "./helpers/databases.js";
import { runProcess, TempProject } from "./helpers/project.js";

const REPOSITORY = join(dirname(fileURLToPath(import.meta.url)), "..");
const TSX = join(REPOSITORY, "node_modules/tsx/dist/cli.mjs");
const TSC = join(REPOSITORY, "node_modules/typescript/bin/tsc");
const TSCONFIG = {
  compilerOptions: { strict: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext", noEmit: true, skipLibCheck: true, typeRoots: [join(REPOSITORY, "node_modules/@types")], types: ["node"] },
  files: ["inspected.ts", "use.ts"],
};

/** The project's own models: every shape of join table, and options inspectdb must state. */
const APP = `import * as orm from "quarry";
export const database = new orm.Database(process.env.QUARRY_DATABASE_URL!);
export const Tag = orm.Model.define("Tag", { name: orm.String({ maxLength: 40 }) }, { database });
// The join table quarry makes: article_tags.
export const Article = orm.Model.define("Article", { title: orm.String({ maxLength: 80 }), tags: orm.ManyToMany(Tag) }, { database });
export const Group = orm.Model.define("Group", { name: orm.String({ maxLength: 40 }) }, { database });
// A join model of the user's, nothing but its keys: a name quarry would not derive.
export const Person = orm.Model.define("Person", { name: orm.String({ maxLength: 40 }), groups: orm.ManyToMany(Group, { through: "Membership" }) }, { database });
export const Membership = orm.Model.define("Membership", { person: orm.ForeignKey(Person), group: orm.ForeignKey(Group) }, { database, constraints: [{ unique: ["person", "group"] }] });
// A join model with a field of its own.
export const Player = orm.Model.define("Player", { name: orm.String({ maxLength: 40 }), groups: orm.ManyToMany(Group, { through: "Roster" }) }, { database });
export const Roster = orm.Model.define("Roster", { player: orm.ForeignKey(Player), group: orm.ForeignKey(Group), role: orm.String({ maxLength: 20 }) }, { database, constraints: [{ unique: ["player", "group"] }] });
// Composite options on a model that is no join table.
export const Album = orm.Model.define("Album", {
  title: orm.String({ maxLength: 80 }),
  year: orm.Integer(),
  artist: orm.ForeignKey(Person),
}, { database, constraints: [{ unique: ["artist", "title"] }, { unique: ["title", "year"], name: "album_title_year_once" }], indexes: [{ fields: ["year", "title"] }, { fields: ["artist", "year"], name: "album_by_artist_year" }] });
`;

/** What a user does with the written models: the many-to-manys work both ways. */
const USE = `import { database, Article, Tag, Person, Group, Player } from "./inspected.js";
const article = await Article.objects.create({ title: "a" });
const [news, orm] = await Tag.objects.bulkCreate([{ name: "news" }, { name: "orm" }]);
await article.tags.add(news!, orm!);
const person = await Person.objects.create({ name: "Ann" });
const chess = await Group.objects.create({ name: "chess" });
await person.groups.add(chess);
const player = await Player.objects.create({ name: "Bo" });
await player.groups.add(chess, { throughDefaults: { role: "captain" } });
console.log(JSON.stringify({
  tags: (await article.tags.orderBy("name").valuesList("name", { flat: true })),
  articles: await news!.articles.count(),
  members: (await chess.persons.all()).map((member) => member.name),
  players: await chess.players.count(),
  filtered: await Article.objects.filter({ tags__name: "orm" }).count(),
}));
await database.disconnect();
`;

describeEachDialect("inspectdb: join tables as ManyToMany, composite uniques and indexes as options", ({ url }) => {
  const project = new TempProject();
  let source = "";
  beforeAll(async () => {
    project
      .write("app.ts", APP)
      .write("use.ts", USE)
      .write("quarry.config.mjs", `export default { database: ${JSON.stringify(url)}, models: ["./app.ts"], migrations: "./migrations" };\n`)
      .write("inspected.config.mjs", `export default { database: ${JSON.stringify(url)}, models: ["./inspected.ts"], migrations: "./migrations" };\n`);
    const env = { QUARRY_DATABASE_URL: url };
    for (const step of [["makemigrations"], ["migrate"], ["inspectdb", "--out", "inspected.ts"]]) {
      const result = await project.run(step, { env });
      expect(result.code, `${step.join(" ")}: ${result.stdout}${result.stderr}`).toBe(0);
    }
    source = project.read("inspected.ts");
  }, 120_000);
  afterAll(() => project.destroy());

  test("the join table quarry made is the ManyToMany it came from, with no model of its own", () => {
    expect(source).toMatch(/export class Article extends orm\.Model\.define\("Article", \{\n(  .*\n)*  tags: orm\.ManyToMany\(Tag\),\n\}/);
    expect(source).not.toMatch(/class ArticleTags/);
    expect(source).toContain("declare articles: orm.ManyRelatedManager<Article>;");
  });

  test("a join table of its own name is a ManyToMany through its model; its pair unique is a constraint", () => {
    expect(source).toContain('groups: orm.ManyToMany(Group, { through: "Membership" }),');
    expect(source).toMatch(/"Membership", \{\n(  .*\n)*\}, \{ database, constraints: \[\{ unique: \["person", "group"\] \}\] \}\)/);
    expect(source).toContain('groups: orm.ManyToMany(Group, { through: "Roster" }),');
    expect(source).toContain("role: orm.String({ maxLength: 20 }),");
  });

  test("composite uniques and indexes are model options, their names where quarry's would differ", () => {
    expect(source).toContain(
      'constraints: [{ unique: ["artist", "title"] }, { unique: ["title", "year"], name: "album_title_year_once" }], indexes: [{ fields: ["artist", "year"], name: "album_by_artist_year" }, { fields: ["year", "title"] }]',
    );
    expect(source).not.toMatch(/is not stated here/);
  });

  test("the written models type-check, load, work both ways, and are the migrations' models: makemigrations --check is 0", async () => {
    const check = await project.run(["makemigrations", "--check", "--config", "inspected.config.mjs"], { env: { QUARRY_DATABASE_URL: url } });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    project.write("tsconfig.json", JSON.stringify(TSCONFIG));
    const typecheck = await runProcess(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: project.root });
    expect(typecheck.stdout + typecheck.stderr).toBe("");
    const used = await runProcess(process.execPath, [TSX, "use.ts"], { cwd: project.root, env: { QUARRY_DATABASE_URL: url } });
    expect(used.stderr).toBe("");
    expect(JSON.parse(used.stdout)).toEqual({ tags: ["news", "orm"], articles: 1, members: ["Ann"], players: 1, filtered: 1 });
  }, 60_000);
});
