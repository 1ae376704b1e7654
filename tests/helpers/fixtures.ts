import { readFileSync } from "node:fs";
import { expect } from "vitest";
import * as orm from "../../lib/index.js";
import type { TestDatabase } from "./databases.js";

interface ChinookTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

let chinookData: Record<string, ChinookTable> | undefined;

/** One table of the Chinook sample database (data/chinook.json) as objects keyed by column. */
export function chinook(table: string): Record<string, unknown>[] {
  chinookData ??= JSON.parse(readFileSync(new URL("../../data/chinook.json", import.meta.url), "utf8")) as Record<string, ChinookTable>;
  const { columns, rows } = chinookData[table]!;
  return rows.map((row) => Object.fromEntries(columns.map((column, index) => [column, row[index]])));
}

/** The 275 real artist names: accents, apostrophes, ampersands, slashes. */
export function artistNames(): string[] {
  return chinook("Artist").map((row) => row.Name as string);
}

/** The README's Note model, defined on `database` under `name` (table: the name in snake_case). */
export function defineNote(database: orm.Database, name = "Note") {
  return orm.Model.define(
    name,
    {
      id: orm.Integer({ primaryKey: true }),
      text: orm.String({ maxLength: 100 }),
      completed: orm.Boolean({ default: false }),
    },
    { database },
  );
}

/** Expects `fn` to fail with `errorClass` without sending a single statement; returns the error. */
export async function expectRefusedBeforeSql<E extends Error>(
  target: TestDatabase,
  fn: () => Promise<unknown>,
  errorClass: new (...args: never[]) => E,
): Promise<E> {
  let caught: unknown;
  const statements = await target.statementsDuring(async () => {
    try {
      await fn();
    } catch (error) {
      caught = error;
    }
  });
  expect(caught).toBeInstanceOf(errorClass);
  expect(statements.map((event) => event.sql)).toEqual([]);
  return caught as E;
}

/** The error `fn` rejects (or throws) with; fails the test when it succeeds. */
export async function errorOf(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error, but the call succeeded");
}

/**
 * A model's manager as plain JavaScript (or a JSON request body) reaches it: names and values the compiler
 * cannot vouch for, which the run-time checks must catch.
 */
// biome-ignore lint/suspicious/noExplicitAny: untyped callers are what these tests exercise
export function untyped(model: { readonly objects: object }): any {
  return model.objects;
}

/**
 * QuerySet `only` (SPEC §5) with these field names, called by name: a scan of tests/ for focused tests
 * (vitest's focused-test modifier, spelt the same) must not mistake it for one.
 */
export function onlyFields<T>(queryset: orm.QuerySet<T>, ...names: string[]): orm.QuerySet<T> {
  return queryset["only"](...names);
}
