// What building the RealWorld "Conduit" API on quarry found (issue 19): each test is one finding.
import { beforeAll, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";

describeEachDialect("Conduit findings", (target) => {
  const { database } = target;

  class User extends orm.Model.define("User", { username: orm.String({ maxLength: 40, unique: true }) }, { database }) {
    declare static objects: orm.Manager<User>;
    declare articles: orm.RelatedManager<Article>;
    declare followers: orm.RelatedManager<Follow>;
  }
  class Article extends orm.Model.define("Article", { slug: orm.String({ maxLength: 60 }), author: orm.ForeignKey(User) }, { database }) {
    declare static objects: orm.Manager<Article>;
    declare favorites: orm.RelatedManager<Favorite>;
    declare articleTags: orm.RelatedManager<ArticleTag>;
  }
  class Favorite extends orm.Model.define("Favorite", { user: orm.ForeignKey(User, { relatedName: "favorited" }), article: orm.ForeignKey(Article) }, { database }) {
    declare static objects: orm.Manager<Favorite>;
  }
  class Follow extends orm.Model.define(
    "Follow",
    { follower: orm.ForeignKey(User, { relatedName: "following" }), followed: orm.ForeignKey(User, { relatedName: "followers" }) },
    { database },
  ) {
    declare static objects: orm.Manager<Follow>;
  }
  const Tag = orm.Model.define("Tag", { name: orm.String({ maxLength: 40 }) }, { database });
  class ArticleTag extends orm.Model.define("ArticleTag", { article: orm.ForeignKey(Article), tag: orm.ForeignKey(Tag) }, { database }) {
    declare static objects: orm.Manager<ArticleTag>;
  }

  const USERS = 12;
  const ARTICLES = 200;
  // Article i is written by user i % USERS, favorited by the users u with (i + u) % 3 === 0 and u < i % 7,
  // tagged with tag i % 4 unless i % 5 === 0 (those have no tags).
  const authorOf = (i: number) => (i % USERS) + 1;
  const favoritersOf = (i: number) => Array.from({ length: USERS }, (_, u) => u + 1).filter((u) => (i + u) % 3 === 0 && u < i % 7);
  const tagged = (i: number) => i % 5 !== 0;
  const me = 3;
  const follows = (follower: number, followed: number) => (follower + followed) % 4 === 0 && follower !== followed;

  beforeAll(async () => {
    await database.createAll();
    await User.objects.bulkCreate(Array.from({ length: USERS }, (_, u) => ({ id: u + 1, username: `user${u + 1}` })));
    await Tag.objects.bulkCreate(Array.from({ length: 4 }, (_, t) => ({ id: t + 1, name: `tag${t + 1}` })));
    await Article.objects.bulkCreate(Array.from({ length: ARTICLES }, (_, i) => ({ id: i + 1, slug: `article-${i + 1}`, author: authorOf(i + 1) })));
    await Favorite.objects.bulkCreate(Array.from({ length: ARTICLES }, (_, i) => favoritersOf(i + 1).map((user) => ({ user, article: i + 1 }))).flat());
    await ArticleTag.objects.bulkCreate(Array.from({ length: ARTICLES }, (_, i) => i + 1).filter(tagged).map((article) => ({ article, tag: (article % 4) + 1 })));
    const pairs = Array.from({ length: USERS }, (_, a) => Array.from({ length: USERS }, (_, b) => [a + 1, b + 1] as const)).flat();
    await Follow.objects.bulkCreate(pairs.filter(([a, b]) => follows(a, b)).map(([follower, followed]) => ({ follower, followed })));
  }, 60_000);

  test("annotate(Count) over a page of 20 counts the page's rows, without grouping the whole table", async () => {
    const page = Article.objects.annotate({ favoritesCount: orm.Count("favorites") }).orderBy("-id").limit(20).offset(40);
    let rows: { pk: unknown; favoritesCount: number }[] = [];
    const statements = await target.statementsDuring(async () => {
      rows = await page;
    });
    const ids = Array.from({ length: 20 }, (_, index) => ARTICLES - 40 - index);
    expect(rows.map((article) => [article.pk, article.favoritesCount])).toEqual(ids.map((id) => [id, favoritersOf(id).length]));
    expect(statements).toHaveLength(1);
    expect(statements[0]!.sql).not.toMatch(/GROUP BY/);
  });

  test("conditional aggregates and Exists annotations answer 'favorited' and 'following' in the page's one statement", async () => {
    const page = Article.objects
      .annotate({
        favoritesCount: orm.Count("favorites"),
        favoritedByMe: orm.Count("favorites", { filter: { favorites__user: me } }),
        favorited: orm.Exists(Favorite.objects.filter({ article: orm.OuterRef("pk"), user: me })),
        following: orm.Exists(Follow.objects.filter({ followed: orm.OuterRef("author"), follower: me })),
      })
      .orderBy("id")
      .limit(30);
    let rows: { pk: unknown; favoritesCount: number; favoritedByMe: number; favorited: boolean; following: boolean }[] = [];
    const statements = await target.statementsDuring(async () => {
      rows = await page;
    });
    expect(statements).toHaveLength(1);
    expect(rows.map((row) => [row.pk, row.favoritesCount, row.favoritedByMe, row.favorited, row.following])).toEqual(
      Array.from({ length: 30 }, (_, index) => {
        const id = index + 1;
        const mine = favoritersOf(id).includes(me);
        return [id, favoritersOf(id).length, mine ? 1 : 0, mine, follows(me, authorOf(id))];
      }),
    );
  });

  test("filter({ rel__id__isnull: true }) across a reverse relation gives the rows with none", async () => {
    const untagged = Array.from({ length: ARTICLES }, (_, i) => i + 1).filter((i) => !tagged(i));
    expect(await Article.objects.filter({ articleTags__id__isnull: true }).orderBy("id").valuesList("id", { flat: true })).toEqual(untagged);
    expect(await Article.objects.filter({ articleTags__isnull: true }).orderBy("id").valuesList("id", { flat: true })).toEqual(untagged);
    expect(await Article.objects.filter({ articleTags__isnull: true }).count()).toBe(untagged.length);
  });

  test("exclude({ rel__isnull: true }) gives the rows with some, and isnull: false the same", async () => {
    const withTags = Array.from({ length: ARTICLES }, (_, i) => i + 1).filter(tagged);
    expect(await Article.objects.exclude({ articleTags__isnull: true }).orderBy("id").valuesList("id", { flat: true })).toEqual(withTags);
    expect(await Article.objects.filter({ articleTags__isnull: false }).orderBy("id").valuesList("id", { flat: true })).toEqual(withTags);
    expect(await Article.objects.exclude({ articleTags__id__isnull: false }).count()).toBe(ARTICLES - withTags.length);
  });

  test("a nullable field across a reverse relation: isnull: true is 'none, or one with it null', as Django reads it", async () => {
    const Shelf = orm.Model.define("Shelf", { label: orm.String({ maxLength: 20 }) }, { database });
    const Book = orm.Model.define("Book", { shelf: orm.ForeignKey(Shelf), note: orm.String({ maxLength: 20, allowNull: true }) }, { database });
    await database.createAll();
    await Shelf.objects.bulkCreate([{ id: 1, label: "empty" }, { id: 2, label: "noted" }, { id: 3, label: "mixed" }]);
    await Book.objects.bulkCreate([{ shelf: 2, note: "x" }, { shelf: 3, note: "y" }, { shelf: 3, note: null }]);
    expect(await Shelf.objects.filter({ books__note__isnull: true } as never).orderBy("id").valuesList("id", { flat: true })).toEqual([1, 3]);
    expect(await Shelf.objects.exclude({ books__note__isnull: true } as never).orderBy("id").valuesList("id", { flat: true })).toEqual([2]);
  });

  test("filter({ author__in: [...] }) compares the key column, with no join to the users' table", async () => {
    const authors = [2, 5, 7];
    const expected = Array.from({ length: ARTICLES }, (_, i) => i + 1).filter((i) => authors.includes(authorOf(i)));
    for (const lookups of [{ author__in: authors }, { author__id__in: authors }, { author__in: await User.objects.filter({ id__in: authors }).all() }]) {
      let ids: number[] = [];
      const statements = await target.statementsDuring(async () => {
        ids = (await Article.objects.filter(lookups).orderBy("id").valuesList("id", { flat: true })) as number[];
      });
      expect(ids).toEqual(expected);
      expect(statements[0]!.sql).not.toMatch(/JOIN/);
    }
    const statements = await target.statementsDuring(() => Article.objects.filter({ author__id: 2 }).orderBy("author__id").values("author__id").all());
    expect(statements[0]!.sql).not.toMatch(/JOIN/);
  });
});
