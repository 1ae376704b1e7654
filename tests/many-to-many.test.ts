import { beforeAll, beforeEach, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect, type TestDatabase } from "./helpers/databases.js";
import { expectRefusedBeforeSql } from "./helpers/fixtures.js";

/** The statements of `events` that write (INSERT, UPDATE, DELETE), as their text. */
function writes(events: readonly orm.QueryEvent[]): string[] {
  return events.map((event) => event.sql).filter((text) => /^(INSERT|UPDATE|DELETE)/i.test(text));
}

function sorted<T>(values: readonly T[]): T[] {
  return [...values].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}

describeEachDialect("many-to-many", (target: TestDatabase) => {
  const { database } = target;
  const q = (name: string) => database.dialect.quote(name);

  const Tag = orm.Model.define("Tag", { name: orm.String({ maxLength: 40, unique: true }) }, { database });
  class Article extends orm.Model.define("Article", { title: orm.String({ maxLength: 80 }), tags: orm.ManyToMany(Tag) }, { database }) {
    declare static objects: orm.Manager<Article>;
  }
  class TagWithArticles extends Tag {
    declare articles: orm.ManyRelatedManager<Article>;
  }
  const articlesOf = (tag: object) => (tag as TagWithArticles).articles;

  // A follower graph: "self", not symmetric (following someone does not make them follow back).
  const User = orm.Model.define("User", { handle: orm.String({ maxLength: 30 }), follows: orm.ManyToMany("self", { relatedName: "followers" }) }, { database });
  // Friendship: symmetrical, each link holds both ways.
  const Player = orm.Model.define("Player", { name: orm.String({ maxLength: 30 }), friends: orm.ManyToMany("self", { symmetrical: true }) }, { database });

  // An explicit join model with a field of its own, declared after the model that names it.
  const Person = orm.Model.define("Person", { name: orm.String({ maxLength: 40 }), groups: orm.ManyToMany("Group", { through: "Membership", relatedName: "members" }) }, { database });
  const Group = orm.Model.define("Group", { name: orm.String({ maxLength: 40 }) }, { database, tablename: "club" });
  const Membership = orm.Model.define(
    "Membership",
    {
      person: orm.ForeignKey(Person),
      group: orm.ForeignKey(Group),
      role: orm.String({ maxLength: 20, default: "member" }),
      joined: orm.DateTime({ autoNowAdd: true }),
    },
    { database },
  );

  let tags: orm.Infer<typeof Tag>[] = [];

  beforeAll(async () => {
    await database.createAll();
    tags = await Tag.objects.bulkCreate(["red", "green", "blue", "cyan"].map((name) => ({ name })));
  });

  beforeEach(async () => {
    await Article.objects.delete();
  });

  describe("schema", () => {
    test("the join table is <table>_<field>: two keys, each pair once, deleted with either side", async () => {
      const article = await Article.objects.create({ title: "a" });
      await article.tags.add(tags[0]!);
      const table = `${q("article_tags")}`;
      const rows = await database.query(orm.sql`SELECT ${orm.raw(q("article_id"))}, ${orm.raw(q("tag_id"))} FROM ${orm.raw(table)}`);
      expect(rows.map((row) => Object.values(row).map(Number))).toEqual([[article.pk, tags[0]!.pk]]);
      const duplicate = orm.sql`INSERT INTO ${orm.raw(table)} (${orm.raw(q("article_id"))}, ${orm.raw(q("tag_id"))}) VALUES (${article.pk}, ${tags[0]!.pk})`;
      await expect(database.execute(duplicate)).rejects.toThrow(orm.IntegrityError);
      await article.delete();
      expect(await database.query(orm.sql`SELECT * FROM ${orm.raw(table)}`)).toEqual([]);
    });

    test("dropAll drops join tables before the tables they point at, and createAll makes them again", async () => {
      const statements = await target.statementsDuring(async () => {
        await database.dropAll();
        await database.createAll();
      });
      const drops = statements.map((event) => event.sql).filter((text) => text.startsWith("DROP TABLE"));
      const position = (table: string) => drops.findIndex((text) => text.includes(q(table)));
      expect(position("article_tags")).toBeLessThan(position("article"));
      expect(position("article_tags")).toBeLessThan(position("tag"));
      expect(position("membership")).toBeLessThan(position("club"));
      const creates = statements.map((event) => event.sql).filter((text) => text.startsWith("CREATE TABLE"));
      expect(creates.findIndex((text) => text.includes(q("user_follows")))).toBeGreaterThan(creates.findIndex((text) => text.includes(q("user"))));
      tags = await Tag.objects.bulkCreate(["red", "green", "blue", "cyan"].map((name) => ({ name })));
    });

    test("a join model quarry made is a model of the database like any other", () => {
      const made = database.models.find((meta) => meta.name === "Article_tags")!;
      expect(made.tablename).toBe("article_tags");
      expect(made.fields.map((field) => [field.name, field.column])).toEqual([
        ["id", "id"],
        ["article", "article_id"],
        ["tag", "tag_id"],
      ]);
      const self = database.models.find((meta) => meta.name === "User_follows")!;
      expect(self.fields.map((field) => field.column)).toEqual(["id", "from_user_id", "to_user_id"]);
    });
  });

  describe("the related manager", () => {
    test("add() takes instances and keys, and adding a pair twice is no error", async () => {
      const article = await Article.objects.create({ title: "a" });
      await article.tags.add(tags[0]!, tags[1]!.pk);
      await article.tags.add(tags[1]!, tags[2]!);
      await article.tags.add(tags[0]!);
      expect(sorted((await article.tags.all()).map((tag) => tag.name))).toEqual(["blue", "green", "red"]);
      expect(await article.tags.count()).toBe(3);
    });

    test("a relation to many rows is not a value to write: create(), bulkCreate() and assignment say what writes it", async () => {
      const message = "Article.tags is a relation to Tag rows, not a value to write: save the Article, then link the rows with .tags.set([...]) or .tags.add(...)";
      const created = await expectRefusedBeforeSql(target, () => Article.objects.create({ title: "a", tags: [tags[0]!.pk] } as never), orm.ValidationError);
      expect(created.message).toBe(message);
      await expectRefusedBeforeSql(target, () => Article.objects.bulkCreate([{ title: "a", tags: [] }] as never), orm.ValidationError);
      const article = await Article.objects.create({ title: "a" });
      expect(() => Object.assign(article, { tags: [tags[0]!] })).toThrow(message);
      await expectRefusedBeforeSql(target, () => article.update({ tags: [] } as never), orm.ValidationError);
      // The reverse side names the foreign key that writes it.
      expect(() => Object.assign(tags[0]!, { articles: [] })).toThrow("Tag.articles is a relation to Article rows, not a value to write: save the Tag, then link the rows with .articles.set([...]) or .articles.add(...)");
    });

    test("a key given as text (a route's parameter) is read as a filter reads it", async () => {
      const article = await Article.objects.create({ title: "a" });
      const asText = (tag: (typeof tags)[number]) => String(tag.pk) as never;
      await article.tags.add(asText(tags[0]!), asText(tags[1]!), tags[1]!.pk);
      expect(sorted(await article.tags.valuesList("name", { flat: true }))).toEqual(["green", "red"]);
      await article.tags.remove(asText(tags[0]!));
      await article.tags.set([asText(tags[2]!), tags[1]!]);
      expect(sorted(await article.tags.valuesList("name", { flat: true }))).toEqual(["blue", "green"]);
      // Not the text of a key: refused in the method's name, before any SQL.
      for (const text of ["0x1", " 1", "1.0", "nope"]) {
        const error = await expectRefusedBeforeSql(target, () => article.tags.add(text as never), orm.ValidationError);
        expect(error.message).toBe(`Article.tags.add() expects a Tag or its primary key, got the string ${JSON.stringify(text)}`);
      }
    });

    test("1,000 tags are added in one statement", async () => {
      const many = await Tag.objects.bulkCreate(Array.from({ length: 1000 }, (_, index) => ({ name: `bulk-${index}` })));
      const article = await Article.objects.create({ title: "many" });
      const statements = await target.statementsDuring(() => article.tags.add(...many));
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).toMatch(/^INSERT INTO/);
      expect(await article.tags.count()).toBe(1000);
      // Again, with half of them already there: still one statement, no error, no duplicate.
      const again = await target.statementsDuring(() => article.tags.add(...many.slice(500), ...tags));
      expect(again).toHaveLength(1);
      expect(await article.tags.count()).toBe(1004);
      await Tag.objects.filter({ name__startswith: "bulk-" }).delete();
    });

    test("remove() and clear() unlink without deleting the rows", async () => {
      const article = await Article.objects.create({ title: "a" });
      await article.tags.add(...tags);
      await article.tags.remove(tags[0]!, tags[1]!.pk);
      expect(sorted(await article.tags.valuesList("name", { flat: true }))).toEqual(["blue", "cyan"]);
      await article.tags.clear();
      expect(await article.tags.exists()).toBe(false);
      expect(await Tag.objects.filter({ pk__in: tags.map((tag) => tag.pk) }).count()).toBe(4);
    });

    test("remove() of more keys than one statement takes is all or nothing", async () => {
      const article = await Article.objects.create({ title: "a" });
      await article.tags.add(...tags);
      // Two DELETEs (5,000 keys each at most): the first unlinks red and green, the second blue and cyan.
      const unlinked = Array.from({ length: 5_000 }, (_, index) => 1_000_000 + index);
      const keys = [tags[0]!.pk, tags[1]!.pk, ...unlinked, tags[2]!.pk, tags[3]!.pk];
      // The second DELETE is cancelled before it is sent, once the first has run.
      const cancel = new AbortController();
      const afterFirstDelete = (event: orm.QueryEvent) => /^DELETE/i.test(event.sql) && cancel.abort();
      database.on("query", afterFirstDelete);
      try {
        await expect(article.tags.remove(...keys, { signal: cancel.signal })).rejects.toThrow(orm.QueryCancelledError);
      } finally {
        database.off("query", afterFirstDelete);
      }
      expect(await article.tags.count()).toBe(4);
      await article.tags.remove(...keys);
      expect(await article.tags.count()).toBe(0);
    });

    test("set() sends only the difference, in a transaction", async () => {
      const article = await Article.objects.create({ title: "a" });
      await article.tags.add(tags[0]!, tags[1]!);
      const statements = await target.statementsDuring(() => article.tags.set([tags[1]!, tags[2]!]));
      const changed = writes(statements);
      expect(changed).toHaveLength(2);
      const [removal, insertion] = changed.map((text) => statements.find((event) => event.sql === text)!);
      expect(removal!.sql).toMatch(/^DELETE/);
      expect(removal!.values).toEqual([article.pk, tags[0]!.pk]);
      expect(insertion!.sql).toMatch(/^INSERT/);
      expect(JSON.stringify(insertion!.values)).toContain(String(tags[2]!.pk));
      expect(JSON.stringify(insertion!.values)).not.toContain(String(tags[1]!.pk));
      expect(statements.some((event) => /^(BEGIN|START TRANSACTION)/.test(event.sql))).toBe(true);
      expect(sorted(await article.tags.valuesList("name", { flat: true }))).toEqual(["blue", "green"]);
      // Nothing differs: nothing is written.
      expect(writes(await target.statementsDuring(() => article.tags.set([tags[2]!.pk, tags[1]!])))).toEqual([]);
    });

    test("set() that fails half way changes nothing", async () => {
      const article = await Article.objects.create({ title: "a" });
      await article.tags.add(tags[0]!);
      await expect(article.tags.set([tags[1]!, 987654])).rejects.toThrow(orm.IntegrityError);
      expect(await article.tags.valuesList("name", { flat: true })).toEqual(["red"]);
    });

    test("create() makes the related row and links it", async () => {
      const article = await Article.objects.create({ title: "a" });
      const tag = await article.tags.create({ name: "fresh" });
      expect(tag).toBeInstanceOf(Tag);
      expect((await article.tags.all()).map((row) => row.pk)).toEqual([tag.pk]);
      await tag.delete();
    });

    test("the reverse side is a manager too", async () => {
      const [first, second] = [await Article.objects.create({ title: "first" }), await Article.objects.create({ title: "second" })];
      await articlesOf(tags[3]!).add(first, second.pk);
      expect(sorted((await articlesOf(tags[3]!).all()).map((article) => article.title))).toEqual(["first", "second"]);
      expect((await second.tags.all()).map((tag) => tag.name)).toEqual(["cyan"]);
      await articlesOf(tags[3]!).remove(first);
      expect(await first.tags.count()).toBe(0);
    });

    test("every QuerySet method works on it: filter, exclude, orderBy, values, exists, iteration", async () => {
      const article = await Article.objects.create({ title: "a" });
      await Article.objects.create({ title: "unrelated" }).then((other) => other.tags.add(...tags));
      await article.tags.add(tags[0]!, tags[1]!, tags[2]!);
      expect(await article.tags.filter({ name__startswith: "b" }).valuesList("name", { flat: true })).toEqual(["blue"]);
      expect(await article.tags.exclude({ name: "red" }).orderBy("-name").valuesList("name", { flat: true })).toEqual(["green", "blue"]);
      expect(await article.tags.orderBy("name").values("name")).toEqual([{ name: "blue" }, { name: "green" }, { name: "red" }]);
      expect(await article.tags.filter({ name: "cyan" }).exists()).toBe(false);
      const seen: string[] = [];
      for await (const tag of article.tags.orderBy("name")) seen.push(tag.name);
      expect(seen).toEqual(["blue", "green", "red"]);
      expect((await article.tags.orderBy("name").first())?.name).toBe("blue");
    });

    test("bad input is refused before any SQL", async () => {
      const article = await Article.objects.create({ title: "a" });
      const unsaved = new Tag({ name: "unsaved" });
      const error = await expectRefusedBeforeSql(target, () => article.tags.add(unsaved), orm.ValidationError);
      expect(error.message).toMatch(/unsaved Tag/);
      await expectRefusedBeforeSql(target, () => article.tags.add(article as never), orm.ValidationError);
      await expectRefusedBeforeSql(target, () => article.tags.add("nope" as never), orm.ValidationError);
      await expectRefusedBeforeSql(target, () => article.tags.add(null as never), orm.ValidationError);
      const draft = new Article({ title: "draft" });
      const unsavedOwner = await expectRefusedBeforeSql(target, () => draft.tags.add(tags[0]!), orm.ValidationError);
      expect(unsavedOwner.message).toBe("Article.tags.add() needs a saved Article: save() it first");
      // A plain object last is read as options: one that holds anything else is refused, not ignored.
      const asRow = await expectRefusedBeforeSql(target, () => article.tags.add({ pk: tags[0]!.pk } as never), TypeError);
      expect(asRow.message).toMatch(/Article\.tags\.add\(\) .*has no option "pk"/);
      await expectRefusedBeforeSql(target, () => article.tags.add(tags[0]!, { throughDefault: {} } as never), TypeError);
      await expectRefusedBeforeSql(target, () => article.tags.remove(tags[0]!, { throughDefaults: {} } as never), TypeError);
      // Reads too, whether or not the statement is already cached from a saved owner's read.
      for (let round = 0; round < 2; round++) {
        const read = await expectRefusedBeforeSql(target, () => draft.tags.count(), orm.ValidationError);
        expect(read.message).toBe("Article.tags needs a saved Article: save() it first");
        await expectRefusedBeforeSql(target, () => draft.tags.filter({ name: "x" }).exists(), orm.ValidationError);
        await expectRefusedBeforeSql(target, () => draft.tags.all(), orm.ValidationError);
        await article.tags.count();
      }
      await expectRefusedBeforeSql(target, () => article.tags.set(tags[0] as never), orm.ValidationError);
    });

    test("a key that names no row is an IntegrityError, and nothing is linked", async () => {
      const article = await Article.objects.create({ title: "a" });
      await expect(article.tags.add(tags[0]!, 987654)).rejects.toThrow(orm.IntegrityError);
      expect(await article.tags.count()).toBe(0);
    });
  });

  describe("queries across the relation", () => {
    let articles: Article[] = [];
    beforeEach(async () => {
      articles = [];
      for (const title of ["one", "two", "three", "none"]) articles.push(await Article.objects.create({ title }));
      const [one, two, three] = articles;
      await one!.tags.add(tags[0]!, tags[1]!, tags[2]!);
      await two!.tags.add(tags[0]!, tags[1]!);
      await three!.tags.add(tags[2]!);
    });

    test("relation: null is isnull: true, as Django reads it: the rows with none (exclude: with some)", async () => {
      expect(await Article.objects.filter({ tags: null } as never).orderBy("title").valuesList("title", { flat: true })).toEqual(["none"]);
      expect(await Article.objects.exclude({ tags: null } as never).orderBy("title").valuesList("title", { flat: true })).toEqual(["one", "three", "two"]);
      expect(await Article.objects.filter({ tags__name: null } as never).orderBy("title").valuesList("title", { flat: true })).toEqual(["none"]);
      expect(await Tag.objects.filter({ articles: null } as never).valuesList("name", { flat: true })).toEqual(["cyan"]);
    });

    test("filter() through it gives each row once (EXISTS, no join)", async () => {
      const statements = await target.statementsDuring(async () => {
        expect(await Article.objects.filter({ tags__name__in: ["red", "green"] }).orderBy("title").valuesList("title", { flat: true })).toEqual(["one", "two"]);
      });
      expect(statements[0]!.sql).toContain("EXISTS");
      expect(await Article.objects.filter({ tags__name__in: ["red", "green"] }).count()).toBe(2);
      expect(await Article.objects.filter({ tags: tags[2]! }).orderBy("title").valuesList("title", { flat: true })).toEqual(["one", "three"]);
      expect(await Article.objects.filter({ tags__in: [tags[0]!.pk, tags[2]!.pk] }).count()).toBe(3);
      expect(await Tag.objects.filter({ articles__title: "two" } as never).orderBy("name").valuesList("name", { flat: true })).toEqual(["green", "red"]);
    });

    test("exclude() through it means none of the related rows match", async () => {
      expect(await Article.objects.exclude({ tags__name: "blue" }).orderBy("title").valuesList("title", { flat: true })).toEqual(["none", "two"]);
      expect(await Article.objects.filter(orm.Q.not({ tags__name: "red" })).orderBy("title").valuesList("title", { flat: true })).toEqual(["none", "three"]);
    });

    test("annotate(Count) counts each row's links, 0 for none", async () => {
      const counted = await Article.objects.annotate({ n: orm.Count("tags") }).orderBy("title").values("title", "n");
      expect(counted).toEqual([
        { title: "none", n: 0 },
        { title: "one", n: 3 },
        { title: "three", n: 1 },
        { title: "two", n: 2 },
      ]);
      const byTag = await Tag.objects.filter({ pk__in: tags.map((tag) => tag.pk) }).annotate({ n: orm.Count("articles") }).orderBy("name").values("name", "n");
      expect(byTag).toEqual([
        { name: "blue", n: 2 },
        { name: "cyan", n: 0 },
        { name: "green", n: 2 },
        { name: "red", n: 2 },
      ]);
    });

    test("values() and orderBy() through it: a row per link, null where none", async () => {
      const rows = await Article.objects.filter({ title__in: ["two", "none"] }).orderBy("title", "tags__name").values("title", "tags__name");
      expect(rows).toEqual([
        { title: "none", tags__name: null },
        { title: "two", tags__name: "green" },
        { title: "two", tags__name: "red" },
      ]);
      expect(await Article.objects.filter({ title: "three" }).valuesList("tags", { flat: true })).toEqual([tags[2]!.pk]);
    });

    test("prefetchRelated loads it in one more statement, nested paths too", async () => {
      let loaded: Article[] = [];
      const statements = await target.statementsDuring(async () => {
        loaded = await Article.objects.orderBy("title").prefetchRelated("tags").all();
      });
      expect(statements).toHaveLength(2);
      const names = async () => Promise.all(loaded.map(async (article) => [article.title, sorted((await article.tags.all()).map((tag) => tag.name))]));
      const fromMemory = await target.statementsDuring(async () => {
        expect(await names()).toEqual([
          ["none", []],
          ["one", ["blue", "green", "red"]],
          ["three", ["blue"]],
          ["two", ["green", "red"]],
        ]);
        expect(await loaded[1]!.tags.count()).toBe(3);
      });
      expect(fromMemory).toEqual([]);
      const nested = await target.statementsDuring(async () => {
        loaded = await Article.objects.filter({ title: "three" }).prefetchRelated("tags__articles" as never).all();
      });
      expect(nested).toHaveLength(3);
      const [blue] = await loaded[0]!.tags.all();
      const fellows = await target.statementsDuring(async () => {
        expect(sorted((await articlesOf(blue!).all()).map((article) => article.title))).toEqual(["one", "three"]);
      });
      expect(fellows).toEqual([]);
    });

    test("a write through the manager drops what prefetchRelated cached for that owner", async () => {
      const [one] = await Article.objects.filter({ title: "one" }).prefetchRelated("tags").all();
      await one!.tags.remove(tags[0]!);
      expect(await one!.tags.count()).toBe(2);
      await one!.tags.add(tags[3]!);
      expect(sorted((await one!.tags.all()).map((tag) => tag.name))).toEqual(["blue", "cyan", "green"]);
      const [again] = await Article.objects.filter({ title: "one" }).prefetchRelated("tags").all();
      await again!.tags.clear();
      expect(await again!.tags.all()).toEqual([]);
      const [third] = await Article.objects.filter({ title: "one" }).prefetchRelated("tags").all();
      await third!.tags.set([tags[1]!]);
      expect((await third!.tags.all()).map((tag) => tag.name)).toEqual(["green"]);
    });

    test("the N+1 detector names prefetchRelated for a manager read per row, and counts a prefetched one as read", async () => {
      const reports: orm.NPlusOneReport[] = [];
      const rows = await Article.objects.orderBy("title").all();
      await database.scope(
        async () => {
          for (const article of rows) await article.tags.all();
        },
        { nPlusOne: { mode: (report) => reports.push(report), threshold: 3 } },
      );
      expect(reports.map((report) => [report.kind, report.relation, report.count, report.fix])).toEqual([["reverse", "tags", 4, 'Article.objects.prefetchRelated("tags")']]);
      reports.length = 0;
      await database.scope(
        async () => {
          for (const article of await Article.objects.prefetchRelated("tags").all()) await article.tags.all();
        },
        { nPlusOne: { mode: (report) => reports.push(report), threshold: 3 } },
      );
      expect(reports).toEqual([]);
    });

    test("an unknown name after it is an UnknownFieldError naming what exists", () => {
      expect(() => Article.objects.filter({ tags__nope: 1 } as never)).toThrow(orm.UnknownFieldError);
      expect(() => Article.objects.filter({ tags__nope: 1 } as never)).toThrow(/Tag has no field or relation "nope"/);
      expect(() => Article.objects.prefetchRelated("tags__nope" as never)).toThrow(orm.UnknownFieldError);
    });
  });

  describe('ManyToMany("self")', () => {
    test("is not symmetric: following someone does not make them follow back", async () => {
      const [ann, bob, cid] = [await User.objects.create({ handle: "ann" }), await User.objects.create({ handle: "bob" }), await User.objects.create({ handle: "cid" })];
      await ann.follows.add(bob, cid);
      await bob.follows.add(cid);
      expect(sorted(await ann.follows.valuesList("handle", { flat: true }))).toEqual(["bob", "cid"]);
      expect(await bob.follows.valuesList("handle", { flat: true })).toEqual(["cid"]);
      expect(await cid.follows.count()).toBe(0);
      const followers = (user: object) => (user as { followers: orm.ManyRelatedManager<orm.Infer<typeof User>> }).followers;
      expect(sorted(await followers(cid).valuesList("handle", { flat: true }))).toEqual(["ann", "bob"]);
      expect(await followers(ann).count()).toBe(0);
      expect(await User.objects.filter({ follows__handle: "cid" }).orderBy("handle").valuesList("handle", { flat: true })).toEqual(["ann", "bob"]);
      expect(await User.objects.annotate({ n: orm.Count("followers") }).orderBy("handle").valuesList("n", { flat: true })).toEqual([0, 1, 2]);
      const [loaded] = await User.objects.filter({ handle: "ann" }).prefetchRelated("follows__follows").all();
      const [first] = await loaded!.follows.orderBy("handle").all();
      expect(sorted((await loaded!.follows.all()).map((user) => user.handle))).toEqual(["bob", "cid"]);
      expect(first).toBeDefined();
    });

    test("symmetrical: each write goes both ways, and reads need no way back", async () => {
      const [ann, bob, cid, dan] = await Player.objects.bulkCreate(["ann", "bob", "cid", "dan"].map((name) => ({ name })));
      const friendsOf = async (player: typeof ann) => sorted(await player!.friends.valuesList("name", { flat: true }));
      const addition = await target.statementsDuring(() => ann!.friends.add(bob!, cid!));
      expect(addition.filter((event) => event.sql.startsWith("INSERT"))).toHaveLength(1);
      expect([await friendsOf(ann), await friendsOf(bob), await friendsOf(cid)]).toEqual([["bob", "cid"], ["ann"], ["ann"]]);
      await bob!.friends.remove(ann!);
      expect([await friendsOf(ann), await friendsOf(bob)]).toEqual([["cid"], []]);
      await ann!.friends.set([dan!, bob!]);
      expect([await friendsOf(ann), await friendsOf(bob), await friendsOf(cid), await friendsOf(dan)]).toEqual([["bob", "dan"], ["ann"], [], ["ann"]]);
      // A player may be their own friend: one row, not two.
      await ann!.friends.add(ann!);
      expect(await Player.objects.filter({ friends: ann! }).orderBy("name").valuesList("name", { flat: true })).toEqual(["ann", "bob", "dan"]);
      const eve = await ann!.friends.create({ name: "eve" });
      expect(await friendsOf(eve)).toEqual(["ann"]);
      const [loaded] = await Player.objects.filter({ name: "eve" }).prefetchRelated("friends").all();
      expect((await loaded!.friends.all()).map((player) => player.name)).toEqual(["ann"]);
      await ann!.friends.clear();
      expect([await friendsOf(ann), await friendsOf(bob), await friendsOf(dan), await friendsOf(eve)]).toEqual([[], [], [], []]);
      expect("players" in ann!).toBe(false);
    });

    test("symmetrical is for a model and itself, with the join table quarry makes and no relatedName", () => {
      const database = new orm.Database("sqlite::memory:");
      const Other = orm.Model.define("Other", { name: orm.String() }, { database });
      expect(() => orm.Model.define("A", { friends: orm.ManyToMany(Other, { symmetrical: true }) }, { database })).toThrow("A.friends: symmetrical is for a relation of a model to itself");
      expect(() => orm.ManyToMany("self", { symmetrical: true, relatedName: "x" })).toThrow("takes no relatedName");
      expect(() => orm.ManyToMany("self", { symmetrical: true, through: "Friendship" })).toThrow("takes no through model");
      expect(() => orm.ManyToMany("self", { symmetrical: "yes" as never })).toThrow("symmetrical is true or false");
    });
  });

  describe("a through model", () => {
    test("add() and create() fill its own fields from throughDefaults or their defaults", async () => {
      const ann = await Person.objects.create({ name: "ann" });
      const [chess, choir] = [await Group.objects.create({ name: "chess" }), await Group.objects.create({ name: "choir" })];
      await ann.groups.add(chess, { throughDefaults: { role: "captain" } });
      await ann.groups.add(choir);
      const poker = await ann.groups.create({ name: "poker" }, { throughDefaults: { role: "dealer" } });
      const roles = await Membership.objects.filter({ person: ann }).orderBy("group__name").values("group__name", "role");
      expect(roles).toEqual([
        { group__name: "chess", role: "captain" },
        { group__name: "choir", role: "member" },
        { group__name: "poker", role: "dealer" },
      ]);
      expect((await Membership.objects.get({ person: ann, group: chess })).joined).toBeInstanceOf(Date);
      // Adding an existing pair keeps its row as it is. Membership has no unique pair: the links are read first, in a transaction.
      const statements = await target.statementsDuring(() => ann.groups.add(chess, choir, { throughDefaults: { role: "nobody" } }));
      expect(statements.filter((event) => /^(SELECT|INSERT)/.test(event.sql)).map((event) => event.sql.slice(0, 6))).toEqual(["SELECT"]);
      expect(statements.some((event) => /^(BEGIN|START TRANSACTION)/.test(event.sql))).toBe(true);
      expect((await Membership.objects.get({ person: ann, group: chess })).role).toBe("captain");
      expect(await Membership.objects.filter({ person: ann }).count()).toBe(3);
      expect(await Person.objects.filter({ groups__name: "poker" }).count()).toBe(1);
      const members = (group: object) => (group as { members: orm.ManyRelatedManager<orm.Infer<typeof Person>> }).members;
      expect((await members(poker).all()).map((person) => person.name)).toEqual(["ann"]);
      await ann.groups.set([choir]);
      expect(await Membership.objects.filter({ person: ann }).valuesList("role", { flat: true })).toEqual(["member"]);
    });

    test("bulkCreate() through the manager creates the rows and links them, with throughDefaults, all or none", async () => {
      const cid = await Person.objects.create({ name: "cid" });
      const made = await cid.groups.bulkCreate([{ name: "darts" }, { name: "bowls" }], { throughDefaults: { role: "founder" } });
      expect(made.map((group) => (group as unknown as { name: string }).name)).toEqual(["darts", "bowls"]);
      expect(await Membership.objects.filter({ person: cid }).orderBy("group__name").values("group__name", "role")).toEqual([
        { group__name: "bowls", role: "founder" },
        { group__name: "darts", role: "founder" },
      ]);
      // A link that cannot be written (role too long) undoes the rows created with it.
      const groups = await Group.objects.count();
      await expect(cid.groups.bulkCreate([{ name: "golf" }], { throughDefaults: { role: "x".repeat(21) } })).rejects.toThrow(orm.ValidationError);
      expect(await Group.objects.count()).toBe(groups);
      await expect(cid.groups.bulkCreate([{ name: "golf" }], { onConflict: "ignore" })).rejects.toThrow("Person.groups.bulkCreate() takes no onConflict");
      await expect(new Person({ name: "draft" }).groups.bulkCreate([{ name: "golf" }])).rejects.toThrow("Person.groups.bulkCreate() needs a saved Person");
      expect(await Group.objects.count()).toBe(groups);
    });

    test("a pair linked twice (a through model without a unique pair) is one related row, read directly or prefetched", async () => {
      const eve = await Person.objects.create({ name: "eve" });
      const club = await Group.objects.create({ name: "twice" });
      await Membership.objects.bulkCreate([{ person: eve, group: club, role: "a" }, { person: eve, group: club, role: "b" }]);
      expect((await eve.groups.all()).length).toBe(1);
      const [loaded] = await Person.objects.filter({ pk: eve.pk }).prefetchRelated("groups").all();
      expect((await loaded!.groups.all()).length).toBe(1);
      expect(await loaded!.groups.count()).toBe(1);
    });

    test("throughDefaults is checked like any row, before any SQL", async () => {
      const bob = await Person.objects.create({ name: "bob" });
      const group = await Group.objects.create({ name: "g" });
      await expectRefusedBeforeSql(target, () => bob.groups.add(group, { throughDefaults: { role: "x".repeat(21) } }), orm.ValidationError);
      await expectRefusedBeforeSql(target, () => bob.groups.add(group, { throughDefaults: { nope: 1 } }), orm.ValidationError);
      await expectRefusedBeforeSql(target, () => bob.groups.add(group, { throughDefaults: { group: group.pk } }), orm.ValidationError);
    });
  });
});

