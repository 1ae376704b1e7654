import { beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";

const timestamps = orm.fields({
  created: orm.DateTime({ autoNowAdd: true }),
  updated: orm.DateTime({ autoNow: true }),
  kind: orm.Enum(["draft", "final"], { default: "draft" }),
  contact: orm.Email({ allowNull: true }),
});

/** Methods shared the way TypeScript shares them: a function from a model class to a subclass of it. */
// `any[]`: the one constructor signature TypeScript accepts for a mixin's base.
function Timestamped<B extends new (...args: any[]) => { created: Date; updated: Date }>(Base: B) {
  return class extends Base {
    /** Saved again later than the second it was created in (the two stamps of one save may differ by a millisecond). */
    get edited(): boolean {
      return this.updated.getTime() - this.created.getTime() >= 1000;
    }
  };
}

describeEachDialect("shared fields", (target) => {
  const { database } = target;
  const Author = orm.Model.define("Author", { name: orm.String({ maxLength: 40 }), ...timestamps }, { database });
  class Post extends Timestamped(orm.Model.define("Post", { title: orm.String({ maxLength: 40 }), author: orm.ForeignKey(Author), ...timestamps }, { database })) {
    declare static objects: orm.Manager<Post>;
  }

  beforeAll(async () => {
    await database.createAll();
  });

  test("one field set spread into two models gives each its own fields", async () => {
    expect(Author.fields.created).not.toBe(Post.fields.created);
    expect(Author.fields.created!.owner.name).toBe("Author");
    expect(Post.fields.created!.owner.name).toBe("Post");
    expect(Object.keys(Post.fields)).toEqual(["id", "title", "author", "created", "updated", "kind", "contact"]);
    const author = await Author.objects.create({ name: "ann" });
    const post = await Post.objects.create({ title: "hello", author, contact: "ann@example.com" });
    const [readAuthor, readPost] = [await Author.objects.get({ pk: author.pk }), await Post.objects.get({ pk: post.pk })];
    expect(readAuthor.created).toBeInstanceOf(Date);
    expect(readPost.kind).toBe("draft");
    expect(readPost.contact).toBe("ann@example.com");
    await expect(Post.objects.create({ title: "x", author, contact: "not an email" })).rejects.toThrow(/Post\.contact expects an email address/);
    await expect(Author.objects.create({ name: "x", kind: "nope" as never })).rejects.toThrow(/Author\.kind must be one of/);
  });

  test("methods shared through a class function reach the rows queries return", async () => {
    const author = await Author.objects.create({ name: "bob" });
    const post = await Post.objects.create({ title: "x", author });
    const read = await Post.objects.get({ pk: post.pk });
    expect(read).toBeInstanceOf(Post);
    expect(read.edited).toBe(false);
    await read.update({ title: "y", updated: new Date(read.created.getTime() + 5000) });
    expect((await Post.objects.get({ pk: post.pk })).edited).toBe(true);
  });
});

describe("orm.fields()", () => {
  test("the declarations it was given stay unbound, so it can serve any number of models", () => {
    const database = new orm.Database("sqlite::memory:");
    for (const name of ["A", "B", "C"]) orm.Model.define(name, { ...timestamps }, { database });
    expect(database.models.map((meta) => meta.fields.find((field) => field.name === "created")!.owner.name)).toEqual(["A", "B", "C"]);
  });

  test("a field object used twice without it says how to share it", () => {
    const database = new orm.Database("sqlite::memory:");
    const name = orm.String();
    orm.Model.define("A", { name }, { database });
    expect(() => orm.Model.define("B", { name }, { database })).toThrow(/already belongs to A\.name; make a new one, or share fields with orm\.fields\(\)/);
    expect(() => orm.fields({ name })).toThrow(/"name" already belongs to A\.name/);
    expect(() => orm.fields({ name: 1 as never })).toThrow(/"name" is not a field declaration/);
  });
});
