import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as orm from "../lib/index.js";
import { detectChanges, FlagQuestioner, ProjectState, stateFromModels, type FieldState, type Questioner } from "../lib/migrations/index.js";
import { modelState } from "../lib/migrations/state.js";
import { migrationSource } from "../lib/migrations/writer.js";
import { compareCatalogs, readCatalog } from "../lib/schema/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { CONFIG_MODULE, createAllCatalog, modelsModule } from "./helpers/migration-project.js";
import { TempProject } from "./helpers/project.js";

/** Answers every rename "no" and every fill from `fills` ("Model.field" -> value), recording the questions. */
class ScriptedQuestioner implements Questioner {
  readonly asked: string[] = [];
  constructor(readonly fills: Record<string, unknown> = {}) {}
  async askRename(): Promise<boolean> {
    return false;
  }
  async askFill(model: string, name: string, _field: FieldState): Promise<unknown> {
    this.asked.push(`${model}.${name}`);
    return this.fills[`${model}.${name}`];
  }
}

describe("migration state of ManyToMany fields", () => {
  const database = new orm.Database("sqlite::memory:");
  const Tag = orm.Model.define("Tag", { name: orm.String({ maxLength: 40 }) }, { database });
  const Article = orm.Model.define("Article", { title: orm.String({ maxLength: 80 }), tags: orm.ManyToMany(Tag, { relatedName: "articles" }) }, { database });
  orm.Model.define("Person", { name: orm.String({ maxLength: 40 }), friends: orm.ManyToMany("self") }, { database });

  it("records a ManyToMany as a field of its model, and the join table quarry makes as no model of its own", () => {
    const state = stateFromModels(database.models);
    expect([...state.models.keys()]).toEqual(["Tag", "Article", "Person"]);
    expect(state.model("Article").fields.tags).toEqual({ type: "ManyToMany", to: "Tag", relatedName: "articles" });
    expect(state.model("Person").fields.friends).toEqual({ type: "ManyToMany", to: "Person" });
    expect(Article.tablename).toBe("article");
  });

  it("creates a model after the models its ManyToMany reaches, and writes the field into the migration", async () => {
    const operations = await detectChanges(new ProjectState(), stateFromModels([...database.models].reverse()), new ScriptedQuestioner());
    expect(operations.map((operation) => operation.describe())).toEqual(["Create model Person", "Create model Tag", "Create model Article"]);
    expect(migrationSource([], operations)).toMatch(/tags: \{ type: "ManyToMany", to: "Tag", relatedName: "articles" \}/);
  });

  it("adds and removes a ManyToMany with a through model as a field alone, and defers one whose target cannot come first", async () => {
    const through = new orm.Database("sqlite::memory:");
    const Group = orm.Model.define("Group", { name: orm.String({ maxLength: 40 }), members: orm.ManyToMany("Member", { through: "Enrolment" }) }, { database: through });
    const Member = orm.Model.define("Member", { name: orm.String({ maxLength: 40 }), favourite: orm.ForeignKey(Group, { allowNull: true, relatedName: "fans" }) }, { database: through });
    orm.Model.define("Enrolment", { group: orm.ForeignKey(Group), member: orm.ForeignKey(Member) }, { database: through });
    orm.Model.define("Badge", { name: orm.String({ maxLength: 40 }), holders: orm.ManyToMany(Member) }, { database: through });
    const created = await detectChanges(new ProjectState(), stateFromModels(through.models), new ScriptedQuestioner());
    expect(created.map((operation) => operation.describe())).toEqual(["Create model Group", "Create model Member", "Create model Enrolment", "Create model Badge"]);
    const state = stateFromModels(through.models);
    const withoutMembers = new ProjectState(state.models.values());
    const { members: _members, ...groupFields } = state.model("Group").fields;
    withoutMembers.put({ ...state.model("Group"), fields: groupFields });
    const added = await detectChanges(withoutMembers, state, new ScriptedQuestioner());
    expect(added.map((operation) => operation.describe())).toEqual(["Add field members to Group"]);
    const removed = await detectChanges(state, withoutMembers, new ScriptedQuestioner());
    expect(removed.map((operation) => operation.describe())).toEqual(["Remove field members from Group"]);

    // Two new models that reach each other: the ManyToMany is added once both exist.
    const cycle = new orm.Database("sqlite::memory:");
    const Left = orm.Model.define("Left", { rights: orm.ManyToMany("Right") }, { database: cycle });
    orm.Model.define("Right", { left: orm.ForeignKey(Left, { relatedName: "owned" }) }, { database: cycle });
    const operations = await detectChanges(new ProjectState(), stateFromModels(cycle.models), new ScriptedQuestioner());
    expect(operations.map((operation) => operation.describe())).toEqual(["Create model Left", "Create model Right", "Add field rights to Left"]);
  });

  it("turns an implicit join table into a through model: creates it, then moves the pairs with the values asked for", async () => {
    const before = stateFromModels(database.models);
    const later = new orm.Database("sqlite::memory:");
    const LaterTag = orm.Model.define("Tag", { name: orm.String({ maxLength: 40 }) }, { database: later });
    const LaterArticle = orm.Model.define(
      "Article",
      { title: orm.String({ maxLength: 80 }), tags: orm.ManyToMany(LaterTag, { relatedName: "articles", through: "Membership" }) },
      { database: later },
    );
    orm.Model.define(
      "Membership",
      { article: orm.ForeignKey(LaterArticle), tag: orm.ForeignKey(LaterTag), role: orm.String({ maxLength: 20, default: "member" }), weight: orm.Integer() },
      { database: later },
    );
    orm.Model.define("Person", { name: orm.String({ maxLength: 40 }), friends: orm.ManyToMany("self") }, { database: later });
    const questioner = new ScriptedQuestioner({ "Membership.weight": 1 });
    const operations = await detectChanges(before, stateFromModels(later.models), questioner);
    expect(questioner.asked).toEqual(["Membership.weight"]);
    expect(operations.map((operation) => operation.describe())).toEqual(["Create model Membership", "Alter field tags on Article"]);
    expect(migrationSource([], operations)).toMatch(/new AlterField\("Article", "tags", \{ type: "ManyToMany", to: "Tag", relatedName: "articles", through: "Membership" \}, \{ fills: \{ weight: 1 \} \}\)/);
    await expect(detectChanges(before, stateFromModels(later.models), new FlagQuestioner(new Map()))).rejects.toThrow(/Membership\.weight .*NOT NULL.*without a default/);
  });
});

