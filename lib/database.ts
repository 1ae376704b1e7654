import { AsyncLocalStorage } from "node:async_hooks";
import { EventEmitter } from "node:events";
import { inspectCustom, type TypedEmitter } from "./node-types.js";
import type { Sql } from "sql-template-tag";
import { dialects, type Dialect } from "./dialects/index.js";
import type { CompiledQuery, Connection, Driver, PoolOptions, QueryOptions, QueryResult, Row, StatementAbout } from "./drivers/driver.js";
import { ConnectionError, QueryCancelledError, TransactionError, ValidationError } from "./errors.js";
import { statementOptions, timeLimit, withCallBounds, type StatementOptions } from "./statement-bounds.js";
import { SAVEPOINT, SEND, SEND_NOW, STREAM, Transaction, type TransactionHost, type TransactionOptions } from "./transaction.js";
import type { ModelMeta } from "./model/meta.js";
import { createTableStatements, dropTableStatement, sortByDependency } from "./query/ddl.js";
import { DatabaseURL } from "./url.js";
import { Scope, type ScopeOptions } from "./scope.js";
import { captureStack, userCallSite } from "./observability/call-site.js";
import { NPlusOneDetector, type Logger, type NPlusOneOptions } from "./observability/n-plus-one.js";
import { instrument, type TelemetryOptions } from "./observability/telemetry.js";
import { checkReplicaOptions, ReplicaSet, type ReplicaOptions } from "./routing/replica-set.js";
import { FailoverDriver } from "./routing/failover.js";
import { checkRouter, type Router } from "./model/placement.js";

export interface DatabaseOptions extends ReplicaOptions {
  pool?: PoolOptions;
  ssl?: unknown;
  /**
   * Every statement is cancelled on the server once it has run this long, and fails with StatementTimeoutError
   * (also `?statement_timeout_ms=`; default: no limit). A call's own `timeoutMs` overrides it.
   */
  statementTimeoutMs?: number;
  /** Opening one connection fails with ConnectionError after this long (also `?connect_timeout_ms=`; default 10 s). */
  connectTimeoutMs?: number;
  /** Idle time before TCP keepalive probes start on a connection (also `?keepalive_ms=`; default 30 s). */
  keepAliveMs?: number;
  /**
   * PostgreSQL behind a transaction pooler (PgBouncer's pool_mode=transaction): `false` sends no named prepared
   * statements and no session settings (also `?pgbouncer=true`). See README, "Replicas, routers and clusters".
   */
  prepare?: boolean;
  /** Print every statement (true), or hand each to a function. */
  log?: boolean | ((event: QueryEvent) => void);
  /** Where quarry's warnings go (slow statements, N+1 reports); default: console. */
  logger?: Logger;
  /**
   * Statements that take at least this long are reported: the "query" event marks them `slow` with their
   * call site, and `logger.warn` prints the statement's text and call site (never its values).
   */
  slowQueryMs?: number;
  /** N+1 detection (see README "Observability"); each scope may override it: `database.scope(fn, { nPlusOne })`. */
  nPlusOne?: NPlusOneOptions;
  /**
   * OpenTelemetry spans and the `db.client.operation.duration` histogram, on by default when `@opentelemetry/api`
   * is installed; `false` turns them off, `{ queryValues: true }` records bound values too.
   */
  telemetry?: boolean | TelemetryOptions;
  /**
   * URLs of read replicas of this database (same dialect, same pool and ssl options): reads outside a
   * transaction go to a healthy one, everything else to this database (see README, "Replicas, routers and clusters").
   */
  replicas?: readonly string[];
  /**
   * Where the statements of the models defined on this database run when no `using(database)` says: `read(model,
   * hints)` and `write(model, hints)` return a Database, or undefined/null for no opinion (the instance's own database
   * in a statement about one, else this one). See README, "Several databases".
   */
  router?: Router;
}

/** A raw `query`: its bounds, and whether it may run on a replica. */
export interface RawQueryOptions extends StatementOptions {
  /** The statement only reads: where replicas are configured, it may run on one (quarry never guesses this from the text). */
  readOnly?: boolean;
}

