import { inspect } from "node:util";
import { beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { defineNote, errorOf } from "./helpers/fixtures.js";

describeEachDialect("instances", (target) => {
  const { database } = target;
  const Note = defineNote(database);

  class Task extends orm.Model.define(
    "Task",
    {
      title: orm.String({ maxLength: 100 }),
      priority: orm.Integer({ default: 3 }),
      tags: orm.JSON({ default: () => [] }),
      budget: orm.BigInteger({ default: 0n }),
      created: orm.DateTime({ autoNowAdd: true }),
      modified: orm.DateTime({ autoNow: true }),
    },
    { database },
  ) {
    get short(): string {
      return this.title.slice(0, 4);
    }

    describe(): string {
      return `${this.title} (priority ${this.priority})`;
    }

    async bump(): Promise<this> {
      return this.update({ priority: this.priority + 1 });
    }
  }

  // `Task.objects` is typed with the base class's instances (TypeScript has no polymorphic `this` on the static
  // side), so the subclass's members need this view at compile time; at run time it is the same manager.
  const tasks = Task.objects as unknown as orm.Manager<Task>;

  beforeAll(() => database.createAll());

  test("String() and template literals give Model(pk=value); util.inspect the loaded fields (issue 20)", async () => {
    const note = await Note.objects.create({ text: "first" });
    expect(String(note)).toBe(`Note(id=${note.id})`);
    expect(`${note}`).toBe(`Note(id=${note.id})`);
    expect(inspect(note)).toBe(`Note(id=${note.id}, text='first', completed=false)`);
    expect(inspect([note])).toBe(`[ Note(id=${note.id}, text='first', completed=false) ]`);
    expect(String(new Note({ text: "unsaved" }))).toBe("Note(id=undefined)");
  });

  test("pk aliases the primary key, for reading and writing", async () => {
    const note = await Note.objects.create({ text: "pk" });
    expect(note.pk).toBe(note.id);
    expect(Note.pkname).toBe("id");
    const copy = new Note({ text: "copy" });
    copy.pk = 424242;
    expect(copy.id).toBe(424242);
    await copy.save();
    expect((await Note.objects.get({ id: 424242 })).text).toBe("copy");
  });

  test("unknown properties are undefined; then, toJSON, symbols and framework probes never throw", async () => {
    const note = await Note.objects.create({ text: "probe" });
    const loose = note as unknown as Record<string | symbol, unknown>;
    expect(loose.nonexistent).toBeUndefined();
    expect(loose.then).toBeUndefined();
    expect(loose[Symbol.iterator]).toBeUndefined();
    expect(loose[Symbol.toPrimitive]).toBeUndefined();
    expect(loose.$$typeof).toBeUndefined();
    expect(loose.asymmetricMatch).toBeUndefined();
    expect(typeof note.toJSON).toBe("function");
    expect("text" in note).toBe(true);
    // Fields are accessors on the model's prototype: a plain object of them is toJSON()'s.
    expect(Object.keys(note)).toEqual([]);
    expect({ ...note.toJSON() }).toEqual({ id: note.id, text: "probe", completed: false });
    expect(await note).toBe(note);
    expect(await Promise.resolve(note)).toBe(note);
    loose.scratch = 1;
    expect(loose.scratch).toBe(1);
  });

  test("toJSON() and JSON.stringify give a plain object; bigints become strings", async () => {
    const note = await Note.objects.create({ text: "json", completed: true });
    expect(note.toJSON()).toEqual({ id: note.id, text: "json", completed: true });
    expect(JSON.parse(JSON.stringify(note))).toEqual({ id: note.id, text: "json", completed: true });
    const task = await Task.objects.create({ title: "big", budget: 2n ** 63n - 1n });
    const json = JSON.parse(JSON.stringify({ task })) as { task: Record<string, unknown> };
    expect(json.task).toMatchObject({ id: task.id, title: "big", budget: "9223372036854775807", priority: 3, tags: [] });
    expect(json.task.created).toBe(task.created.toISOString());
  });

  test("rows of one query keep apart: assigning, saving or deleting one leaves the others as they were read", async () => {
    await Note.objects.bulkCreate([{ text: "twin a" }, { text: "twin b" }, { text: "twin c" }]);
    const [a, b, c] = await Note.objects.filter({ text__startswith: "twin" }).orderBy("text");
    a!.text = "twin a, changed";
    const statements = await target.statementsDuring(async () => {
      await b!.save();
      await a!.save();
    });
    expect(statements).toHaveLength(1);
    expect(statements[0]!.sql).toMatch(/^UPDATE /);
    await c!.delete();
    await b!.update({ completed: true });
    const [again] = await Note.objects.filter({ pk: a!.pk });
    expect(again!.text).toBe("twin a, changed");
    expect(b!.completed).toBe(true);
    expect(await Note.objects.filter({ pk: c!.pk }).exists()).toBe(false);
    c!.text = "twin c, back";
    await c!.save();
    expect(await Note.objects.filter({ text: "twin c, back" }).count()).toBe(1);
    await Note.objects.filter({ text__startswith: "twin" }).delete();
  });

  test("save() INSERTs a new instance, then UPDATEs only the fields changed since", async () => {
    const note = new Note({ text: "draft" });
    const insert = await target.statementsDuring(() => note.save());
    expect(insert.map((event) => event.sql.split(" ")[0])).toEqual(["INSERT"]);
    expect(typeof note.pk).toBe("number");

    note.text = "final";
    const update = await target.statementsDuring(() => note.save());
    expect(update).toHaveLength(1);
    expect(update[0]!.sql).toMatch(/^UPDATE /);
    expect(update[0]!.sql).toContain("text");
    expect(update[0]!.sql).not.toContain("completed");
    expect(update[0]!.values).toEqual(["final", note.pk]);

    expect(await target.statementsDuring(() => note.save())).toEqual([]);
    expect((await Note.objects.get({ pk: note.pk })).text).toBe("final");
  });

  test("save() of an instance loaded from the database updates only what was assigned", async () => {
    const created = await Note.objects.create({ text: "loaded" });
    const loaded = await Note.objects.get({ pk: created.pk });
    loaded.completed = true;
    const statements = await target.statementsDuring(() => loaded.save());
    expect(statements).toHaveLength(1);
    expect(statements[0]!.sql).not.toContain("text");
    expect(await Note.objects.get({ pk: created.pk })).toMatchObject({ text: "loaded", completed: true });
  });

  test("an assignment is validated at once (issue 20, finding 7): the instance keeps its value, save() sends nothing wrong", async () => {
    const note = await Note.objects.create({ text: "valid" });
    const error = await errorOf(() => {
      (note as unknown as Record<string, unknown>).text = 42;
    });
    expect(error).toBeInstanceOf(orm.ValidationError);
    expect(error.message).toBe("Note.text expects a string, got number 42");
    expect(note.text).toBe("valid");
    await note.save();
    expect((await Note.objects.get({ pk: note.pk })).text).toBe("valid");
  });

  test("update() sets and persists the fields; delete() removes the row; load() re-reads it", async () => {
    const note = await Note.objects.create({ text: "to update" });
    const returned = await note.update({ completed: true, text: "updated" });
    expect(returned).toBe(note);
    expect(note.completed).toBe(true);
    expect(await Note.objects.get({ pk: note.pk })).toMatchObject({ text: "updated", completed: true });

    const other = await Note.objects.get({ pk: note.pk });
    await Note.objects.filter({ pk: note.pk }).update({ text: "changed elsewhere" });
    expect(other.text).toBe("updated");
    expect(await other.load()).toBe(other);
    expect(other.text).toBe("changed elsewhere");

    await note.delete();
    expect(await Note.objects.filter({ pk: note.pk }).exists()).toBe(false);
    expect(await errorOf(() => other.load())).toBeInstanceOf(orm.NoMatch);
    expect(await errorOf(() => note.update({ text: "gone" }))).toBeInstanceOf(orm.NoMatch);
  });

  test("a deleted instance saved again is inserted again", async () => {
    const note = await Note.objects.create({ text: "phoenix" });
    await note.delete();
    await note.save();
    expect(await Note.objects.filter({ text: "phoenix" }).count()).toBe(1);
  });

  test("a subclass's getters and methods are reachable on instances the manager returns", async () => {
    const created = await tasks.create({ title: "Write the tests" });
    expect(created).toBeInstanceOf(Task);
    expect(created.short).toBe("Writ");
    const [fetched] = await tasks.filter({ pk: created.pk });
    expect(fetched).toBeInstanceOf(Task);
    expect(fetched!.short).toBe("Writ");
    expect(fetched!.describe()).toBe("Write the tests (priority 3)");
    await fetched!.bump();
    expect((await tasks.get({ pk: created.pk })).priority).toBe(4);
    expect((await tasks.first())?.short).toBeTypeOf("string");
    for await (const task of tasks.filter({ pk: created.pk })) expect(task.describe()).toContain("priority 4");
    expect(String(fetched)).toBe(`Task(id=${created.pk})`);
  });

  test("a subclass's class fields and constructor run for the rows a query returns, not only for new instances", async () => {
    let constructed = 0;
    const RemarkBase = orm.Model.define("Remark", { text: orm.String({ maxLength: 40 }) }, { database });
    class Remark extends RemarkBase {
      readonly views = new Set<string>();
      constructor(...args: ConstructorParameters<typeof RemarkBase>) {
        super(...args);
        constructed++;
      }
    }
    const remarks = Remark.objects as unknown as orm.Manager<Remark>;
    await database.createAll();
    await remarks.delete();
    await remarks.bulkCreate([{ text: "one" }, { text: "two" }]);
    constructed = 0;
    const rows = await remarks.orderBy("text").all();
    expect(rows.map((row) => row.text)).toEqual(["one", "two"]);
    expect(rows.every((row) => row instanceof Remark && row.views instanceof Set)).toBe(true);
    expect(constructed).toBe(2);
    await remarks.delete();
  });

  test("defaults: values, and functions called once per instance", async () => {
    const a = await Task.objects.create({ title: "a" });
    const b = await Task.objects.create({ title: "b", priority: 1 });
    expect(a.priority).toBe(3);
    expect(b.priority).toBe(1);
    expect(a.tags).toEqual([]);
    expect(a.tags).not.toBe(b.tags);
    (a.tags as string[]).push("mutated");
    await a.save();
    expect((await Task.objects.get({ pk: a.pk })).tags).toEqual(["mutated"]);
    expect((await Task.objects.get({ pk: b.pk })).tags).toEqual([]);
  });

  test("autoNowAdd is set on insert only; autoNow on every save and update", async () => {
    const before = Date.now();
    const task = await Task.objects.create({ title: "timed" });
    expect(task.created.getTime()).toBeGreaterThanOrEqual(before);
    expect(task.modified.getTime()).toBeGreaterThanOrEqual(before);
    const created = task.created.getTime();
    await new Promise((resolve) => setTimeout(resolve, 15));
    task.title = "timed again";
    await task.save();
    const stored = await Task.objects.get({ pk: task.pk });
    expect(stored.created.getTime()).toBe(created);
    expect(stored.modified.getTime()).toBeGreaterThan(created);
    await new Promise((resolve) => setTimeout(resolve, 15));
    await stored.update({ priority: 9 });
    const again = await Task.objects.get({ pk: task.pk });
    expect(again.modified.getTime()).toBeGreaterThan(stored.created.getTime() + 15);
    expect(again.created.getTime()).toBe(created);
  });
});

describe("model classes", () => {
  const database = new orm.Database("sqlite::memory:");

  test("Model.fields in declaration order, pkname, tablename, an automatic id", () => {
    const BlogPost = orm.Model.define("BlogPost", { title: orm.String(), body: orm.Text() }, { database });
    expect(Object.keys(BlogPost.fields)).toEqual(["id", "title", "body"]);
    expect(BlogPost.fields.id.primaryKey).toBe(true);
    expect(BlogPost.pkname).toBe("id");
    expect(BlogPost.tablename).toBe("blog_post");
    expect(BlogPost.database).toBe(database);
  });

  test("a declared primary key replaces the automatic id; tablename may be given", () => {
    const Country = orm.Model.define("Country", { code: orm.String({ maxLength: 2, primaryKey: true }), name: orm.String() }, { database, tablename: "countries" });
    expect(Object.keys(Country.fields)).toEqual(["code", "name"]);
    expect(Country.pkname).toBe("code");
    expect(Country.tablename).toBe("countries");
  });

  test.each([
    ["Note", "note"],
    ["HTTPRequest", "http_request"],
    ["InvoiceLine", "invoice_line"],
    ["MediaType2", "media_type2"],
  ])("%s's table defaults to %s", (name, tablename) => {
    expect(orm.Model.define(name, { x: orm.Integer() }, { database }).tablename).toBe(tablename);
  });

  test("a second model with the same name on one database, a reserved field name, or a reused field are refused", () => {
    orm.Model.define("Twice", { x: orm.Integer() }, { database });
    expect(() => orm.Model.define("Twice", { x: orm.Integer() }, { database })).toThrow(/already defined/);
    expect(() => orm.Model.define("Reserved", { save: orm.Integer() }, { database })).toThrow(/save/);
    const shared = orm.Integer();
    orm.Model.define("Owner1", { shared }, { database });
    expect(() => orm.Model.define("Owner2", { shared }, { database })).toThrow(/Owner1\.shared/);
  });
});
