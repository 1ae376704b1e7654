import * as orm from "../../lib/index.js";
import type { DialectName } from "../../lib/index.js";

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A meeting point for `parties` concurrent tasks: each `await barrier()` resolves once all have arrived. */
export function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let gate = deferred();
  return () => {
    const current = gate;
    if (++arrived === parties) {
      arrived = 0;
      gate = deferred();
      current.resolve();
    }
    return current.promise;
  };
}

/** The error `fn` rejects with (fails the test if it resolves). */
export async function rejectionOf(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, but it resolved");
}

/** Resolves with "pending" if `promise` has not settled after `ms`, else with its outcome. */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<"fulfilled" | "rejected" | "pending"> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    promise.then(
      () => "fulfilled" as const,
      () => "rejected" as const,
    ),
    new Promise<"pending">((resolve) => (timer = setTimeout(() => resolve("pending"), ms))),
  ]);
  clearTimeout(timer);
  return result;
}

/** The server's id for the connection this query runs on (inside a transaction: the transaction's). */
export async function connectionId(database: orm.Database): Promise<number> {
  const statement =
    database.url.dialect === "postgresql" ? orm.sql`SELECT pg_backend_pid() AS id` : orm.sql`SELECT CONNECTION_ID() AS id`;
  const [row] = await database.query<{ id: number | string }>(statement);
  return Number(row!.id);
}

/** Ends another session's connection from the server side, as an administrator or a failover would. */
export async function killConnection(admin: orm.Database, dialect: DialectName, id: number): Promise<void> {
  if (dialect === "postgresql") await admin.query(orm.sql`SELECT pg_terminate_backend(${id})`);
  else await admin.execute(orm.raw(`KILL CONNECTION ${Number(id)}`));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `condition()` holds, polling; fails after `ms`. */
export async function until(condition: () => boolean, ms = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
