// Type-level tests of issue 20's item 11 (building the RealWorld "Conduit" API): prefetched rows are typed as
// loaded, any model class fits orm.ModelClass and orm.AnyModelClass, QuerySets have catch() and finally().
import { describe, expectTypeOf, test } from "vitest";
import * as orm from "../../lib/index.js";

const database = new orm.Database("sqlite::memory:");

const Tag = orm.Model.define("ConduitTag", { name: orm.String({ maxLength: 40 }) }, { database });
class Article extends orm.Model.define("ConduitArticle", { title: orm.String() }, { database }) {
  declare static objects: orm.Manager<Article>;
  declare articleTags: orm.RelatedManager<orm.Infer<typeof ArticleTag>>;
}
const ArticleTag = orm.Model.define(
  "ConduitArticleTag",
  { article: orm.ForeignKey(Article, { relatedName: "articleTags" }), tag: orm.ForeignKey(Tag) },
  { database },
);
type TagRow = orm.Infer<typeof Tag>;

describe("prefetchRelated", () => {
  test("a foreign key at the end of a path through a reverse relation is typed as its loaded row", async () => {
    const articles = await Article.objects.prefetchRelated("articleTags__tag");
    const links = await articles[0]!.articleTags.all();
    expectTypeOf(links[0]!.tag).toEqualTypeOf<TagRow>();
    expectTypeOf(links[0]!.tag.name).toEqualTypeOf<string>();
  });

  test("a forward foreign key it loads is typed as its row; what it does not load stays a stub", async () => {
    const [link] = await ArticleTag.objects.prefetchRelated("tag");
    expectTypeOf(link!.tag.name).toEqualTypeOf<string>();
    const [plain] = await ArticleTag.objects.all();
    // @ts-expect-error a stub has its key and load(), not its fields
    void plain!.tag.name;
  });

  test("a path the model does not have is refused", () => {
    // @ts-expect-error no such relation
    void Article.objects.prefetchRelated("articleTags__nonsense");
  });
});

describe("model classes as values", () => {
  const tableOf = (model: orm.ModelClass): string => model.tablename;
  const metaOf = (model: orm.AnyModelClass): string => model.prototype.constructor.name;

  test("orm.ModelClass with no fields named takes any model, a subclass with declared relations too", () => {
    expectTypeOf(tableOf(Article)).toEqualTypeOf<string>();
    expectTypeOf(tableOf(ArticleTag)).toEqualTypeOf<string>();
    expectTypeOf(tableOf(Tag)).toEqualTypeOf<string>();
    expectTypeOf(metaOf(Article)).toEqualTypeOf<string>();
    expectTypeOf(metaOf(Tag)).toEqualTypeOf<string>();
    // @ts-expect-error not a model
    tableOf(Map);
  });
});

describe("QuerySets are promise-like all the way", () => {
  test("catch() and finally() resolve to the rows", () => {
    expectTypeOf(Tag.objects.catch(() => "failed" as const)).toEqualTypeOf<Promise<TagRow[] | "failed">>();
    expectTypeOf(Tag.objects.filter({ name: "x" }).finally(() => {})).toEqualTypeOf<Promise<TagRow[]>>();
  });
});

describe("types an inferred model type names are exported", () => {
  test("fields, options and stubs can be named from the package", () => {
    expectTypeOf<orm.Typed<orm.StringField, string, {}>>().toMatchTypeOf<orm.Field<string>>();
    expectTypeOf<orm.Stub<TagRow>["pk"]>().toEqualTypeOf<TagRow["pk"]>();
    expectTypeOf<orm.StringOptions>().toHaveProperty("maxLength");
    expectTypeOf<orm.NumberOptions<number>>().toHaveProperty("minimum");
  });
});
