import { AsyncLocalStorage } from "node:async_hooks";
import sql from "sql-template-tag";
import type { Database, QueryEvent } from "../database.js";
import type { CompiledQuery, QueryOptions, QueryResult, Row } from "../drivers/driver.js";
import { ConnectionError, SerializationError } from "../errors.js";
import { ScopeSlot } from "../scope.js";

/** Where reads may go besides the primary, and when they must not. */
export interface ReplicaOptions {
  /** A replica further behind its primary than this (as the server reports it, checked in the background) gets no reads. */
  readonly maxLagMs?: number;
  /**
   * After a write in a scope (`database.scope()`, a request), that scope reads from the primary for this long;
   * by default for the rest of the scope.
   */
  readonly stickyMs?: number;
  /** How often each replica's health and lag are checked, in the background (default 1,000 ms). */
  readonly checkIntervalMs?: number;
}

/** What the replica set needs from the primary it serves. */
export interface PrimaryHost {
  readonly database: Database;
  run(query: CompiledQuery, options: QueryOptions | undefined): Promise<QueryResult>;
  /** A statement on a replica, past the checks its own runCompiled would make again (a transaction, routing). */
  runOnReplica(replica: Database, query: CompiledQuery, options: QueryOptions | undefined): Promise<QueryResult>;
  stream(query: CompiledQuery, batchSize: number, options: QueryOptions | undefined): AsyncGenerator<Row | unknown[]>;
}

/** One replica as the router sees it. */
interface Replica {
  readonly database: Database;
  /** Taken out until then (performance.now() time) after a failure; 0 while healthy. */
  downUntil: number;
  failures: number;
  /** As last checked; undefined when it is not replicating (or not yet checked, before the first check). */
  lagMs: number | undefined;
  lastError: unknown;
}

/** The per-scope record of the last write (performance.now() time), kept on the outermost scope: a request. */
const lastWrite = new ScopeSlot<{ at: number | undefined }>("replicas", () => ({ at: undefined }));

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 5_000;
/** A replica's check where the dialect has no lag to ask about: it opens the replica and reads. */
const OPEN_CHECK = sql`SELECT 1`;
/** The shortest check interval: each check is a statement on every replica. */
const MIN_CHECK_INTERVAL_MS = 100;

/**
 * Refuses replica options that would quietly turn a guarantee off: `stickyMs: NaN` (an unset environment variable
 * through Number()) would end read-your-writes at once, a negative `maxLagMs` would take every replica out.
 */
export function checkReplicaOptions(options: ReplicaOptions & { replicas?: unknown }): void {
  const { replicas } = options;
  if (replicas !== undefined && (!Array.isArray(replicas) || replicas.some((url) => typeof url !== "string"))) {
    throw new TypeError(`replicas must be an array of database URLs, got ${Array.isArray(replicas) ? "an array holding something else" : typeof replicas}`);
  }
  const milliseconds = (name: "maxLagMs" | "stickyMs" | "checkIntervalMs", least: number) => {
    const value = options[name];
    if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value >= least)) {
      throw new TypeError(`${name} must be a number of milliseconds of at least ${least}, got ${typeof value === "number" ? String(value) : typeof value}`);
    }
  };
  milliseconds("maxLagMs", 0);
  milliseconds("stickyMs", 0);
  milliseconds("checkIntervalMs", MIN_CHECK_INTERVAL_MS);
}

/**
 * The replicas of one primary: which one a read goes to, which are healthy and near enough, and when a scope must
 * read its own writes from the primary. Reads that fail on a replica for want of a connection are taken by the
 * primary, so a replica going down never fails a read.
 */
export class ReplicaSet {
  readonly #host: PrimaryHost;
  readonly #replicas: Replica[];
  readonly #options: ReplicaOptions;
  readonly #onPrimary = new AsyncLocalStorage<true>();
  /** Whether onPrimary() was ever called: until then no read looks it up. */
  #onPrimaryUsed = false;
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  constructor(host: PrimaryHost, replicas: readonly Database[], options: ReplicaOptions) {
    this.#host = host;
    this.#options = options;
    this.#replicas = replicas.map((database) => ({ database, downUntil: 0, failures: 0, lagMs: options.maxLagMs === undefined ? 0 : undefined, lastError: undefined }));
    this.#reportStatements();
  }