/** What the "query" event reports for every statement sent. */
export interface QueryEvent {
  sql: string;
  values: readonly unknown[];
  durationMs: number;
  error?: Error;
  /** What the statement is, when quarry wrote it: its model, table and operation (absent for raw SQL). */
  about?: StatementAbout;
  /** Set when `slowQueryMs` is and the statement took at least that long. */
  slow?: boolean;
  /** For a slow statement: the first frame outside quarry that led to it. */
  callSite?: string;
  /** The replica that ran it (its URL, password hidden); absent when this database itself ran it. */
  replica?: string;
}

export type { StatementOptions } from "./statement-bounds.js";
export type { TransactionOptions } from "./transaction.js";

/** What the "transaction" event reports when a transaction (or a savepoint in one) begins and ends. */
export interface TransactionEvent {
  phase: "begin" | "commit" | "rollback";
  transaction: Transaction;
  /** Why it rolled back, when a statement or the COMMIT failed. */
  error?: Error;
}

export interface DatabaseEvents {
  query: [QueryEvent];
  transaction: [TransactionEvent];
}

/** Where a statement runs outside any transaction: a connection held from the pool for this one use. */
interface Lease {
  driver: Driver;
  connection: Connection;
  released?: boolean;
}

/**
 * A database: its URL, its dialect, a lazily opened driver (a pool, or SQLite's one connection), and
 * the models defined on it. Every statement quarry sends goes through `run` (or `stream`).
 */
/** Node's EventEmitter, typed by DatabaseEvents in terms that need no @types/node. */
const DatabaseEmitter = EventEmitter as unknown as new () => TypedEmitter<DatabaseEvents>;

export class Database extends DatabaseEmitter {
  readonly url: DatabaseURL;
  readonly dialect: Dialect;
  readonly #options: DatabaseOptions;
  /** The URL as given, password included: only ever handed to detached(). */
  readonly #source: string;
  readonly #models = new Map<string, ModelMeta>();
  readonly #transactions = new AsyncLocalStorage<Transaction>();
  readonly #scopes = new AsyncLocalStorage<Scope>();
  /** Spans and metrics are sent (or were turned off): checked again at each connect until then. */
  #traced: boolean;
  /** @internal The relation code reports its lazy loads here. */
  readonly nPlusOne: NPlusOneDetector;
  readonly #host: TransactionHost;
  #driver: Driver | undefined;
  #opening: Promise<Driver> | undefined;
  #closed = false;
  /** disconnect() in progress: resolves once the work in flight has finished and the driver is closed. */
  #closing: Promise<void> | undefined;
  /** Connections held or asked for (statements, streams, transactions): disconnect() waits for 0. */
  #inFlight = 0;
  #drained: Array<() => void> = [];
  /** The connections held right now, which a disconnect() past its timeout takes back. */
  readonly #leases = new Set<Lease>();
  /** statementTimeoutMs, undefined for none. */
  readonly #timeoutMs: number | undefined;
  readonly #replicas: ReplicaSet | undefined;
  /** Where the statements of this database's models run, when no using() says (DatabaseOptions.router). */
  readonly router: Router | undefined;

