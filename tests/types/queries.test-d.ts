// Type-level tests of the queries of issue 19: annotations in filters, expressions, date parts, subqueries, bulk writes.
import { describe, expectTypeOf, test } from "vitest";
import * as orm from "../../lib/index.js";

const database = new orm.Database("sqlite::memory:");

class Author extends orm.Model.define("Author", { name: orm.String({ maxLength: 40 }), joined: orm.Date() }, { database }) {
  declare static objects: orm.Manager<Author>;
  declare posts: orm.RelatedManager<Post>;
}
class Post extends orm.Model.define(
  "Post",
  { title: orm.String({ maxLength: 80 }), author: orm.ForeignKey(Author), views: orm.Integer({ default: 0 }), published: orm.DateTime({ allowNull: true }) },
  { database },
) {
  declare static objects: orm.Manager<Post>;
}
const Label = orm.Model.define("Label", { name: orm.String({ maxLength: 20 }) }, { database });
const Tagged = orm.Model.define("Tagged", { name: orm.String({ maxLength: 20, unique: true }), tags: orm.ManyToMany(Label) }, { database });

describe("annotations", () => {
  test("annotate() types each value from its expression", async () => {
    const rows = await Author.objects.annotate({
      n: orm.Count("posts"),
      shout: orm.Upper("name"),
      letters: orm.Length("name"),
      full: orm.Concat("name", orm.Value("!")),
      now: orm.Now(),
      band: orm.Case(orm.When({ name: "Ann" }, 1), { default: 2 }),
      maybe: orm.Case(orm.When({ name: "Ann" }, "ann")),
      active: orm.Exists(Post.objects.filter({ author: orm.OuterRef("pk") })),
      latest: orm.Subquery(Post.objects.filter({ author: orm.OuterRef("pk") }).values("views").limit(1)),
    });
    expectTypeOf(rows[0]!.n).toEqualTypeOf<number>();
    expectTypeOf(rows[0]!.shout).toEqualTypeOf<string | null>();
    expectTypeOf(rows[0]!.letters).toEqualTypeOf<number | null>();
    expectTypeOf(rows[0]!.full).toEqualTypeOf<string>();
    expectTypeOf(rows[0]!.now).toEqualTypeOf<Date>();
    expectTypeOf(rows[0]!.band).toEqualTypeOf<number>();
    expectTypeOf(rows[0]!.maybe).toEqualTypeOf<"ann" | null>();
    expectTypeOf(rows[0]!.active).toEqualTypeOf<boolean>();
    expectTypeOf(rows[0]!.latest).toEqualTypeOf<number | null>();
  });

  test("filter() takes annotation names with lookups, typed by the annotation", () => {
    const annotated = Author.objects.annotate({ n: orm.Count("posts"), shout: orm.Upper("name") });
    annotated.filter({ n__gte: 10 }).exclude({ n: 0 }).filter({ shout__icontains: "A", n__in: [1, 2] });
    // @ts-expect-error -- a count is a number
    annotated.filter({ n__gte: "10" });
    // @ts-expect-error -- not an annotation or a field
    annotated.filter({ m__gte: 1 });
    // @ts-expect-error -- text lookups are for strings
    annotated.filter({ n__icontains: "1" });
  });

  test("aggregates take a filter; expressions stand as conditions", () => {
    Author.objects.annotate({ popular: orm.Count("posts", { filter: { posts__views__gte: 100 } }) });
    Author.objects.filter(orm.Exists(Post.objects.filter({ author: orm.OuterRef("pk") })));
    Author.objects.filter(orm.Q.or(orm.Exists(Post.objects.filter({ views__gt: 0 })), { name: "x" }));
  });
});

describe("lookups", () => {
  test("date parts: a number, or a date string for __date; Date fields have no hour", () => {
    Post.objects.filter({ published__year: 2024, published__month__in: [1, 2], published__hour__gte: 9, published__date: "2024-01-01", published__week_day: 1 });
    Author.objects.filter({ joined__year__lt: 2000, joined__day: 1 });
    Post.objects.values("published__year", "published__date");
    // @ts-expect-error -- a year is a number
    Post.objects.filter({ published__year: "2024" });
    // @ts-expect-error -- a Date field has no hour
    Author.objects.filter({ joined__hour: 3 });
    // @ts-expect-error -- no such part
    Post.objects.filter({ published__fortnight: 1 });
  });

  test("reverse relations take isnull; foreign keys take expressions", () => {
    Author.objects.filter({ posts__isnull: true }).exclude({ posts__isnull: false });
    // @ts-expect-error -- isnull takes a boolean
    Author.objects.filter({ posts__isnull: 1 });
    Post.objects.filter({ author: orm.OuterRef("pk"), author__in: [1, 2] });
  });
});

describe("writes and locks", () => {
  test("bulkCreate's onConflict and bulkUpdate's fields are the model's own names", async () => {
    await Post.objects.bulkCreate([{ title: "t", author: 1 }], { onConflict: "ignore" });
    await Post.objects.bulkCreate([{ title: "t", author: 1 }], { onConflict: { target: ["title"], update: ["views"] } });
    // @ts-expect-error -- no such field
    await Post.objects.bulkCreate([{ title: "t", author: 1 }], { onConflict: { target: ["nope"], update: [] } });
    const posts = await Post.objects.all();
    expectTypeOf(await Post.objects.bulkUpdate(posts, ["views", "title"])).toEqualTypeOf<number>();
    // @ts-expect-error -- no such field
    await Post.objects.bulkUpdate(posts, ["nope"]);
    expectTypeOf(Post.objects.selectForUpdate({ skipLocked: true, of: ["self"] })).toEqualTypeOf<orm.QuerySet<Post>>();
  });

  test("the primary key is never a field to write, many-to-many never a column; locks and distinct name what exists", async () => {
    const posts = await Post.objects.all();
    // @ts-expect-error -- the key identifies the rows bulkUpdate writes
    await Post.objects.bulkUpdate(posts, ["id"]);
    // @ts-expect-error -- the key of an existing row is not overwritten by an upsert
    await Post.objects.bulkCreate([{ title: "t", author: 1 }], { onConflict: { target: ["title"], update: ["id"] } });
    await Tagged.objects.bulkCreate([{ name: "t" }], { onConflict: { target: ["name"], update: ["name"] } });
    // @ts-expect-error -- a many-to-many has no column to update
    await Tagged.objects.bulkCreate([{ name: "t" }], { onConflict: { target: ["name"], update: ["tags"] } });
    // @ts-expect-error -- nor to write by bulkUpdate
    await Tagged.objects.bulkUpdate([], ["tags"]);
    Post.objects.selectForUpdate({ of: ["self", "author"] });
    // @ts-expect-error -- no such foreign key
    Post.objects.selectForUpdate({ of: ["nope"] });
    // @ts-expect-error -- a plain field is not a table to lock
    Post.objects.selectForUpdate({ of: ["title"] });
    expectTypeOf(Post.objects.distinct("author__name", "title", "pk")).toEqualTypeOf<orm.QuerySet<Post>>();
    expectTypeOf(Post.objects.orderBy(orm.F("published").desc({ nulls: "last" }), "title")).toEqualTypeOf<orm.QuerySet<Post>>();
    // @ts-expect-error -- nulls go first or last
    orm.F("published").asc({ nulls: "middle" });
    // @ts-expect-error -- a typo
    Post.objects.distinct("titel");
    // @ts-expect-error -- across a many-to-many there is no one value per row
    Tagged.objects.distinct("tags__name");
  });
});
