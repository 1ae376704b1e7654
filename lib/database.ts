import { AsyncLocalStorage } from "node:async_hooks";
import { EventEmitter } from "node:events";
import { inspect } from "node:util";
import type { Sql } from "sql-template-tag";
import { dialects, type Dialect, type IsolationLevel } from "./dialects/index.js";
import type { CompiledQuery, Connection, Driver, PoolOptions, QueryOptions, QueryResult, Row } from "./drivers/driver.js";
import { ConnectionError, TransactionError } from "./errors.js";
import type { ModelMeta } from "./model/meta.js";
import { createTableStatements, dropTableStatement, sortByDependency } from "./query/ddl.js";
import { DatabaseURL } from "./url.js";

export interface DatabaseOptions {
  pool?: PoolOptions;
  ssl?: unknown;
  /** Print every statement (true), or hand each to a function. */
  log?: boolean | ((event: QueryEvent) => void);
}

/** What the "query" event reports for every statement sent. */
export interface QueryEvent {
  sql: string;
  values: readonly unknown[];
  durationMs: number;
  error?: Error;
}

export interface TransactionOptions {
  isolation?: IsolationLevel;
}

/** The connection a transaction holds, found through AsyncLocalStorage by every query issued inside it. */
interface TransactionScope {
  readonly connection: Connection;
  readonly depth: number;
  savepoints: number;
  finished: boolean;
}

export interface DatabaseEvents {
  query: [QueryEvent];
}

/**
 * A database: its URL, its dialect, a lazily opened driver (a pool, or SQLite's one connection), and
 * the models defined on it. Every statement quarry sends goes through `run`.
 */
export class Database extends EventEmitter<DatabaseEvents> {
  readonly url: DatabaseURL;
  readonly dialect: Dialect;
  readonly #options: DatabaseOptions;
  readonly #models = new Map<string, ModelMeta>();
  readonly #transactions = new AsyncLocalStorage<TransactionScope>();
  #driver: Driver | undefined;
  #opening: Promise<Driver> | undefined;
  #closed = false;

  constructor(url: string, options: DatabaseOptions = {}) {
    super();
    this.url = new DatabaseURL(url);
    this.dialect = dialects[this.url.dialect];
    this.#options = options;
    if (options.log) this.on("query", typeof options.log === "function" ? options.log : (event) => console.log(`[quarry] ${event.sql}`, event.values));
  }

  /** Opens the pool (or file) now; otherwise the first query does. Fails with ConnectionError naming host and port. */
  async connect(): Promise<void> {
    this.#closed = false;
    await this.#open();
  }

  /** Closes every connection; idempotent. Later queries fail until connect() is called again. */
  async disconnect(): Promise<void> {
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = undefined;
    this.#driver = undefined;
    if (opening) await (await opening.catch(() => undefined))?.close();
  }

  get isConnected(): boolean {
    return this.#driver !== undefined;
  }

  /** The transaction the calling code runs in, if any: batched loads are grouped per transaction. */
  get currentTransaction(): object | undefined {
    return this.#transactions.getStore();
  }

  #open(): Promise<Driver> {
    if (this.#closed) return Promise.reject(new ConnectionError(`The database ${this.url} is disconnected; call connect() to reopen it.`));
    this.#opening ??= (async () => {
      const driver = await this.dialect.createDriver(this.url, { pool: this.#options.pool, ssl: this.#options.ssl });
      try {
        await driver.connect();
      } catch (error) {
        this.#opening = undefined;
        await driver.close().catch(() => {});
        throw error;
      }
      this.#driver = driver;
      return driver;
    })();
    return this.#opening;
  }

  /** Pool counts: connections open, idle, and callers waiting. */
  poolStats(): { total: number; idle: number; waiting: number } {
    return this.#driver?.stats() ?? { total: 0, idle: 0, waiting: 0 };
  }

  /** Sends one statement: on the transaction's connection inside `transaction()`, else on a pooled one. */
  async run(statement: Sql, options?: QueryOptions): Promise<QueryResult> {
    const query: CompiledQuery = { text: this.dialect.text(statement), values: statement.values };
    const scope = this.#transactions.getStore();
    if (scope) {
      if (scope.finished) throw finishedTransaction(query);
      return this.#send(scope.connection, query, options);
    }
    const driver = this.#driver ?? (await this.#open());
    const connection = await driver.acquire();
    let failure: unknown;
    try {
      return await this.#send(connection, query, options);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      driver.release(connection, failure);
    }
  }

