import { AsyncLocalStorage } from "node:async_hooks";
import type { QueryOptions } from "./drivers/driver.js";
import { ValidationError } from "./errors.js";
import type { AbortSignalLike } from "./node-types.js";

/**
 * Bounds on one call's statements: `database.query(sql, { signal })`, `qs.count({ timeoutMs })`,
 * `note.save({ signal })`. A call that sends several statements bounds each of them.
 */
export interface StatementOptions {
  /** Cancels the statement on the server when it fires: the call rejects with QueryCancelledError. */
  signal?: AbortSignalLike;
  /** This call's time limit, in place of `statementTimeoutMs` (0: none). StatementTimeoutError past it. */
  timeoutMs?: number;
}

/** StatementOptions checked and as the drivers take them. */
export type StatementBounds = Pick<QueryOptions, "signal" | "timeoutMs">;

/** A time limit as the drivers take it: undefined for none (0, Infinity). */
export function timeLimit(ms: number | undefined): number | undefined {
  if (ms === undefined) return undefined;
  if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) throw new ValidationError(`A time limit must be a number of milliseconds, 0 for none; got ${String(ms)}`);
  return ms === 0 || ms === Infinity ? undefined : ms;
}

/** A call's StatementOptions as the drivers take them; `timeoutMs: 0` lifts the database's limit for this call. */
export function statementOptions(options: StatementOptions | undefined): StatementBounds | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) throw new ValidationError(`Statement options are an object such as { signal, timeoutMs }; got ${String(options)}`);
  const timeoutMs = options.timeoutMs === undefined ? undefined : (timeLimit(options.timeoutMs) ?? Infinity);
  return { signal: options.signal, timeoutMs };
}

/** `inner`'s bounds, with `outer`'s where it sets none. */
export function mergeBounds(outer: StatementBounds | undefined, inner: StatementBounds | undefined): StatementBounds | undefined {
  if (!outer || !inner) return inner ?? outer;
  return { signal: inner.signal ?? outer.signal, timeoutMs: inner.timeoutMs ?? outer.timeoutMs };
}

/** The bounds of the calls in progress whose statements are sent by code below them (save(), getOrCreate(), bulkCreate()). */
const callBounds = new AsyncLocalStorage<StatementBounds>();
/** Such calls in progress, anywhere: while there are none, a statement need not look for bounds. */
let boundedCalls = 0;

/** Runs `work` with every statement it sends bounded by `options` (those of a call around it where these set none). */
export function withStatementBounds<R>(options: StatementBounds | undefined, work: () => Promise<R>): Promise<R> {
  if (options === undefined || (options.signal === undefined && options.timeoutMs === undefined)) return work();
  const bounds = mergeBounds(boundedCalls > 0 ? callBounds.getStore() : undefined, options)!;
  boundedCalls++;
  let pending: Promise<R>;
  try {
    pending = callBounds.run(bounds, work);
  } catch (error) {
    boundedCalls--;
    return Promise.reject(error);
  }
  return pending.finally(() => boundedCalls--);
}

/** withStatementBounds for a call's own options, unchecked yet: a bad one rejects the call. */
export function withStatementOptions<R>(options: StatementOptions | undefined, work: () => Promise<R>): Promise<R> {
  if (options === undefined) return work();
  let bounds: StatementBounds | undefined;
  try {
    bounds = statementOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  return withStatementBounds(bounds, work);
}

/** A statement's options with the bounds of the call that sends it, where the statement sets none of its own. */
export function withCallBounds<O extends QueryOptions>(options: O | undefined): O | QueryOptions | undefined {
  if (boundedCalls === 0) return options;
  const bounds = callBounds.getStore();
  if (!bounds) return options;
  if (!options) return bounds;
  if (options.signal !== undefined && options.timeoutMs !== undefined) return options;
  return { ...options, signal: options.signal ?? bounds.signal, timeoutMs: options.timeoutMs ?? bounds.timeoutMs };
}