describe("declaring a many-to-many", () => {
  test("a through model with two keys to one side needs throughFields, which picks them", async () => {
    const define = (options: Omit<orm.ManyToManyOptions, "through">) => {
      const database = new orm.Database("sqlite::memory:");
      const Team = orm.Model.define("Team", { name: orm.String() }, { database });
      const Player = orm.Model.define("Player", { name: orm.String(), teams: orm.ManyToMany(Team, { through: "Transfer", relatedName: "signed", ...options }) }, { database });
      const keys = { from: orm.ForeignKey(Team, { relatedName: "outgoing" }), to: orm.ForeignKey(Team, { relatedName: "incoming" }), player: orm.ForeignKey(Player) };
      const Transfer = orm.Model.define("Transfer", keys, { database });
      return { database, Team, Player, Transfer };
    };
    expect(() => define({})).toThrow(/Player\.teams: the through model Transfer needs exactly one foreign key to Player and one to Team; it has 1 and 2/);
    expect(() => define({ throughFields: ["from", "to"] })).toThrow(/throughFields names "from", which is not a foreign key of Transfer to Player/);
    const { database, Team, Player, Transfer } = define({ throughFields: ["player", "to"] });
    await database.createAll();
    const [reds, blues] = [await Team.objects.create({ name: "reds" }), await Team.objects.create({ name: "blues" })];
    const ann = await Player.objects.create({ name: "ann" });
    await ann.teams.add(blues, { throughDefaults: { from: reds } });
    expect(await Transfer.objects.values("from", "to", "player")).toEqual([{ from: reds.pk, to: blues.pk, player: ann.pk }]);
    expect(await Player.objects.filter({ teams__name: "blues" }).count()).toBe(1);
    expect(await Player.objects.filter({ teams__name: "reds" }).count()).toBe(0);
    await database.disconnect();
  });

  test("a relatedName already taken on the related model is refused", () => {
    const database = new orm.Database("sqlite::memory:");
    const Tag = orm.Model.define("Tag", { name: orm.String(), posts: orm.Integer({ default: 0 }) }, { database });
    expect(() => orm.Model.define("Post", { tags: orm.ManyToMany(Tag) }, { database })).toThrow(/Tag already has a field or relation called "posts"/);
  });

  test('relatedName "+" leaves the related model without a way back', async () => {
    const database = new orm.Database("sqlite::memory:");
    const Label = orm.Model.define("Label", { name: orm.String() }, { database });
    const Song = orm.Model.define("Song", { title: orm.String(), labels: orm.ManyToMany(Label, { relatedName: "+" }) }, { database });
    await database.createAll();
    const label = await Label.objects.create({ name: "x" });
    const song = await Song.objects.create({ title: "s" });
    await song.labels.add(label);
    expect((await song.labels.all()).map((row) => row.name)).toEqual(["x"]);
    expect("songs" in label).toBe(false);
    expect(() => Label.objects.filter({ songs__title: "s" } as never)).toThrow(orm.UnknownFieldError);
    await database.disconnect();
  });

  test("ManyToMany() refuses what is not a model", () => {
    expect(() => orm.ManyToMany(42 as never)).toThrow(TypeError);
    expect(() => orm.ManyToMany("Tag", { throughFields: ["a", "b"] })).toThrow(/needs `through`/);
  });
});