  async #send(connection: Connection, query: CompiledQuery, options?: QueryOptions): Promise<QueryResult> {
    if (this.listenerCount("query") === 0) return connection.query(query, options);
    const started = performance.now();
    try {
      const result = await connection.query(query, options);
      this.emit("query", { sql: query.text, values: query.values, durationMs: performance.now() - started });
      return result;
    } catch (error) {
      this.emit("query", { sql: query.text, values: query.values, durationMs: performance.now() - started, error: error as Error });
      throw error;
    }
  }

  /** Rows one at a time; the connection is held until the loop ends, breaks or throws. */
  async *stream(statement: Sql, batchSize: number, options?: QueryOptions): AsyncGenerator<Row | unknown[]> {
    const query: CompiledQuery = { text: this.dialect.text(statement), values: statement.values };
    const scope = this.#transactions.getStore();
    if (scope) {
      if (scope.finished) throw finishedTransaction(query);
      this.emit("query", { sql: query.text, values: query.values, durationMs: 0 });
      yield* scope.connection.stream(query, batchSize, options);
      return;
    }
    const driver = this.#driver ?? (await this.#open());
    const connection = await driver.acquire();
    let failure: unknown;
    try {
      this.emit("query", { sql: query.text, values: query.values, durationMs: 0 });
      yield* connection.stream(query, batchSize, options);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      driver.release(connection, failure);
    }
  }

  /** Raw rows of a `sql` tagged statement, as objects keyed by column name. */
  async query<R extends Row = Row>(statement: Sql): Promise<R[]> {
    return (await this.run(statement)).rows as R[];
  }

  /** Runs a statement that returns no rows. */
  async execute(statement: Sql): Promise<{ rowsAffected: number; insertId: number | bigint | undefined }> {
    const { rowsAffected, insertId } = await this.run(statement);
    return { rowsAffected, insertId };
  }

  /**
   * Runs `fn` in a transaction: COMMIT when it returns, ROLLBACK when it throws (the error rethrown as it
   * was). Every query inside, at any async depth, uses the transaction's connection. Nested calls are SAVEPOINTs.
   */
  async transaction<T>(fn: () => Promise<T> | T, options: TransactionOptions = {}): Promise<T> {
    const outer = this.#transactions.getStore();
    if (outer && !outer.finished) return this.#savepoint(outer, fn);
    const driver = this.#driver ?? (await this.#open());
    const connection = await driver.acquire();
    const scope: TransactionScope = { connection, depth: 0, savepoints: 0, finished: false };
    let failure: unknown;
    try {
      for (const text of this.dialect.begin(options.isolation)) await this.#send(connection, { text, values: [] });
      let result: T;
      try {
        result = await this.#transactions.run(scope, fn);
      } catch (error) {
        scope.finished = true;
        await this.#send(connection, { text: "ROLLBACK", values: [] }).catch((rollbackError) => (failure = rollbackError));
        throw error;
      }
      scope.finished = true;
      await this.#send(connection, { text: "COMMIT", values: [] });
      return result;
    } catch (error) {
      failure ??= error;
      throw error;
    } finally {
      scope.finished = true;
      driver.release(connection, failure);
    }
  }

  async #savepoint<T>(outer: TransactionScope, fn: () => Promise<T> | T): Promise<T> {
    const name = this.dialect.quote(`quarry_sp_${outer.depth + 1}_${++outer.savepoints}`);
    const scope: TransactionScope = { connection: outer.connection, depth: outer.depth + 1, savepoints: 0, finished: false };
    await this.#send(outer.connection, { text: `SAVEPOINT ${name}`, values: [] });
    try {
      const result = await this.#transactions.run(scope, fn);
      scope.finished = true;
      await this.#send(outer.connection, { text: `RELEASE SAVEPOINT ${name}`, values: [] });
      return result;
    } catch (error) {
      scope.finished = true;
      await this.#send(outer.connection, { text: `ROLLBACK TO SAVEPOINT ${name}`, values: [] });
      throw error;
    }
  }

  /** Called by Model.define. */
  register(meta: ModelMeta): void {
    if (this.#models.has(meta.name)) {
      throw new TypeError(`A model named "${meta.name}" is already defined on this database`);
    }
    this.#models.set(meta.name, meta);
  }

  /** The models defined on this database, in definition order. */
  get models(): ModelMeta[] {
    return [...this.#models.values()];
  }

  /** CREATE TABLE IF NOT EXISTS for every model of this database, referenced tables first, with indexes. */
  async createAll(): Promise<void> {
    for (const meta of sortByDependency(this.models)) {
      for (const statement of createTableStatements(meta, this.dialect)) await this.run(statement);
    }
  }

  /** DROP TABLE IF EXISTS for every model, referencing tables first. */
  async dropAll(): Promise<void> {
    for (const meta of sortByDependency(this.models).reverse()) await this.run(dropTableStatement(meta, this.dialect));
  }

  [inspect.custom](): string {
    return `Database(${this.url})`;
  }

  toJSON(): string {
    return `Database(${this.url})`;
  }
}

function finishedTransaction(query: CompiledQuery): TransactionError {
  return new TransactionError(
    `A query was issued after its transaction had ended (${query.text.slice(0, 80)}): await every query inside the transaction callback.`,
    false,
  );
}