  /**
   * The replicas' statements reach the primary's "query" listeners, marked with the replica. A replica listens only
   * while the primary has listeners: without any, its statements keep their fast path.
   */
  #reportStatements(): void {
    const primary = this.#host.database;
    const forwarders = this.#replicas.map(({ database }) => {
      const replica = String(database.url);
      return { database, forward: (event: QueryEvent) => primary.emit("query", { ...event, replica }) };
    });
    const sync = (wanted: boolean) => {
      for (const { database, forward } of forwarders) {
        const has = database.listeners("query").includes(forward);
        if (wanted && !has) database.on("query", forward);
        else if (!wanted && has) database.off("query", forward);
      }
    };
    const emitter = primary as unknown as NodeJS.EventEmitter;
    // "newListener" fires before a listener is added, "removeListener" after one is removed.
    sync(primary.listenerCount("query") > 0);
    emitter.on("newListener", (event: string) => event === "query" && sync(true));
    emitter.on("removeListener", (event: string) => event === "query" && sync(primary.listenerCount("query") > 0));
  }

  /** Runs `fn` with every read it makes, at any async depth, on the primary. */
  onPrimary<T>(fn: () => T): T {
    this.#onPrimaryUsed = true;
    return this.#onPrimary.run(true, fn);
  }

  /** Records a write in the current scope: its reads go to the primary from now on (for `stickyMs`). */
  wrote(): void {
    const scope = this.#host.database.currentScope;
    if (scope) scope.root.get(lastWrite).at = performance.now();
  }

  /**
   * Where a statement outside a transaction runs: the replica a read goes to now, or undefined for the primary.
   * A read is a SELECT quarry wrote or a raw statement said to be `readOnly`; anything else is a write, recorded.
   */
  route(options: QueryOptions | undefined): Database | undefined {
    if (!options?.readOnly && options?.about?.operation !== "SELECT") {
      this.wrote();
      return undefined;
    }
    if (options.primary || (this.#onPrimaryUsed && this.#onPrimary.getStore())) return undefined;
    const scope = this.#host.database.currentScope?.root;
    if (scope?.has(lastWrite)) {
      const at = scope.get(lastWrite).at;
      const sticky = this.#options.stickyMs;
      if (at !== undefined && (sticky === undefined || performance.now() - at < sticky)) return undefined;
    }
    this.#startChecks();
    const count = this.#replicas.length;
    for (let tried = 0; tried < count; tried++) {
      const replica = this.#replicas[this.#next++ % count]!;
      if (this.#eligible(replica)) return replica.database;
    }
    return undefined;
  }

  #eligible(replica: Replica): boolean {
    if (replica.downUntil !== 0 && replica.downUntil > performance.now()) return false;
    const max = this.#options.maxLagMs;
    return max === undefined || (replica.lagMs !== undefined && replica.lagMs <= max);
  }

  /** One read on `replica`; on the primary instead when the replica cannot answer. */
  read(replica: Database, query: CompiledQuery, options: QueryOptions | undefined): Promise<QueryResult> {
    return this.#host.runOnReplica(replica, query, options).catch((error: unknown) => {
      if (!this.#failedOver(replica, error)) throw error;
      return this.#host.run(query, options);
    });
  }

  /** Rows streamed from `replica`; from the primary when the replica fails before its first row. */
  async *stream(replica: Database, query: CompiledQuery, batchSize: number, options: QueryOptions | undefined): AsyncGenerator<Row | unknown[]> {
    let started = false;
    try {
      for await (const row of replica.streamCompiled(query, batchSize, options)) {
        started = true;
        yield row;
      }
      return;
    } catch (error) {
      if (started || !this.#failedOver(replica, error)) throw error;
    }
    yield* this.#host.stream(query, batchSize, options);
  }

  /**
   * Whether a replica's failure is the replica's, not the statement's: a lost or refused connection (the replica is
   * taken out, with backoff), or a standby cancelling the read for a conflict with what it replays (PostgreSQL).
   */
  #failedOver(replica: Database, error: unknown): boolean {
    if (error instanceof ConnectionError) {
      this.#down(this.#replicas.find((known) => known.database === replica)!, error);
      return true;
    }
    return error instanceof SerializationError;
  }

  #down(replica: Replica, error: unknown): void {
    replica.lastError = error;
    // A read and the background check failing together are one failure: the backoff grows once.
    if (replica.downUntil > performance.now()) return;
    replica.failures++;
    replica.downUntil = performance.now() + Math.min(BACKOFF_FIRST_MS * 2 ** (replica.failures - 1), BACKOFF_MAX_MS);
  }

  /** Health and lag of each replica, as last seen: for tests, dashboards and the README's promises. */
  status(): Array<{ url: string; healthy: boolean; lagMs: number | undefined; failures: number }> {
    return this.#replicas.map((replica) => ({ url: String(replica.database.url), healthy: this.#eligible(replica), lagMs: replica.lagMs, failures: replica.failures }));
  }

  /** Checks every replica once now (the background check does this every `checkIntervalMs`). */
  check(): Promise<void> {
    this.#checking ??= Promise.all(this.#replicas.map((replica) => this.#checkOne(replica))).then(
      () => (this.#checking = undefined),
      () => (this.#checking = undefined),
    );
    return this.#checking;
  }

  async #checkOne(replica: Replica): Promise<void> {
    // A replica taken out stays out until its backoff ends; then this check (or a read) tries it again.
    if (replica.downUntil > performance.now()) return;
    const lag = replica.database.dialect.replicaLag;
    try {
      if (lag) {
        const { rows } = await replica.database.run(lag.statement);
        replica.lagMs = lag.lagMs(rows as Row[]);
      } else {
        // No lag to ask about (SQLite): the check still opens the replica, or a missing one would pass it.
        await replica.database.run(OPEN_CHECK);
        replica.lagMs = 0;
      }
      replica.failures = 0;
      replica.downUntil = 0;
    } catch (error) {
      this.#down(replica, error);
    }
  }

  #startChecks(): void {
    if (this.#timer) return;
    void this.check();
    this.#timer = setInterval(() => void this.check(), this.#options.checkIntervalMs ?? 1000);
    // The checks alone never keep a program alive.
    this.#timer.unref();
  }

  /** Reopens the replicas after a disconnect(); one that cannot connect now is tried again by later reads. */
  async open(): Promise<void> {
    await Promise.all(this.#replicas.map((replica) => replica.database.connect().catch((error: unknown) => this.#down(replica, error))));
  }

  /** Stops the background checks and closes every replica's pool. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#checking;
    await Promise.all(this.#replicas.map((replica) => replica.database.disconnect()));
  }
}