/** The models at each step of the CLI walk below (plain JS; the test defines the same ones to compare with createAll). */
const TAG = `export const Tag = orm.Model.define("Tag", { name: orm.String({ maxLength: 40 }) }, { database });`;
const VERSIONS = [
  // 0: an implicit join table, and a self-referential one
  `${TAG}
export const Article = orm.Model.define("Article", { title: orm.String({ maxLength: 80 }), tags: orm.ManyToMany(Tag) }, { database });
export const Person = orm.Model.define("Person", { name: orm.String({ maxLength: 40 }), friends: orm.ManyToMany("self") }, { database });`,
  // 1: the same pairs through a model of their own, with extra fields
  `${TAG}
export const Article = orm.Model.define("Article", { title: orm.String({ maxLength: 80 }), tags: orm.ManyToMany(Tag, { through: "Membership" }) }, { database });
export const Membership = orm.Model.define("Membership", {
  article: orm.ForeignKey(Article),
  tag: orm.ForeignKey(Tag),
  role: orm.String({ maxLength: 20, default: "member" }),
  weight: orm.Integer(),
  note: orm.Text({ allowNull: true }),
}, { database });
export const Person = orm.Model.define("Person", { name: orm.String({ maxLength: 40 }), friends: orm.ManyToMany("self") }, { database });`,
  // 2: a ManyToMany added, the self one renamed
  `${TAG}
export const Person = orm.Model.define("Person", { name: orm.String({ maxLength: 40 }), pals: orm.ManyToMany("self") }, { database });
export const Article = orm.Model.define("Article", { title: orm.String({ maxLength: 80 }), tags: orm.ManyToMany(Tag, { through: "Membership" }), readers: orm.ManyToMany(Person) }, { database });
export const Membership = orm.Model.define("Membership", {
  article: orm.ForeignKey(Article),
  tag: orm.ForeignKey(Tag),
  role: orm.String({ maxLength: 20, default: "member" }),
  weight: orm.Integer(),
  note: orm.Text({ allowNull: true }),
}, { database });`,
  // 3: the model renamed: its join tables and the columns named after it follow
  `${TAG}
export const Reader = orm.Model.define("Reader", { name: orm.String({ maxLength: 40 }), pals: orm.ManyToMany("self") }, { database });
export const Article = orm.Model.define("Article", { title: orm.String({ maxLength: 80 }), tags: orm.ManyToMany(Tag, { through: "Membership" }), readers: orm.ManyToMany(Reader) }, { database });
export const Membership = orm.Model.define("Membership", {
  article: orm.ForeignKey(Article),
  tag: orm.ForeignKey(Tag),
  role: orm.String({ maxLength: 20, default: "member" }),
  weight: orm.Integer(),
  note: orm.Text({ allowNull: true }),
}, { database });`,
];
// 4: the ManyToMany added at 2 removed again
VERSIONS.push(VERSIONS[3]!.replace(", readers: orm.ManyToMany(Reader)", ""));
// 5: back to a join table quarry makes, the through model gone
VERSIONS.push(VERSIONS[4]!.replace(`{ through: "Membership" }`, "").replace(/export const Membership[^;]*;/s, ""));

