import { ConnectionError, ValidationError } from "../errors.js";
import type { DatabaseURL } from "../url.js";
import type { AbortSignalLike } from "../node-types.js";
import { excerpt, sendBounded } from "./cancellation.js";

export type Row = Record<string, unknown>;

/** A statement ready for one driver: text with that driver's placeholders, and its values. */
export interface CompiledQuery {
  readonly text: string;
  readonly values: readonly unknown[];
  /**
   * Set where the dialect has no many-row clause (Dialect.manyRows; an embedded database) and the keys of a
   * many-row INSERT cannot be worked out from its last one (Dialect.largestKey): `text` is a one-row INSERT and
   * `values` holds one array of values per row, run one after another, all or none. The result has one row per
   * inserted row, holding its generated key.
   */
  readonly eachRow?: boolean;
  /**
   * Every value came from a codec of the dialect (a bulk INSERT's): the driver binds them as they are, without
   * looking for one it would have to convert (SQLite binds no booleans and no Dates; its codecs give neither).
   */
  readonly encoded?: boolean;
}

/** The kinds of statement quarry writes for a model. */
export type Operation = "SELECT" | "INSERT" | "UPDATE" | "DELETE";

/**
 * What quarry knows of a statement it wrote, beyond its text: the model and table it is about and what it does.
 * Drivers ignore it; the "query" event carries it to tracing, slow-statement reports and routing.
 */
export interface StatementAbout {
  readonly operation: Operation;
  readonly model: string;
  readonly table: string;
  /** Rows written by a many-row INSERT, or keys asked for by one batched relation load. */
  readonly batchSize?: number;
}

export interface QueryOptions {
  /** What the statement is, when quarry wrote it (see StatementAbout). */
  readonly about?: StatementAbout;
  /** Rows as arrays in select-list order (what hydration wants) instead of objects keyed by column. */
  readonly arrayRows?: boolean;
  /** A raw statement that only reads: where replicas are configured it may run on one (see Database.query). */
  readonly readOnly?: boolean;
  /** A read that must run on the primary even where replicas are configured (`qs.using("primary")`). */
  readonly primary?: boolean;
  /** Integers as bigint where the driver would otherwise round them to a double (SQLite). */
  readonly exactIntegers?: boolean;
  /** Cancel the statement on the server once it has run this long (StatementTimeoutError); Infinity for no limit. */
  readonly timeoutMs?: number;
  /** Cancel the statement on the server when this fires (QueryCancelledError). */
  readonly signal?: AbortSignalLike;
}

export interface QueryResult<R = Row | unknown[]> {
  readonly rows: R[];
  readonly rowsAffected: number;
  /** The id the database generated for the last inserted row, where the driver reports one. */
  readonly insertId?: number | bigint;
  /** The command tag the server answered with, where the driver reports it (PostgreSQL: "COMMIT", "ROLLBACK"). */
  readonly command?: string;
}

/** One open connection. Everything a transaction does runs on one of these. */
export interface Connection {
  query(query: CompiledQuery, options?: QueryOptions): Promise<QueryResult>;
  /**
   * query() answered at once, where statements run in-process (SQLite); undefined where this one must wait (another
   * connection holds the lock it needs), for query() to wait for it. A write of many statements then makes no
   * promise per statement: while any async hook is enabled (an AsyncLocalStorage is one), each promise calls into it.
   */
  queryNow?(query: CompiledQuery, options?: QueryOptions): QueryResult | undefined;
  /** Rows one batch at a time, from a server-side cursor or streaming read; ends early on `return()`. */
  stream(query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncIterable<Row | unknown[]>;
}

export interface PoolOptions {
  readonly min?: number;
  readonly max?: number;
  /** How long `acquire()` waits for a free connection before it fails with ConnectionError. */
  readonly acquireTimeoutMs?: number;
}

export interface DriverOptions {
  readonly pool?: PoolOptions;
  readonly ssl?: unknown;
  /** How long opening one connection may take before it fails with ConnectionError (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Idle time before TCP keepalive probes start on a server connection (default 30 s). */
  readonly keepAliveMs?: number;
  /**
   * false: no named prepared statements and no session settings, for a transaction pooler in front of the server
   * (PgBouncer's pool_mode=transaction before 1.21); the same as `?pgbouncer=true`.
   */
  readonly prepare?: boolean;
}

/** Owns the connections to one database: a pool, or SQLite's single connection behind a mutex. */
export interface Driver {
  /** Opens at least one connection, so a bad URL or a dead server fails here. */
  connect(): Promise<void>;
  acquire(): Promise<Connection>;
  /**
   * One statement answered at once, where statements run in-process (SQLite) and the connection is free this
   * instant; undefined where it is held (then `acquire()` waits for it). Nothing awaits in between, so nothing
   * needs to be leased: callers skip a promise per layer and the pool's bookkeeping.
   */
  runNow?(query: CompiledQuery, options?: QueryOptions): QueryResult | undefined;
  /**
   * One statement on a pooled connection, acquired and given back around it, with one promise in all where
   * acquire(), query() and release() take three; `settled` runs once the connection is back.
   */
  run?(query: CompiledQuery, options: QueryOptions | undefined, settled: () => void): Promise<QueryResult>;
  /** Gives a connection back; a connection that failed with a connection-level error is destroyed instead. */
  release(connection: Connection, failure?: unknown): void;
  close(): Promise<void>;
  /** Cancels every running statement on the server and closes its connection at once (disconnect() past its time). */
  terminate?(): void;
  /** Connections open and idle, for tests and diagnostics. */
  stats(): { total: number; idle: number; waiting: number };
}

export type Callback<T> = (error: Error | null, value?: T) => void;

/** The value a callback-style operation hands over, as a promise. */
export function promised<T>(start: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value!))));
}