  constructor(url: string, options: DatabaseOptions = {}) {
    super();
    this.router = checkRouter(options.router);
    this.url = new DatabaseURL(url);
    this.#source = url;
    this.dialect = dialects[this.url.dialect];
    this.#options = options;
    this.#timeoutMs = timeLimit(options.statementTimeoutMs ?? (this.url.params.statement_timeout_ms === undefined ? undefined : Number(this.url.params.statement_timeout_ms)));
    if (options.log) this.on("query", typeof options.log === "function" ? options.log : (event) => console.log(`[quarry] ${event.sql}`, event.values));
    const logger = options.logger ?? console;
    this.nPlusOne = new NPlusOneDetector(options.nPlusOne, logger, () => this.#scopes.getStore());
    if (options.slowQueryMs !== undefined) {
      if (!(options.slowQueryMs >= 0)) throw new TypeError(`slowQueryMs must be a number of milliseconds >= 0, got ${String(options.slowQueryMs)}`);
      this.on("query", (event) => {
        if (event.slow) logger.warn(`[quarry] slow statement (${event.durationMs.toFixed(1)} ms)${event.callSite ? ` at ${event.callSite}` : ""}: ${event.sql}`);
      });
    }
    this.#traced = options.telemetry === false;
    this.#host = {
      database: this,
      dialect: this.dialect,
      storage: this.#transactions,
      send: (connection, query, queryOptions) => this.#send(connection, query, queryOptions),
      sendNow: (connection, query, queryOptions) => (this.listenerCount("query") === 0 ? connection.queryNow?.(query, this.#bounded(queryOptions)) : undefined),
      stream: (connection, query, batchSize, queryOptions) => this.#stream(connection, query, batchSize, queryOptions),
    };
    checkReplicaOptions(options);
    if (options.replicas?.length) {
      const { pool, ssl, statementTimeoutMs, connectTimeoutMs, keepAliveMs, telemetry, prepare } = options;
      const replicas = options.replicas.map((replica) => new Database(replica, { pool, ssl, statementTimeoutMs, connectTimeoutMs, keepAliveMs, telemetry, prepare }));
      for (const replica of replicas) {
        if (replica.dialect !== this.dialect) throw new ConnectionError(`The replica ${replica.url} is not a ${this.dialect.name} database, as ${this.url} is.`);
      }
      this.#replicas = new ReplicaSet(
        {
          database: this,
          run: (query, queryOptions) => this.#runOnPrimary(query, queryOptions),
          runOnReplica: (replica, query, queryOptions) => replica.#runOnPrimary(query, queryOptions),
          stream: (query, batchSize, queryOptions) => this.#streamOnPrimary(query, batchSize, queryOptions),
        },
        replicas,
        options,
      );
    }
  }

  /** Checks every replica's health and lag now, as the background check does every `checkIntervalMs`. */
  async checkReplicas(): Promise<void> {
    await this.#replicas?.check();
  }

  /** The replicas' health and lag as last checked (empty without replicas). */
  replicaStatus(): ReturnType<ReplicaSet["status"]> {
    return this.#replicas?.status() ?? [];
  }

  /**
   * Runs `fn` with every read it makes, at any async depth, on this database rather than a replica; the same as
   * `fn()` without replicas.
   */
  onPrimary<T>(fn: () => T): T {
    return this.#replicas ? this.#replicas.onPrimary(fn) : fn();
  }

  /** Opens the pool (or file) now; otherwise the first query does. Fails with ConnectionError naming host and port. */
  async connect(): Promise<void> {
    await this.#closing;
    this.#closed = false;
    await this.#replicas?.open();
    await this.#open();
  }

  /**
   * Lets the statements, streams and transactions in flight finish (a transaction may still run its
   * remaining statements), refusing new work meanwhile, then closes every connection. Idempotent; later
   * queries fail with ConnectionError until connect() is called again. After `timeoutMs` (default: no
   * limit) it closes the connections anyway: what is still running fails, open transactions roll back.
   */
  async disconnect(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      if (this.#inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => this.#drained.push(resolve)),
          ...(options.timeoutMs !== undefined ? [new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeoutMs)))] : []),
        ]);
        clearTimeout(timer);
        // Past the timeout: the statements still running are cancelled on the server, and every connection held is
        // closed under its holder, whose call fails with ConnectionError.
        if (this.#inFlight > 0) this.#driver?.terminate?.();
        const closed = new ConnectionError(`The connection was closed by disconnect() after ${options.timeoutMs} ms`);
        for (const lease of [...this.#leases]) this.#release(lease, closed);
      }
      await this.#replicas?.close();
      const opening = this.#opening;
      this.#opening = undefined;
      this.#driver = undefined;
      if (opening) await (await opening.catch(() => undefined))?.close();
    })();
    try {
      await this.#closing;
    } finally {
      this.#closing = undefined;
    }
  }

  get isConnected(): boolean {
    return this.#driver !== undefined && !this.#closed;
  }

  /**
   * The transaction the calling code runs in (inside `database.transaction()` or `tx.run()`), if any.
   * Batched relation loads are grouped per transaction with it.
   */
  get currentTransaction(): Transaction | undefined {
    return this.#transactions.getStore();
  }

  /**
   * Runs `fn` in a new scope (a request, a job) and returns what it returns: everything `fn` starts, at any
   * async depth, finds the scope as `currentScope`. Inside another scope of this database it opens a child
   * scope (see `Scope`). A scope is not a transaction; run one inside the other when both are wanted.
   */
  scope<T>(fn: (scope: Scope) => T, options?: ScopeOptions): T {
    const scope = new Scope(options, this.#scopes.getStore());
    this.nPlusOne.scopeStarted(scope);
    let result: T;
    try {
      result = this.#scopes.run(scope, fn, scope);
    } catch (error) {
      this.nPlusOne.scopeEnded(scope);
      throw error;
    }
    if (!(result instanceof Promise)) {
      this.nPlusOne.scopeEnded(scope);
      return result;
    }
    return result.then(
      (value) => {
        this.nPlusOne.scopeEnded(scope);
        return value;
      },
      (error) => {
        this.nPlusOne.scopeEnded(scope);
        throw error;
      },
    ) as T;
  }

  /** The innermost scope of this database the calling code runs in (inside `scope()`), if any. */
  get currentScope(): Scope | undefined {
    return this.#scopes.getStore();
  }

  #open(): Promise<Driver> {
    this.#refuseIfClosed();
    this.#opening ??= (async () => {
      const { pool, ssl, connectTimeoutMs, keepAliveMs, prepare } = this.#options;
      const driverOptions = { pool, ssl, connectTimeoutMs, keepAliveMs, prepare };
      // One host with target_session_attrs is checked too: a URL that asks for a standby must not write to a primary.
      const checksRole = this.url.hosts.length > 1 || (this.url.params.target_session_attrs ?? "any") !== "any";
      const driver = checksRole ? new FailoverDriver(this.url, this.dialect, driverOptions) : await this.dialect.createDriver(this.url, driverOptions);
      try {
        await driver.connect();
      } catch (error) {
        this.#opening = undefined;
        await driver.close().catch(() => {});
        throw error;
      }
      this.#driver = driver;
      // Only once an OpenTelemetry SDK is registered: with the bare API installed, statements keep their direct path.
      if (!this.#traced) this.#traced = instrument(this, typeof this.#options.telemetry === "object" ? this.#options.telemetry : {});
      return driver;
    })();
    return this.#opening;
  }

  #refuseIfClosed(): void {
    if (!this.#closed) return;
    const state = this.#closing ? "is disconnecting (disconnect() was called: the work in flight finishes, new queries are refused)" : "is disconnected";
    throw new ConnectionError(`The database ${this.url} ${state}; call connect() to reopen it.`);
  }

  /** Pool counts: connections open, idle, and callers waiting for one. */
  poolStats(): { total: number; idle: number; waiting: number } {
    return this.#driver?.stats() ?? { total: 0, idle: 0, waiting: 0 };
  }

  /** A connection of its own for one statement or stream (or an outermost transaction); counted until released. */
  async #lease(): Promise<Lease> {
    this.#refuseIfClosed();
    this.#inFlight++;
    try {
      const driver = this.#driver ?? (await this.#open());
      const lease: Lease = { driver, connection: await driver.acquire() };
      this.#leases.add(lease);
      return lease;
    } catch (error) {
      this.#leaseEnded();
      throw error;
    }
  }

  #release(lease: Lease, failure: unknown): void {
    if (lease.released) return;
    lease.released = true;
    this.#leases.delete(lease);
    try {
      lease.driver.release(lease.connection, failure);
    } finally {
      this.#leaseEnded();
    }
  }

  readonly #leaseEnded = (): void => {
    if (--this.#inFlight === 0 && this.#drained.length > 0) for (const resolve of this.#drained.splice(0)) resolve();
  };

  /** Sends one statement: on the transaction's connection inside `transaction()` or `tx.run()`, else on a pooled one. */
  run(statement: Sql, options?: QueryOptions): Promise<QueryResult> {
    try {
      return this.runCompiled(this.compile(statement), options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The statement's text with this database's placeholders, and its values. An undefined value is refused here:
   * the drivers disagree on it (pg sends NULL, better-sqlite3 refuses it, mysql2 throws from inside its pool).
   */
  compile(statement: Sql): CompiledQuery {
    const unbound = statement.values.indexOf(undefined);
    if (unbound >= 0) {
      const text = statement.sql.length > 200 ? `${statement.sql.slice(0, 200)}...` : statement.sql;
      throw new ValidationError(`Value ${unbound + 1} of the statement is undefined (pass null for SQL NULL): ${JSON.stringify(text)}`);
    }
    return { text: this.dialect.text(statement), values: statement.values };
  }

  /** `run` for a statement already compiled (the statement cache keeps the text of repeated query shapes). */
  runCompiled(query: CompiledQuery, options?: QueryOptions): Promise<QueryResult> {
    options = withCallBounds(options);
    if (query.values.length > this.dialect.maxParameters && !query.eachRow) return Promise.reject(this.#tooManyParameters(query));
    const transaction = this.#transactions.getStore();
    if (transaction) return transaction[SEND](query, options);
    const replica = this.#replicas?.route(options);
    if (replica) return this.#replicas!.read(replica, query, options);
    return this.#runOnPrimary(query, options);
  }

  /**
   * runCompiled() answered at once, without a promise, where the statement runs in-process and its connection is
   * free this instant (SQLite, inside the calling code's transaction or outside any); else undefined, and the caller
   * awaits runCompiled(). For writes of many statements: while any async hook is enabled (an AsyncLocalStorage is
   * one), every promise calls into it.
   */
  runCompiledNow(query: CompiledQuery, options?: QueryOptions): QueryResult | undefined {
    // A server's statements are never answered at once: its transaction's checks are left to runCompiled(), once.
    if (!this.#driver?.runNow) return undefined;
    options = withCallBounds(options);
    if (query.values.length > this.dialect.maxParameters && !query.eachRow) throw this.#tooManyParameters(query);
    const transaction = this.#transactions.getStore();
    if (transaction) return transaction[SEND_NOW](query, options);
    return this.#replicas ? undefined : this.#runOnPrimaryNow(query, this.#bounded(options));
  }

  #runOnPrimary(query: CompiledQuery, options?: QueryOptions): Promise<QueryResult> {
    options = this.#bounded(options);
    try {
      const result = this.#runOnPrimaryNow(query, options);
      if (result) return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
    const driver = this.#driver;
    if (driver?.run && !this.#closed && this.listenerCount("query") === 0) {
      // A server pool's statement in one promise (Driver.run). Its connection is held for that statement only,
      // so it is counted in flight but not leased: a disconnect() past its timeout closes the pool under it.
      this.#inFlight++;
      return driver.run(query, options, this.#leaseEnded);
    }
    return this.#runLeased(query, options);
  }

  /** The primary's answer at once (Driver.runNow), unless a listener must hear of the statement. */
  #runOnPrimaryNow(query: CompiledQuery, options?: QueryOptions): QueryResult | undefined {
    const driver = this.#driver;
    if (!driver?.runNow || this.#closed || this.listenerCount("query") > 0) return undefined;
    return driver.runNow(query, options);
  }

  async #runLeased(query: CompiledQuery, options?: QueryOptions): Promise<QueryResult> {
    const lease = await this.#lease();
    let failure: unknown;
    try {
      return await this.#send(lease.connection, query, options);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      this.#release(lease, failure);
    }
  }

  /** The options with this database's statementTimeoutMs where they set no limit of their own. */
  #bounded(options: QueryOptions | undefined): QueryOptions | undefined {
    if (this.#timeoutMs === undefined || options?.timeoutMs !== undefined) return options;
    return { ...options, timeoutMs: this.#timeoutMs };
  }

  #send(connection: Connection, query: CompiledQuery, options?: QueryOptions): Promise<QueryResult> {
    options = this.#bounded(options);
    if (this.listenerCount("query") === 0) return connection.query(query, options);
    return this.#sendAndReport(connection, query, options);
  }

  async #sendAndReport(connection: Connection, query: CompiledQuery, options?: QueryOptions): Promise<QueryResult> {
    const slowMs = this.#options.slowQueryMs;
    const stack = slowMs === undefined ? undefined : captureStack();
    const started = performance.now();
    const report = (error?: Error) => {
      const durationMs = performance.now() - started;
      const event: QueryEvent = { sql: query.text, values: query.values, durationMs, about: options?.about };
      if (error) event.error = error;
      if (stack && durationMs >= slowMs!) {
        event.slow = true;
        event.callSite = userCallSite(stack);
      }
      this.emit("query", event);
    };
    try {
      const result = await connection.query(query, options);
      report();
      return result;
    } catch (error) {
      report(error as Error);
      throw error;
    }
  }

  async *#stream(connection: Connection, query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncGenerator<Row | unknown[]> {
    this.emit("query", { sql: query.text, values: query.values, durationMs: 0, about: options?.about });
    yield* connection.stream(query, batchSize, options);
  }

  /** Rows one at a time; the connection is held until the loop ends, breaks or throws. */
  async *stream(statement: Sql, batchSize: number, options?: QueryOptions): AsyncGenerator<Row | unknown[]> {
    yield* this.streamCompiled(this.compile(statement), batchSize, options);
  }

  /**
   * Past the database's bind limit PostgreSQL's protocol breaks (the connection is lost) and SQLite refuses: the
   * statement is refused here instead. An __in list never gets here, whatever its length (Dialect.inList).
   */
  #tooManyParameters(query: CompiledQuery): ValidationError {
    return new ValidationError(
      `The statement binds ${query.values.length} values; ${this.url.dialect} takes at most ${this.dialect.maxParameters} in one statement. Pass long lists through __in (sent as one value), or split the work: ${query.text.slice(0, 120)}...`,
    );
  }

  /** `stream` for a statement already compiled. */
  async *streamCompiled(query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncGenerator<Row | unknown[]> {
    options = withCallBounds(options);
    if (query.values.length > this.dialect.maxParameters) throw this.#tooManyParameters(query);
    const transaction = this.#transactions.getStore();
    if (transaction) {
      yield* transaction[STREAM](query, batchSize, options);
      return;
    }
    const replica = this.#replicas?.route(options);
    if (replica) yield* this.#replicas!.stream(replica, query, batchSize, options);
    else yield* this.#streamOnPrimary(query, batchSize, options);
  }

  async *#streamOnPrimary(query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncGenerator<Row | unknown[]> {
    const lease = await this.#lease();
    let failure: unknown;
    try {
      yield* this.#stream(lease.connection, query, batchSize, options);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      this.#release(lease, failure);
    }
  }

  /** Raw rows of a `sql` tagged statement, as objects keyed by column name. */
  async query<R extends Row = Row>(statement: Sql, options?: RawQueryOptions): Promise<R[]> {
    const bounds = statementOptions(options);
    return (await this.run(statement, options?.readOnly ? { ...bounds, readOnly: true } : bounds)).rows as R[];
  }

  /** Runs a statement that returns no rows. */
  async execute(statement: Sql, options?: StatementOptions): Promise<{ rowsAffected: number; insertId: number | bigint | undefined }> {
    const { rowsAffected, insertId } = await this.run(statement, statementOptions(options));
    return { rowsAffected, insertId };
  }

  /**
   * Runs `fn` in a transaction: COMMIT when it returns, ROLLBACK when it throws (the error rethrown as it
   * was), the callback's value returned. Every query inside, at any async depth, uses the transaction's
   * connection. Inside another transaction it is a SAVEPOINT, which rolls back alone. With `retries`, an
   * outermost transaction that fails with a retryable error (serialization failure, deadlock, lock
   * timeout) runs `fn` again, after a short random pause.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T> | T, options: TransactionOptions = {}): Promise<T> {
    const retries = options.retries ?? 0;
    for (let attempt = 0; ; attempt++) {
      const tx = await this.begin(options);
      try {
        let result: T;
        try {
          // Awaited inside: a QuerySet returned unawaited runs when awaited, and must run in the transaction.
          result = await tx.run(async () => await fn(tx));
        } catch (error) {
          await tx.rollback();
          throw error;
        }
        await tx.commit();
        return result;
      } catch (error) {
        if (tx.parent || attempt >= retries || !(error instanceof TransactionError && error.retryable)) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** Math.min(attempt, 6)));
    }
  }

  /**
   * Begins a transaction and hands it over, for code that cannot put its work in one callback (a
   * request that spans middleware, say). Nothing routes to it by itself: run work in it with
   * `tx.run(fn)` (every query `fn` makes, at any depth) or `tx.query()` / `tx.execute()`, then
   * `tx.commit()` or `tx.rollback()`. Called inside another transaction, it begins a SAVEPOINT there.
   */
  async begin(options: TransactionOptions = {}): Promise<Transaction> {
    const outer = this.#transactions.getStore();
    if (outer) return outer[SAVEPOINT](options);
    if (options.signal?.aborted) throw new QueryCancelledError("The transaction was not begun: its AbortSignal had already fired", { cause: options.signal.reason });
    this.#replicas?.wrote();
    const lease = await this.#lease();
    const release = (destroy: boolean) => {
      // Marked again at the end: the scope's `stickyMs` runs from the transaction's commit, not its start.
      this.#replicas?.wrote();
      this.#release(lease, destroy ? new ConnectionError("The transaction's connection is in an unknown state") : undefined);
    };
    try {
      // BEGIN waits for SQLite's write lock: the call that begins the transaction bounds that wait.
      const bounds = withCallBounds(options.signal && { signal: options.signal });
      for (const text of this.dialect.begin(options.isolation)) await this.#send(lease.connection, { text, values: [] }, bounds);
    } catch (error) {
      release(true);
      throw error;
    }
    return new Transaction(this.#host, lease.connection, undefined, options.isolation, release, undefined, options.signal);
  }

  /** Called by Model.define. */
  register(meta: ModelMeta): void {
    if (this.#models.has(meta.name)) {
      throw new TypeError(
        `A model named "${meta.name}" is already defined on ${this}: a model's name stands for it in relations ` +
          `(ForeignKey("${meta.name}")), so each is defined once per Database. Redefining it (in a REPL, say)? Make a new orm.Database(url) for the new definitions, or use another name.`,
      );
    }
    const table = meta.tablename.toLowerCase();
    const sharing = this.models.find((known) => known.tablename.toLowerCase() === table);
    if (sharing) {
      throw new TypeError(
        `${meta.name} and ${sharing.name} both use the table "${meta.tablename}" (tablename defaults to the model's name in snake_case); give one of them another { tablename }`,
      );
    }
    this.#models.set(meta.name, meta);
  }

  /** Forgets a model: tools that define models of their own for a while (migrations' historical models) call it after. */
  unregister(meta: ModelMeta): void {
    if (this.#models.get(meta.name) === meta) this.#models.delete(meta.name);
  }

  /**
   * A new Database at the same URL (or at `url`) with the same options (but `options`) and no models, for tools whose
   * statements and models are their own (migrations): its connections and transactions are separate.
   */
  detached(url: string = this.#source, options: DatabaseOptions = {}): Database {
    return new Database(url, { ...this.#options, ...options });
  }

  /** The models defined on this database, in definition order. */
  get models(): ModelMeta[] {
    return [...this.#models.values()];
  }

  /**
   * CREATE TABLE IF NOT EXISTS for every model of this database, referenced tables first, with indexes; with
   * `modelsOf`, for the models defined on that database instead, in this one's dialect (a database their rows are
   * copied or routed to).
   */
  async createAll(modelsOf: Database = this): Promise<void> {
    for (const meta of sortByDependency(modelsOf.models)) {
      for (const statement of createTableStatements(meta, this.dialect)) await this.run(statement);
    }
  }

  /** DROP TABLE IF EXISTS for every model (of `modelsOf`, as createAll takes it), referencing tables first. */
  async dropAll(modelsOf: Database = this): Promise<void> {
    for (const meta of sortByDependency(modelsOf.models).reverse()) await this.run(dropTableStatement(meta, this.dialect));
  }

  [inspectCustom](): string {
    return `Database(${this.url})`;
  }

  toJSON(): string {
    return `Database(${this.url})`;
  }

  /** `Database(postgresql://user:***@host/name)`: the URL without its password, for messages. */
  override toString(): string {
    return `Database(${this.url})`;
  }
}