describeEachDialect("migrations of ManyToMany fields through the quarry command", (target) => {
  const project = new TempProject();
  const environment = { QUARRY_DATABASE_URL: target.url };
  const quarry = async (args: string[], input?: string) => {
    const result = await project.run(args, { env: environment, ...(input === undefined ? {} : { input }) });
    expect(result.code, `quarry ${args.join(" ")}: ${result.stdout}${result.stderr}`).toBe(0);
    return result.stdout;
  };
  const writeModels = (version: number) =>
    project.write("models.js", modelsModule(VERSIONS[version]!));
  /** The models of `version`, defined in this process on the migrated database (typed loosely: they come from source text). */
  type Loose = any;
  const modelsOf = (version: number): Record<string, Loose> => {
    const database = new orm.Database(target.url);
    return new Function("orm", "database", `${VERSIONS[version]!.replace(/export const /g, "const ")}\nreturn { database, ${VERSIONS[version]!.match(/export const (\w+)/g)!.map((line) => line.slice(13)).join(", ")} };`)(orm, database);
  };
  const withModels = async <T>(version: number, fn: (models: Record<string, Loose>) => Promise<T>): Promise<T> => {
    const models = modelsOf(version);
    try {
      return await fn(models);
    } finally {
      await (models.database as orm.Database).disconnect();
    }
  };
  const createAllCatalogOf = (version: number) => createAllCatalog(target.dialect, VERSIONS[version]!, "m2m-reference");
  const liveCatalog = () => readCatalog(target.database, { exclude: ["quarry_migrations"] });
  const tables = async () => (await liveCatalog()).tables.map((table) => table.name).sort();
  const count = async (table: string) => {
    const [{ n }] = await target.database.query<{ n: number }>(orm.sql`SELECT COUNT(*) AS n FROM ${orm.raw(target.database.dialect.quote(table))}`);
    return Number(n);
  };
  /** Each article's tag names, as the related manager reads them. */
  const tagsByArticle = (version: number) =>
    withModels(version, async ({ Article }) => {
      const result: Record<string, string[]> = {};
      for (const article of await Article.objects.orderBy("title")) result[article.title] = (await article.tags.orderBy("name")).map((tag: Loose) => tag.name);
      return result;
    });
  /** Makes the migration of `version` (`edit` changes its text before it runs), applies it, and checks the schema. */
  const step = async (version: number, flags: string[] = [], input?: string, edit?: (source: string) => string) => {
    writeModels(version);
    const made = await quarry(["makemigrations", ...flags, ...(input === undefined ? [] : ["--interactive"])], input);
    expect(made).toMatch(/^Wrote migrations\/\d{4}_\w+\.js/);
    expect(await quarry(["makemigrations", "--check"])).toBe("No changes detected.\n");
    const file = `migrations/${project.files("migrations").at(-1)}`;
    if (edit) project.write(file, edit(project.read(file)));
    await quarry(["migrate"]);
    expect(await quarry(["makemigrations", "--check"])).toBe("No changes detected.\n");
    expect(compareCatalogs(await createAllCatalogOf(version), await liveCatalog())).toEqual([]);
    expect(await quarry(["diff"])).toMatch(/^No drift/);
    return made;
  };
  const PAIRS = { first: ["news", "tech"], second: ["tech"], third: [] };

  beforeAll(() => {
    project.write("quarry.config.js", CONFIG_MODULE);
  });
  afterAll(() => project.destroy());

  it("creates the join tables with their models; a data migration links rows through the historical models' managers", async () => {
    const made = await step(0);
    expect(made).toMatch(/Create model Tag\n.*Create model Article\n.*Create model Person/s);
    expect(await tables()).toEqual(["article", "article_tags", "person", "person_friends", "tag"]);
    const sql = await quarry(["sqlmigrate", "0001"]);
    expect(sql).toMatch(/CREATE TABLE\s.*article_tags/i);
    expect(sql).toMatch(/CREATE TABLE\s.*person_friends/i);
    project.write(
      "migrations/0002_links.js",
      `import { migration, RunCode } from "quarry/migrations";
export default migration({ dependencies: ["0001_initial"], operations: [new RunCode(async ({ models }) => {
  const [news, tech] = [await models.Tag.objects.create({ name: "news" }), await models.Tag.objects.create({ name: "tech" })];
  const first = await models.Article.objects.create({ title: "first" });
  await first.tags.add(news, tech);
  await (await models.Article.objects.create({ title: "second" })).tags.add(tech);
  await models.Article.objects.create({ title: "third" });
  const [ann, bob] = [await models.Person.objects.create({ name: "ann" }), await models.Person.objects.create({ name: "bob" })];
  await ann.friends.add(bob);
}, async () => {})] });
`,
    );
    await quarry(["migrate"]);
    expect(await count("article_tags")).toBe(3);
    expect(await tagsByArticle(0)).toEqual(PAIRS);
    await withModels(0, async ({ Person }) => {
      const ann = await Person.objects.get({ name: "ann" });
      expect((await ann.friends.all()).map((person: Loose) => person.name)).toEqual(["bob"]);
    });
  });

  it("moves every pair into a through model, the extra fields given their default and the value asked for", async () => {
    const made = await step(1, [], "7\n");
    expect(made).toMatch(/Create model Membership\n.*Alter field tags on Article/s);
    expect(project.read(`migrations/${project.files("migrations")[2]}`)).toMatch(/\{ fills: \{ weight: 7 \} \}/);
    expect(await tables()).toEqual(["article", "membership", "person", "person_friends", "tag"]);
    expect(await tagsByArticle(1)).toEqual(PAIRS);
    const rows = await target.database.query<{ role: string; weight: number; note: string | null }>(orm.sql`SELECT role, weight, note FROM membership`);
    expect(rows.map((row) => [row.role, Number(row.weight), row.note])).toEqual([Array(3).fill(["member", 7, null])].flat());
    await withModels(1, async ({ Article, Tag }) => {
      const third = await Article.objects.get({ title: "third" });
      await third.tags.add(await Tag.objects.get({ name: "news" }), { throughDefaults: { role: "editor", weight: 2 } });
    });
    expect(await tagsByArticle(1)).toEqual({ ...PAIRS, third: ["news"] });
    const [editor] = await target.database.query<{ role: string; weight: number }>(orm.sql`SELECT role, weight FROM membership WHERE role <> 'member'`);
    expect([editor!.role, Number(editor!.weight)]).toEqual(["editor", 2]);
  });

  it("goes back to the implicit join table with every pair, and forwards again", async () => {
    const output = await quarry(["migrate", "0002"]);
    expect(output).toMatch(/Unapplying 0003_\w+/);
    expect(await tables()).toEqual(["article", "article_tags", "person", "person_friends", "tag"]);
    expect(await count("article_tags")).toBe(4);
    expect(await tagsByArticle(0)).toEqual({ ...PAIRS, third: ["news"] });
    await quarry(["migrate"]);
    expect(await count("membership")).toBe(4);
    expect(await tagsByArticle(1)).toEqual({ ...PAIRS, third: ["news"] });
  });

  it("adds a ManyToMany and renames one: the join tables made and renamed, pairs kept", async () => {
    const made = await step(2, ["--rename", "Person.friends=pals"]);
    expect(made).toMatch(/Rename field friends on Person to pals\n.*Add field readers to Article/s);
    expect(await tables()).toEqual(["article", "article_readers", "membership", "person", "person_pals", "tag"]);
    expect(await count("person_pals")).toBe(1);
  });

  it("renames a model: its join tables and the columns named after it follow, pairs kept", async () => {
    await target.database.execute(orm.sql`INSERT INTO article_readers (article_id, person_id) SELECT a.id, p.id FROM article a, person p`);
    const made = await step(3, ["--rename", "Person=Reader"]);
    expect(made).toMatch(/Rename model Person to Reader/);
    expect(await tables()).toEqual(["article", "article_readers", "membership", "reader", "reader_pals", "tag"]);
    expect(await count("reader_pals")).toBe(1);
    expect(await count("article_readers")).toBe(6);
    await withModels(3, async ({ Reader }) => {
      const ann = await Reader.objects.get({ name: "ann" });
      expect((await ann.pals.all()).map((person: Loose) => person.name)).toEqual(["bob"]);
      expect(await ann.articles.count()).toBe(3);
    });
  });

  it("removes a ManyToMany: its join table dropped", async () => {
    const made = await step(4);
    expect(made).toMatch(/Remove field readers from Article/);
    expect(await tables()).toEqual(["article", "membership", "reader", "reader_pals", "tag"]);
  });

  it("moves the pairs back into a join table quarry makes when the through model goes, and back again", async () => {
    // Going back refills the through model's columns without a default from the fills, which the file may be given.
    const made = await step(5, [], undefined, (source) => source.replace(/(new AlterField\("Article", "tags", \{[^}]*\})\)/, "$1, { fills: { weight: 3 } })"));
    expect(made).toMatch(/Alter field tags on Article\n.*Delete model Membership/s);
    expect(project.read(`migrations/${project.files("migrations").at(-1)}`)).toMatch(/\{ fills: \{ weight: 3 \} \}/);
    expect(await tables()).toEqual(["article", "article_tags", "reader", "reader_pals", "tag"]);
    expect(await tagsByArticle(5)).toEqual({ ...PAIRS, third: ["news"] });
    await quarry(["migrate", project.files("migrations").at(-2)!.slice(0, 4)]);
    expect(await tagsByArticle(4)).toEqual({ ...PAIRS, third: ["news"] });
    const rows = await target.database.query<{ role: string; weight: number }>(orm.sql`SELECT role, weight FROM membership`);
    expect(rows.map((row) => [row.role, Number(row.weight)])).toEqual(Array(4).fill(["member", 3]));
    await quarry(["migrate"]);
    expect(await count("article_tags")).toBe(4);
  });

  it("goes back to zero and up again to the same schema", async () => {
    const finalSchema = await liveCatalog();
    await quarry(["migrate", "zero"]);
    expect(await tables()).toEqual([]);
    await quarry(["migrate"]);
    expect(compareCatalogs(finalSchema, await liveCatalog())).toEqual([]);
    expect(await quarry(["makemigrations", "--check"])).toBe("No changes detected.\n");
  });
});

