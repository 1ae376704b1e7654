// Type-level tests of ManyToMany and shared field sets (see models.test-d.ts for how these run).
import { describe, expectTypeOf, test } from "vitest";
import * as orm from "../../lib/index.js";

const database = new orm.Database("sqlite::memory:");

const timestamps = orm.fields({ created: orm.DateTime({ autoNowAdd: true }), updated: orm.DateTime({ autoNow: true }) });

const Tag = orm.Model.define("Tag", { name: orm.String({ maxLength: 40 }), ...timestamps }, { database });
const Article = orm.Model.define("Article", { title: orm.String(), tags: orm.ManyToMany(Tag), ...timestamps }, { database });
const User = orm.Model.define("User", { handle: orm.String(), follows: orm.ManyToMany("self", { relatedName: "followers" }) }, { database });

type ArticleRow = orm.Infer<typeof Article>;
type TagRow = orm.Infer<typeof Tag>;
type UserRow = orm.Infer<typeof User>;

describe("ManyToMany", () => {
  test("article.tags is the related manager of Tag, from Model.define alone", () => {
    expectTypeOf<ArticleRow["tags"]>().toMatchTypeOf<orm.ManyRelatedManager<TagRow>>();
    expectTypeOf<Awaited<ReturnType<ArticleRow["tags"]["all"]>>>().toEqualTypeOf<TagRow[]>();
    expectTypeOf<Awaited<ReturnType<UserRow["follows"]["all"]>>>().toEqualTypeOf<UserRow[]>();
    // @ts-expect-error -- not a manager of Articles
    expectTypeOf<Awaited<ReturnType<ArticleRow["tags"]["all"]>>>().toEqualTypeOf<ArticleRow[]>();
  });

  test("add(), remove() and set() take the related instances or their keys", async () => {
    const article = await Article.objects.get({ pk: 1 });
    const tag = await Tag.objects.get({ pk: 1 });
    await article.tags.add(tag, 2, { throughDefaults: {} });
    await article.tags.remove(tag, 3);
    await article.tags.set([tag, 4]);
    // @ts-expect-error -- an Article is not a Tag
    await article.tags.add(article);
    // @ts-expect-error -- a Tag's key is a number
    await article.tags.remove("red");
    expectTypeOf<Awaited<ReturnType<typeof article.tags.create>>>().toEqualTypeOf<TagRow>();
  });

  test("create() takes no value for it, and update() neither", async () => {
    await Article.objects.create({ title: "x" });
    // @ts-expect-error -- tags are linked through the manager, not set on the row
    await Article.objects.create({ title: "x", tags: [] });
    // @ts-expect-error -- likewise for update()
    await Article.objects.update({ tags: [] });
  });

  test("filter keys through it are checked", () => {
    Article.objects.filter({ tags__name__icontains: "x", tags__created__gte: new Date() });
    Article.objects.filter({ tags__name: "x", tags__in: [1, 2], tags: 3 });
    User.objects.filter({ follows__handle__startswith: "a", follows__follows__handle: "b" });
    // @ts-expect-error -- Tag has no field "nope"
    Article.objects.filter({ tags__nope: "x" });
    // @ts-expect-error -- a name is a string
    Article.objects.filter({ tags__name: 1 });
    Article.objects.orderBy("tags__name", "-title");
    Article.objects.prefetchRelated("tags");
    // @ts-expect-error -- Tag has no relation "nope" to prefetch
    Article.objects.prefetchRelated("tags__nope");
  });

  test("values() through it: the related value, or null for a row with none", async () => {
    const rows = await Article.objects.values("title", "tags__name", "tags");
    expectTypeOf(rows).toEqualTypeOf<{ title: string; tags__name: string | null; tags: number | null }[]>();
  });
});

describe("orm.fields()", () => {
  test("a shared set spreads its fields, typed, into each model", () => {
    expectTypeOf<TagRow["created"]>().toEqualTypeOf<Date>();
    expectTypeOf<ArticleRow["updated"]>().toEqualTypeOf<Date>();
    expectTypeOf<orm.InferCreate<typeof Tag>>().toEqualTypeOf<{ name: string; created?: Date; updated?: Date; id?: number }>();
  });
});
