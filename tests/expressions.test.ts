import { beforeEach, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { expectRefusedBeforeSql } from "./helpers/fixtures.js";

interface PostRow {
  title: string;
  author: string;
  editor: string | null;
  views: number;
  likes: number;
}

// Ann's threshold is 50, Bob's 5, Cy's 1000; Dee wrote nothing.
const AUTHORS = [
  { name: "Ann", threshold: 50 },
  { name: "Bob", threshold: 5 },
  { name: "Cy", threshold: 1000 },
  { name: "Dee", threshold: 0 },
];
const POSTS: PostRow[] = [
  { title: "a1", author: "Ann", editor: "Bob", views: 100, likes: 10 },
  { title: "a2", author: "Ann", editor: null, views: 5, likes: 7 },
  { title: "a3", author: "Ann", editor: "Cy", views: 60, likes: 60 },
  { title: "b1", author: "Bob", editor: "Ann", views: 3, likes: 1 },
  { title: "b2", author: "Bob", editor: null, views: 40, likes: 50 },
  { title: "c1", author: "Cy", editor: "Bob", views: 999, likes: 400 },
  { title: "c2", author: "Cy", editor: "Dee", views: 0, likes: 0 },
];

describeEachDialect("expressions", (target) => {
  const { database } = target;

  // Reverse relations are typed by declaring them on a subclass.
  class Author extends orm.Model.define("Author", { name: orm.String({ maxLength: 40 }), threshold: orm.Integer() }, { database }) {
    declare static objects: orm.Manager<Author>;
    declare posts: orm.RelatedManager<orm.Infer<typeof Post>>;
  }
  const Post = orm.Model.define(
    "Post",
    {
      title: orm.String({ maxLength: 40 }),
      author: orm.ForeignKey(Author),
      editor: orm.ForeignKey(Author, { allowNull: true, relatedName: "edited", onDelete: "SET NULL" }),
      views: orm.Integer(),
      likes: orm.Integer(),
      score: orm.Decimal({ maxDigits: 8, decimalPlaces: 2, default: "0" }),
    },
    { database },
  );
  const Counter = orm.Model.define("Counter", { name: orm.String({ maxLength: 20 }), n: orm.Integer({ default: 0 }) }, { database });

  const titles = async (query: PromiseLike<{ title: string }[]>) => (await query).map((post) => post.title).sort();
  const expected = (predicate: (post: PostRow) => boolean) => POSTS.filter(predicate).map((post) => post.title).sort();
  const thresholdOf = (name: string) => AUTHORS.find((author) => author.name === name)!.threshold;

  beforeEach(async () => {
    await database.dropAll();
    await database.createAll();
    const authors = await Author.objects.bulkCreate(AUTHORS);
    const byName = new Map(authors.map((author) => [author.name, author]));
    await Post.objects.bulkCreate(
      POSTS.map((post) => ({ ...post, author: byName.get(post.author)!, editor: post.editor === null ? null : byName.get(post.editor)! })),
    );
  });

  describe("Q", () => {
    test("nested OR / AND / NOT across a foreign key, in filter, exclude and get", async () => {
      const condition = orm.Q.or(
        orm.Q.and({ author__name: "Ann" }, orm.Q.not({ views__lt: 50 })),
        orm.Q.and({ editor__name__startswith: "B" }, orm.Q.not({ author__name: "Ann" })),
      );
      const matches = (post: PostRow) =>
        (post.author === "Ann" && !(post.views < 50)) || (post.editor !== null && post.editor.startsWith("B") && post.author !== "Ann");
      expect(await titles(Post.objects.filter(condition))).toEqual(expected(matches));
      expect(expected(matches)).toEqual(["a1", "a3", "c1"]);
      expect(await titles(Post.objects.exclude(condition))).toEqual(expected((post) => !matches(post)));
      expect((await Post.objects.get(condition, { likes: 400 })).title).toBe("c1");
      expect(await Post.objects.filter(orm.Q.or()).count()).toBe(0);
      expect(await Post.objects.filter(orm.Q.and()).count()).toBe(POSTS.length);
    });

    test("NOT across a nullable foreign key keeps the rows that have no related row", async () => {
      // "not edited by Bob" includes the posts with no editor, as exclude() does in Django.
      expect(await titles(Post.objects.filter(orm.Q.not({ editor__name: "Bob" })))).toEqual(expected((post) => post.editor !== "Bob"));
      expect(await titles(Post.objects.exclude({ editor__name: "Bob" }))).toEqual(expected((post) => post.editor !== "Bob"));
      expect(await titles(Post.objects.exclude({ editor__name: "Bob" }, { views__gt: 10 }))).toEqual(
        expected((post) => !(post.editor === "Bob" && post.views > 10)),
      );
    });

    test("across a reverse relation: EXISTS, so each author appears once", async () => {
      const names = async (query: PromiseLike<{ name: string }[]>) => (await query).map((author) => author.name).sort();
      expect(await names(Author.objects.filter(orm.Q.or({ posts__views__gt: 500 }, { name: "Bob" })))).toEqual(["Bob", "Cy"]);
      // NOT EXISTS: authors none of whose posts has that many likes (Dee has no posts at all).
      expect(await names(Author.objects.filter(orm.Q.not({ posts__likes__gte: 20 })))).toEqual(["Dee"]);
      expect(await names(Author.objects.filter(orm.Q.not({ posts__likes__gte: 100 })))).toEqual(["Ann", "Bob", "Dee"]);
      expect(await names(Author.objects.filter(orm.Q.and({ posts__title__startswith: "a" }, { edited__title: "b1" })))).toEqual(["Ann"]);
    });

    test("an unknown field anywhere in a Q is refused before any SQL", async () => {
      await expectRefusedBeforeSql(target, async () => Post.objects.filter(orm.Q.or({ views: 1 }, orm.Q.not({ author__nope: 1 }))), orm.UnknownFieldError);
    });
  });

  describe("F", () => {
    test("on the right-hand side of lookups, with arithmetic", async () => {
      expect(await titles(Post.objects.filter({ views__gt: orm.F("likes") }))).toEqual(expected((post) => post.views > post.likes));
      expect(await titles(Post.objects.filter({ views: orm.F("likes") }))).toEqual(expected((post) => post.views === post.likes));
      expect(await titles(Post.objects.filter({ views__gte: orm.F("likes").mul(2).add(5) }))).toEqual(
        expected((post) => post.views >= post.likes * 2 + 5),
      );
      expect(await titles(Post.objects.filter({ likes__lt: orm.F("views").sub(orm.F("likes")) }))).toEqual(
        expected((post) => post.likes < post.views - post.likes),
      );
      expect(await titles(Post.objects.filter({ views__in: [orm.F("likes"), 3] }))).toEqual(expected((post) => post.views === post.likes || post.views === 3));
      expect(await titles(Post.objects.filter({ views__range: [orm.F("likes"), orm.F("likes").mul(10)] }))).toEqual(
        expected((post) => post.views >= post.likes && post.views <= post.likes * 10),
      );
      expect(await titles(Post.objects.exclude({ views__gt: orm.F("likes") }))).toEqual(expected((post) => !(post.views > post.likes)));
    });

    test("across forward relations (joined), and from inside a reverse-relation lookup (the outer row)", async () => {
      expect(await titles(Post.objects.filter({ views__gt: orm.F("author__threshold") }))).toEqual(
        expected((post) => post.views > thresholdOf(post.author)),
      );
      // Both sides across relations: posts whose editor's threshold is below their author's.
      expect(await titles(Post.objects.filter({ editor__threshold__lt: orm.F("author__threshold") }))).toEqual(
        expected((post) => post.editor !== null && thresholdOf(post.editor) < thresholdOf(post.author)),
      );
      // Authors with a post seen more often than their own threshold: F names the author, not the post.
      const authors = await Author.objects.filter({ posts__views__gt: orm.F("threshold") });
      const expectedAuthors = AUTHORS.filter((author) => POSTS.some((post) => post.author === author.name && post.views > author.threshold));
      expect(authors.map((author) => author.name).sort()).toEqual(expectedAuthors.map((author) => author.name).sort());
      expect(expectedAuthors.length).toBeGreaterThan(0);
    });

    test("F(...).asc/desc({ nulls }) places the rows without a value alike on every database", async () => {
      // Editors' names, null last ascending and first descending; ties (and the nulls) by title.
      const byEditor = (nulls: "first" | "last", descending: boolean) =>
        [...POSTS]
          .sort((a, b) => {
            if (a.editor !== b.editor) {
              if (a.editor === null) return nulls === "first" ? -1 : 1;
              if (b.editor === null) return nulls === "first" ? 1 : -1;
              return (a.editor < b.editor ? -1 : 1) * (descending ? -1 : 1);
            }
            return a.title < b.title ? -1 : 1;
          })
          .map((post) => post.title);
      const ordered = async (first: orm.OrderBy) => (await Post.objects.orderBy(first, "title")).map((post) => post.title);
      expect(await ordered(orm.F("editor__name").asc({ nulls: "last" }))).toEqual(byEditor("last", false));
      expect(await ordered(orm.F("editor__name").asc({ nulls: "first" }))).toEqual(byEditor("first", false));
      expect(await ordered(orm.F("editor__name").desc({ nulls: "first" }))).toEqual(byEditor("first", true));
      expect(await ordered(orm.F("editor__name").desc({ nulls: "last" }))).toEqual(byEditor("last", true));
      expect(byEditor("last", false)).not.toEqual(byEditor("first", false));
      // An annotation, selected (grouped and ordered by position on PostgreSQL), and values().distinct().
      const names = await Post.objects
        .annotate({ editorName: orm.F("editor__name") })
        .values("editorName")
        .distinct()
        .orderBy(orm.F("editorName").desc({ nulls: "last" }));
      expect(names.map((row) => row.editorName)).toEqual(["Dee", "Cy", "Bob", "Ann", null]);
      const counted = await Post.objects.values("editor__name").annotate({ n: orm.Count("id") }).orderBy(orm.F("editor__name").asc({ nulls: "first" }));
      expect(counted).toEqual([{ editor__name: null, n: 2 }, { editor__name: "Ann", n: 1 }, { editor__name: "Bob", n: 2 }, { editor__name: "Cy", n: 1 }, { editor__name: "Dee", n: 1 }]);
      expect(() => Post.objects.orderBy(orm.F("nope").asc())).toThrow(orm.UnknownFieldError);
      expect(() => orm.F("title").asc({ nulls: "middle" as never })).toThrow(TypeError);
    });

    test("update() with F: increments, arithmetic on several fields, Decimals", async () => {
      expect(await Post.objects.filter({ author__name: "Ann" }).update({ views: orm.F("views").add(orm.F("likes")).mul(2) })).toBe(3);
      const after = await Post.objects.orderBy("title").all();
      after.forEach((post, index) => {
        const row = POSTS[index]!;
        expect(post.views).toBe(row.author === "Ann" ? (row.views + row.likes) * 2 : row.views);
      });
      await Post.objects.filter({ title: "c1" }).update({ likes: orm.F("likes").div(4), score: orm.F("score").add("1.25").mul(3) });
      const c1 = await Post.objects.get({ title: "c1" });
      expect(c1.likes).toBe(100);
      expect(c1.score).toBe("3.75");
      await Post.objects.update({ likes: orm.F("views") });
      expect(await Post.objects.filter({ likes: orm.F("views") }).count()).toBe(POSTS.length);
    });

    test("50 concurrent update({ n: F('n').add(1) }) on the same row end at exactly +50", async () => {
      const counter = await Counter.objects.create({ name: "hits", n: 7 });
      const other = await Counter.objects.create({ name: "other", n: 0 });
      await Promise.all(
        Array.from({ length: 50 }, async (_, index) => {
          // Interleave: half wait a tick, and every caller also reads, so the statements really overlap.
          if (index % 2 === 0) await new Promise((resolve) => setImmediate(resolve));
          await Counter.objects.get({ pk: counter.pk });
          return Counter.objects.filter({ pk: counter.pk }).update({ n: orm.F("n").add(1) });
        }),
      );
      expect((await Counter.objects.get({ pk: counter.pk })).n).toBe(57);
      expect((await Counter.objects.get({ pk: other.pk })).n).toBe(0);
    });

    test("F('nope') and other bad references are refused before any SQL", async () => {
      const unknown = await expectRefusedBeforeSql(target, async () => Post.objects.filter({ views__gt: orm.F("nope") }), orm.UnknownFieldError);
      expect(unknown.message).toContain('"nope"');
      expect(unknown.message).toContain("likes");
      await expectRefusedBeforeSql(target, () => Post.objects.update({ views: orm.F("nope").add(1) }), orm.UnknownFieldError);
      await expectRefusedBeforeSql(target, () => Post.objects.update({ views: orm.F("views").add(orm.F("likez")) }), orm.UnknownFieldError);
      const path = await expectRefusedBeforeSql(target, async () => Post.objects.filter({ views: orm.F("author__nope") }), orm.UnknownFieldError);
      expect(path.message).toContain('(in "author__nope")');
      // Reverse relations have many rows per row; UPDATE cannot join.
      await expectRefusedBeforeSql(target, async () => Author.objects.filter({ threshold: orm.F("posts__views") }), orm.ValidationError);
      const join = await expectRefusedBeforeSql(target, () => Post.objects.update({ views: orm.F("author__threshold") }), orm.ValidationError);
      expect(join.message).toContain('F("author__threshold")');
      expect(() => orm.F("views").add(null as unknown as number)).toThrow(TypeError);
      expect(() => orm.F("")).toThrow(TypeError);
      expect(String(orm.F("views").add(1).mul(orm.F("likes")))).toBe('((F("views") + 1) * F("likes"))');
    });
  });
});