describeEachDialect("a join table that older migrations recorded as a model of its own", (target) => {
  const project = new TempProject();
  const MODELS = `${TAG}\nexport const Article = orm.Model.define("Article", { title: orm.String({ maxLength: 80 }), tags: orm.ManyToMany(Tag) }, { database });`;
  const quarry = async (...args: string[]) => {
    const result = await project.run(args, { env: { QUARRY_DATABASE_URL: target.url } });
    expect(result.code, `quarry ${args.join(" ")}: ${result.stdout}${result.stderr}`).toBe(0);
    return result.stdout;
  };
  afterAll(() => project.destroy());

  it("is taken over by its ManyToMany without SQL: the rows stay, and going back and forth keeps the table", async () => {
    // What makemigrations wrote before it knew ManyToMany fields: the join model Article_tags, the field nowhere.
    const before = new orm.Database("sqlite::memory:");
    new Function("orm", "database", MODELS.replace(/export const /g, "const "))(orm, before);
    const legacy = new ProjectState(
      before.models.map(modelState).map((model) => ({ ...model, fields: Object.fromEntries(Object.entries(model.fields).filter(([, field]) => field.type !== "ManyToMany")) })),
    );
    expect([...legacy.models.keys()]).toEqual(["Tag", "Article", "Article_tags"]);
    project
      .write("quarry.config.js", CONFIG_MODULE)
      .write("models.js", modelsModule(MODELS))
      .write("migrations/0001_initial.js", migrationSource([], await detectChanges(new ProjectState(), legacy, new ScriptedQuestioner())));
    await quarry("migrate");
    await target.database.execute(orm.sql`INSERT INTO tag (name) VALUES ('news'), ('tech')`);
    await target.database.execute(orm.sql`INSERT INTO article (title) VALUES ('first')`);
    await target.database.execute(orm.sql`INSERT INTO article_tags (article_id, tag_id) VALUES (1, 1), (1, 2)`);

    expect(await quarry("makemigrations")).toMatch(/State only \(no SQL\): Delete model Article_tags; Add field tags to Article/);
    expect(project.read("migrations/0002_delete_article_tags.js")).toMatch(/import \{ migration, AddField, DeleteModel, StateOnly \}/);
    expect(await quarry("sqlmigrate", "0002")).not.toMatch(/DROP|CREATE/);
    await quarry("migrate");
    expect(await quarry("makemigrations", "--check")).toBe("No changes detected.\n");
    const count = async () => Number((await target.database.query<{ n: number }>(orm.sql`SELECT COUNT(*) AS n FROM article_tags`))[0]!.n);
    expect(await count()).toBe(2);
    await quarry("migrate", "0001");
    expect(await count()).toBe(2);
    await quarry("migrate");
    expect(await count()).toBe(2);
  });
});
