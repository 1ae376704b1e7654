import { inspect } from "node:util";
import { beforeAll, describe, expect, test } from "vitest";
import * as orm from "../lib/index.js";
import { describeEachDialect } from "./helpers/databases.js";
import { errorOf, onlyFields } from "./helpers/fixtures.js";

// Issue 20: toSQL()/explain() (finding 12), util.inspect of instances, and the newcomer papercuts of finding 8.
describeEachDialect("queries explained, instances shown", ({ database, dialect }) => {
  const Album = orm.Model.define("Album", { name: orm.String() }, { database });
  const Note = orm.Model.define(
    "Note",
    { text: orm.String(), completed: orm.Boolean({ default: false }), album: orm.ForeignKey(Album, { allowNull: true }), data: orm.JSON({ default: () => ({ tags: ["a"] }) }) },
    { database },
  );
  const Forgotten = orm.Model.define("Forgotten", { text: orm.String() }, { database });

  beforeAll(async () => {
    await Album.objects.model.database.createAll();
    await database.execute(orm.sql`DROP TABLE ${orm.raw(database.dialect.quote("forgotten"))}`);
  });

  test("toSQL() gives the SELECT's text for this database and its values", () => {
    const { sql, values } = Note.objects.filter({ text__startswith: "Call", completed: false }).orderBy("-id").limit(5).toSQL();
    const quote = dialect === "mysql" ? "`" : '"';
    expect(sql).toMatch(new RegExp(`^SELECT .* FROM ${quote}note${quote} WHERE .* ORDER BY .* DESC LIMIT 5$`));
    expect(sql).toContain(dialect === "postgresql" ? "$1" : "?");
    expect(values).toContain(dialect === "sqlite" || dialect === "mysql" ? 0 : false);
    expect(Note.objects.values("id", "text").toSQL().values).toEqual([]);
  });

  test("explain() gives the database's plan as text", async () => {
    const plan = await Note.objects.filter({ text: "x" }).explain();
    expect(plan).toBeTypeOf("string");
    expect(plan).toMatch(dialect === "postgresql" ? /Scan on note/ : dialect === "mysql" ? /"table_name": "note"/ : /SCAN note/);
  });

  test("util.inspect shows the loaded fields; String() stays short; a stub stays sparse", async () => {
    const album = await Album.objects.create({ name: "Fantasies" });
    const note = await Note.objects.create({ text: "Call Mum.", completed: true, album });
    expect(inspect(note)).toBe(`Note(id=${note.pk}, text='Call Mum.', completed=true, album=Album(id=${album.pk}), data={ tags: [ 'a' ] })`);
    expect(String(note)).toBe(`Note(id=${note.pk})`);
    const read = await Note.objects.get({ pk: note.pk });
    expect(inspect(read.album)).toBe(`Album(id=${album.pk}) [sparse]`);
    expect(String(read.album)).toBe(`Album(id=${album.pk}) [sparse]`);
    expect(inspect(read)).toBe(`Note(id=${note.pk}, text='Call Mum.', completed=true, album=Album(id=${album.pk}), data={ tags: [ 'a' ] })`);
    const partial = await onlyFields(Note.objects, "text").get({ pk: note.pk });
    expect(inspect(partial)).toBe(`Note(id=${note.pk}, text='Call Mum.')`);
    expect(inspect(new Note({ text: "new" }))).toBe("Note(text='new', completed=false, album=null, data={ tags: [ 'a' ] })");
  });

  test("JSON.stringify of a QuerySet that was not awaited says to await it", async () => {
    expect(() => JSON.stringify(Note.objects.filter({ completed: true }))).toThrow(/await it first/);
    const pending = Note.objects.all();
    const error = await errorOf(() => JSON.stringify({ notes: pending }));
    expect(await pending).toBeInstanceOf(Array);
    expect(error.message).toBe("A QuerySet of Note is a query, not its rows: await it first (res.json(await Note.objects.all()))");
  });

  test("a table that was never created: the error says how to create it", async () => {
    const error = await errorOf(() => Forgotten.objects.all());
    expect(error).toBeInstanceOf(orm.DatabaseError);
    expect(error.message).toMatch(/await database\.createAll\(\)/);
  });
});

describe("database URL parameters are checked", () => {
  test("an unknown parameter is refused, naming the one meant; a bad value is refused, naming what it takes", async () => {
    const unknown = await errorOf(() => new orm.Database("postgresql://app:secret@db/x?poolmax=5"));
    expect(unknown).toBeInstanceOf(orm.ConnectionError);
    expect(unknown.message).toMatch(/no parameter "poolmax"; did you mean "pool_max"\?/);
    const value = await errorOf(() => new orm.Database("mysql://root@db/x?pool_max=abc"));
    expect(value.message).toBe('The database URL\'s pool_max must be a whole number of 1 or more, got "abc"');
    expect((await errorOf(() => new orm.Database("sqlite:///x.db?busy_timeout=-1"))).message).toMatch(/busy_timeout must be a whole number/);
    expect(new orm.Database("postgresql://db/x?pool_max=5&schema=app&sslmode=require").url.params).toEqual({ pool_max: "5", schema: "app", sslmode: "require" });
  });
});
