import { setImmediate as nextMacrotask } from "node:timers/promises";
import { expect, test } from "vitest";
import * as orm from "../lib/index.js";

declare module "../lib/scope.js" {
  interface ScopeOptions {
    testLabel?: string;
    testLimit?: number;
  }
}

// A scope touches no connection: these run on a database that never connects.
const database = new orm.Database("sqlite::memory:");
const visits = new orm.ScopeSlot("visits", () => ({ count: 0 }));

test("scope() returns fn's value and is current at any async depth inside, and only there", async () => {
  expect(database.currentScope).toBeUndefined();
  const seen: Array<orm.Scope | undefined> = [];
  const value = await database.scope(async (scope) => {
    seen.push(database.currentScope);
    await nextMacrotask();
    await Promise.all([1, 2].map(async () => seen.push(database.currentScope)));
    setTimeout(() => seen.push(database.currentScope), 0);
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(seen).toEqual([scope, scope, scope, scope]);
    return "done";
  });
  expect(value).toBe("done");
  expect(database.currentScope).toBeUndefined();
  expect(database.scope(() => 7)).toBe(7);
});

test("a slot's state is made once per scope, on first use, and scopes running together keep their own", async () => {
  const counts = await Promise.all(
    [3, 5].map((times) =>
      database.scope(async (scope) => {
        expect(scope.has(visits)).toBe(false);
        for (let i = 0; i < times; i++) {
          await nextMacrotask();
          database.currentScope!.get(visits).count++;
        }
        return scope.get(visits).count;
      }),
    ),
  );
  expect(counts).toEqual([3, 5]);
});

test("a scope inside another is its child: the parent's options under its own, state of its own", () => {
  database.scope(
    (outer) => {
      outer.get(visits).count = 10;
      database.scope(
        (inner) => {
          expect(inner.parent).toBe(outer);
          expect(inner.root).toBe(outer);
          expect(inner.options).toEqual({ testLabel: "outer", testLimit: 2 });
          expect(inner.get(visits).count).toBe(0);
          expect(database.currentScope).toBe(inner);
        },
        { testLimit: 2 },
      );
      expect(database.currentScope).toBe(outer);
      expect(outer.options).toEqual({ testLabel: "outer" });
      expect(Object.isFrozen(outer.options)).toBe(true);
    },
    { testLabel: "outer" },
  );
});

test("each database has its own scopes, and a transaction is not one", async () => {
  const other = new orm.Database("sqlite::memory:");
  try {
    await database.scope(async (scope) => {
      expect(other.currentScope).toBeUndefined();
      await other.transaction(async () => {
        expect(database.currentScope).toBe(scope);
        expect(other.currentScope).toBeUndefined();
      });
    });
  } finally {
    await other.disconnect();
  }
});

test("a throwing fn throws out of scope(), and the scope ends with it", async () => {
  const boom = new Error("boom");
  await expect(database.scope(async () => Promise.reject(boom))).rejects.toBe(boom);
  expect(() => database.scope(() => { throw boom; })).toThrow(boom);
  expect(database.currentScope).toBeUndefined();
});
