// Type-level tests of the reliability options: statement limits, AbortSignal, the cancellation errors.
import { describe, expectTypeOf, test } from "vitest";
import * as orm from "../../lib/index.js";

const database = new orm.Database("sqlite::memory:", { statementTimeoutMs: 5_000, connectTimeoutMs: 3_000, keepAliveMs: 30_000 });
const Note = orm.Model.define("ReliabilityNote", { text: orm.String() }, { database });

describe("statement limits and cancellation", () => {
  test("all(), query(), execute() and transaction() take a signal and a time limit", () => {
    const signal = new AbortController().signal;
    expectTypeOf(Note.objects.all({ signal, timeoutMs: 100 })).resolves.toEqualTypeOf<orm.Infer<typeof Note>[]>();
    expectTypeOf(database.query(orm.sql`SELECT 1`, { signal })).resolves.toBeArray();
    expectTypeOf(database.execute(orm.sql`DELETE FROM x`, { timeoutMs: 0 })).resolves.toHaveProperty("rowsAffected");
    expectTypeOf(database.transaction(async () => 1, { signal: AbortSignal.timeout(1_000) })).resolves.toEqualTypeOf<number>();
    // The signal's type is declared by quarry (its .d.ts needs no @types/node); Node's and the DOM's AbortSignal fit it.
    expectTypeOf<orm.StatementOptions>().toEqualTypeOf<{ signal?: orm.AbortSignalLike; timeoutMs?: number }>();
    expectTypeOf<AbortSignal>().toMatchTypeOf<orm.AbortSignalLike>();
    // @ts-expect-error a signal is an AbortSignal, not a controller
    void Note.objects.all({ signal: new AbortController() });
    // @ts-expect-error a time limit is a number of milliseconds
    void database.query(orm.sql`SELECT 1`, { timeoutMs: "5s" });
    // @ts-expect-error statementTimeoutMs is a number
    void new orm.Database("sqlite::memory:", { statementTimeoutMs: true });
  });

  test("every method that sends statements takes { signal, timeoutMs } the same way", () => {
    const bounds: orm.StatementOptions = { signal: new AbortController().signal, timeoutMs: 100 };
    const Tag = orm.Model.define("ReliabilityTag", { name: orm.String(), notes: orm.ManyToMany(Note) }, { database });
    type Row = orm.Infer<typeof Note>;
    const qs = Note.objects.filter({ text: "x" });
    expectTypeOf(qs.count(bounds)).resolves.toEqualTypeOf<number>();
    expectTypeOf(qs.exists(bounds)).resolves.toEqualTypeOf<boolean>();
    expectTypeOf(qs.first(bounds)).resolves.toEqualTypeOf<Row | null>();
    expectTypeOf(qs.last(bounds)).resolves.toEqualTypeOf<Row | null>();
    expectTypeOf(qs.update({ text: "y" }, bounds)).resolves.toEqualTypeOf<number>();
    expectTypeOf(qs.delete(bounds)).resolves.toEqualTypeOf<number>();
    expectTypeOf(qs.aggregate({ n: orm.Count("id") }, bounds)).resolves.toEqualTypeOf<{ n: number }>();
    expectTypeOf(qs.explain(bounds)).resolves.toEqualTypeOf<string>();
    expectTypeOf(Note.objects.create({ text: "x" }, bounds)).resolves.toEqualTypeOf<Row>();
    expectTypeOf(Note.objects.bulkCreate([{ text: "x" }], { onConflict: "ignore", ...bounds })).resolves.toEqualTypeOf<Row[]>();
    expectTypeOf(Note.objects.getOrCreate({ text: "x" }, {}, bounds)).resolves.toEqualTypeOf<[Row, boolean]>();
    expectTypeOf(Note.objects.updateOrCreate({ text: "x" }, {}, bounds)).resolves.toEqualTypeOf<[Row, boolean]>();
    expectTypeOf(Note.objects.inBulk([1], bounds)).resolves.toEqualTypeOf<Map<number, Row>>();
    expectTypeOf(Note.objects.values("text").all(bounds)).resolves.toEqualTypeOf<{ text: string }[]>();
    // get(), whose arguments are conditions, and `await qs`: the QuerySet carries the bounds.
    expectTypeOf(Note.objects.bounded(bounds).get({ pk: 1 })).resolves.toEqualTypeOf<Row>();
    expectTypeOf(Note.objects.bounded(bounds).filter({ text: "x" })).toEqualTypeOf<orm.QuerySet<Row>>();
    const note = new Note({ text: "x" });
    expectTypeOf(note.save(bounds)).resolves.toEqualTypeOf<typeof note>();
    expectTypeOf(note.update({ text: "y" }, bounds)).resolves.toEqualTypeOf<typeof note>();
    expectTypeOf(note.load(bounds)).resolves.toEqualTypeOf<typeof note>();
    expectTypeOf(note.delete(bounds)).resolves.toEqualTypeOf<void>();
    const tag = new Tag({ name: "t" });
    expectTypeOf(tag.notes.add(note, bounds)).resolves.toEqualTypeOf<void>();
    expectTypeOf(tag.notes.remove(note, bounds)).resolves.toEqualTypeOf<void>();
    expectTypeOf(tag.notes.set([note], bounds)).resolves.toEqualTypeOf<void>();
    expectTypeOf(tag.notes.clear(bounds)).resolves.toEqualTypeOf<void>();
    // @ts-expect-error the limit is timeoutMs, in milliseconds
    void qs.count({ timeout: 100 });
    // @ts-expect-error a signal is an AbortSignal, not a controller
    void note.save({ signal: new AbortController() });
    // @ts-expect-error get() takes conditions: its bounds go through bounded()
    void Note.objects.get({ pk: 1 }, { timeoutMs: 100 });
  });

  test("a timeout is a cancellation, both OrmErrors", () => {
    expectTypeOf<orm.StatementTimeoutError>().toMatchTypeOf<orm.QueryCancelledError>();
    expectTypeOf<orm.QueryCancelledError>().toMatchTypeOf<orm.OrmError>();
  });
});
