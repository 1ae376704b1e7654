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

  test("a timeout is a cancellation, both OrmErrors", () => {
    expectTypeOf<orm.StatementTimeoutError>().toMatchTypeOf<orm.QueryCancelledError>();
    expectTypeOf<orm.QueryCancelledError>().toMatchTypeOf<orm.OrmError>();
  });
});