/** A server's connection: it sends with a callback, so that a statement can cost its caller one promise in all. */
export abstract class CallbackConnection implements Connection {
  /** Why this connection must not be handed out again (lost, a protocol error, a cancel request that may land late). */
  broken: Error | undefined;

  abstract send(query: CompiledQuery, options: QueryOptions | undefined, callback: Callback<QueryResult>): void;
  abstract stream(query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncIterable<Row | unknown[]>;
  /** Asks the server, over a connection of its own, to stop the statement running on this one. */
  abstract cancelRunning(): Promise<void>;
  /** Closes the socket now: the statement in flight fails at once, on the client, whatever the server does. */
  abstract destroySocket(): void;

  /** `send`, cancelled on the server when `options.timeoutMs` passes or `options.signal` fires. */
  dispatch(query: CompiledQuery, options: QueryOptions | undefined, callback: Callback<QueryResult>): void {
    if ((options?.timeoutMs === undefined || options.timeoutMs === Infinity) && options?.signal === undefined) return this.send(query, options, callback);
    sendBounded(this, query, options, callback);
  }

  query(query: CompiledQuery, options?: QueryOptions): Promise<QueryResult> {
    return promised((callback) => this.dispatch(query, options, callback));
  }
}

/**
 * A server driver's pool, which hands out its connections by callback: acquire() and connect() are its promise
 * forms, and run() acquires, sends and releases with one promise in all.
 */
export abstract class CallbackPool<C extends CallbackConnection> implements Pick<Driver, "connect" | "acquire" | "run" | "release" | "terminate"> {
  /** The connections handed out and not yet given back. */
  protected readonly checkedOut = new Set<C>();

  abstract acquireWith(callback: Callback<C>): void;
  abstract release(connection: Connection, failure?: unknown): void;

  async connect(): Promise<void> {
    this.release(await this.acquire());
  }

  acquire(): Promise<Connection> {
    return promised((callback) => this.acquireWith(callback));
  }

  run(query: CompiledQuery, options: QueryOptions | undefined, settled: () => void): Promise<QueryResult> {
    return promised((callback) =>
      this.acquireWith((error, connection) => {
        if (error) {
          settled();
          return callback(error);
        }
        connection!.dispatch(query, options, (failure, result) => {
          this.release(connection!, failure);
          settled();
          callback(failure, result);
        });
      }),
    );
  }

  terminate(): void {
    const reason = new ConnectionError("The connection was closed by disconnect() when its time ran out");
    for (const connection of this.checkedOut) {
      connection.broken ??= reason;
      connection.cancelRunning().catch(() => {});
      connection.destroySocket();
    }
  }
}

export type DriverFactory = (url: DatabaseURL, options: DriverOptions) => Promise<Driver>;

/** `pool.acquireTimeoutMs`, else the URL's `pool_acquire_timeout_ms`, else 30 s. */
export function acquireTimeoutMs(options: DriverOptions, url: DatabaseURL): number {
  return options.pool?.acquireTimeoutMs ?? Number(url.params.pool_acquire_timeout_ms ?? 30_000);
}

/** `connectTimeoutMs`, else the URL's `connect_timeout_ms`, else 10 s. */
export function connectTimeoutMs(options: DriverOptions, url: DatabaseURL): number {
  return options.connectTimeoutMs ?? Number(url.params.connect_timeout_ms ?? 10_000);
}

/** `keepAliveMs`, else the URL's `keepalive_ms`, else 30 s. */
export function keepAliveMs(options: DriverOptions, url: DatabaseURL): number {
  return options.keepAliveMs ?? Number(url.params.keepalive_ms ?? 30_000);
}

/**
 * Object rows are keyed by column name, and a column named __proto__ would set the row's prototype or vanish
 * (each driver did one or the other): such a result is refused, naming the way out.
 */
export function refuseProtoColumn(names: readonly string[], query: CompiledQuery): void {
  if (!names.includes("__proto__")) return;
  throw new ValidationError(`A column of this statement's result is named "__proto__", which a row object cannot hold: give it another alias (${excerpt(query.text)})`);
}

/** Loads an optional peer dependency, naming the package to install when it is missing. */
export async function loadDriverPackage<T>(name: string, scheme: string): Promise<T> {
  try {
    const module = (await import(name)) as { default?: T } & T;
    return module.default ?? module;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new ConnectionError(`${scheme}:// URLs need the "${name}" package: npm install ${name}`, { cause: error });
    }
    throw error;
  }
}
