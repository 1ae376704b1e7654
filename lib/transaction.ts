import { AsyncLocalStorage } from "node:async_hooks";
import type { Sql } from "sql-template-tag";
import type { Database, TransactionEvent } from "./database.js";
import type { Dialect, IsolationLevel } from "./dialects/index.js";
import type { CompiledQuery, Connection, QueryOptions, QueryResult, Row } from "./drivers/driver.js";
import { ConnectionError, TransactionError } from "./errors.js";
import type { AbortSignalLike } from "./node-types.js";

export interface TransactionOptions {
  /** Only on the outermost transaction; SQLite is always serializable and accepts any level. */
  isolation?: IsolationLevel;
  /**
   * `database.transaction()` only: run the callback again, up to this many more times, when the
   * transaction fails with a retryable error (SerializationError, DeadlockError, LockTimeoutError).
   */
  retries?: number;
  /** Outermost transactions only: cancels its running statement when it fires, and the transaction rolls back. */
  signal?: AbortSignalLike;
}

/** What a transaction needs from its database: kept off the public surface. */
export interface TransactionHost {
  readonly database: Database;
  readonly dialect: Dialect;
  /** The database's AsyncLocalStorage of transactions. */
  readonly storage: { run<R>(transaction: Transaction, fn: () => R): R; getStore(): Transaction | undefined };
  send(connection: Connection, query: CompiledQuery, options?: QueryOptions): Promise<QueryResult>;
  /** send() answered at once where it can be (see Connection.queryNow), else undefined. */
  sendNow(connection: Connection, query: CompiledQuery, options?: QueryOptions): QueryResult | undefined;
  stream(connection: Connection, query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncIterable<Row | unknown[]>;
}

/** Gives the connection of an outermost transaction back; `destroy` when its state is unknown. */
export type Release = (destroy: boolean) => void;

/** Database.run and Database.stream reach a transaction's connection through these. */
export const SEND = Symbol("quarry.send");
export const SEND_NOW = Symbol("quarry.sendNow");
export const STREAM = Symbol("quarry.stream");
export const SAVEPOINT = Symbol("quarry.savepoint");

const statement = (text: string): CompiledQuery => ({ text, values: [] });

type State = "active" | "committed" | "rolled back";

/** The innermost transaction the calling code runs in, of whichever database: what a statement routed elsewhere checks. */
const innermost = new AsyncLocalStorage<Transaction>();

/** The transaction of any database that the calling code runs in, innermost first; undefined outside all. */
export function innermostTransaction(): Transaction | undefined {
  return innermost.getStore();
}

/**
 * One transaction, or one SAVEPOINT inside one. `database.transaction(fn)` makes and ends these for
 * you; `database.begin()` hands one over. Queries reach it two ways: `tx.run(fn)` makes it the
 * transaction of everything `fn` does, at any async depth (model managers, instances, relation loads,
 * raw queries), and `tx.query()` / `tx.execute()` run raw SQL on it directly.
 *
 * A statement that fails inside a transaction fails the transaction, on every database (PostgreSQL
 * does this itself; quarry makes MySQL and SQLite agree): later queries in it throw, and commit()
 * rolls back and throws. To carry on after an expected failure, run the statement in a nested
 * `database.transaction()`: its SAVEPOINT rolls back alone.
 */
export class Transaction {
  readonly #host: TransactionHost;
  readonly #connection: Connection;
  readonly #savepoint: string | undefined;
  readonly #release: Release;
  #state: State = "active";
  /** The error that failed this level (a statement's error), or, at the root, the whole transaction. */
  #failure: unknown;
  /** Nested transactions of one level take turns: savepoints on one connection cannot interleave. */
  #childTurn: Promise<void> = Promise.resolve();
  #savepoints = 0;
  /** Streams open on the connection (counted on the outermost transaction). */
  #streams = 0;

  /** @internal Made by `database.begin()` and `database.transaction()`. */
  constructor(
    host: TransactionHost,
    connection: Connection,
    readonly parent: Transaction | undefined,
    readonly isolation: IsolationLevel | undefined,
    release: Release | undefined,
    savepoint?: string,
    /** Cancels the statements of this transaction (and its savepoints). */
    readonly signal?: AbortSignalLike,
  ) {
    this.#host = host;
    this.#connection = connection;
    this.#release = release ?? (() => {});
    this.#savepoint = savepoint;
    this.#announce("begin");
  }

  /** Tells the database's "transaction" listeners (tracing) that this transaction began or ended. */
  #announce(phase: TransactionEvent["phase"], error?: unknown): void {
    const database = this.#host.database;
    if (database.listenerCount("transaction") > 0) database.emit("transaction", { phase, transaction: this, error: error as Error | undefined });
  }

  get database(): Database {
    return this.#host.database;
  }

  /** Neither committed nor rolled back yet (it may have failed: then only rollback() is left). */
  get active(): boolean {
    return this.#state === "active" && (this.parent?.active ?? true);
  }

  /** Nesting depth: 0 for a transaction, 1 for a savepoint in it, and so on. */
  get depth(): number {
    return this.parent ? this.parent.depth + 1 : 0;
  }

  /** The error that failed this transaction (or an enclosing one), if a statement in it failed. */
  get failure(): unknown {
    return this.#failure ?? this.parent?.failure;
  }

  /**
   * Calls `fn` with this transaction as the one every query inside it uses, at any async depth, and
   * returns what `fn` returns. It neither commits nor rolls back: that stays with commit() and rollback().
   */
  run<T>(fn: () => T): T {
    if (!this.active) throw this.#ended("run()");
    return innermost.run(this, () => this.#host.storage.run(this, fn));
  }

  /** Raw rows of a `sql` statement, run in this transaction. */
  async query<R extends Row = Row>(statement: Sql): Promise<R[]> {
    return this.run(() => this.database.query<R>(statement));
  }

  /** A statement that returns no rows, run in this transaction. */
  async execute(statement: Sql): Promise<{ rowsAffected: number; insertId: number | bigint | undefined }> {
    return this.run(() => this.database.execute(statement));
  }

  /**
   * COMMIT (RELEASE SAVEPOINT for a nested one). If a statement in it failed, it rolls back instead and
   * throws, so nothing is ever half committed; a transaction that already ended throws TransactionError.
   */
  async commit(): Promise<void> {
    if (!this.active) throw this.#ended("commit()");
    const failure = this.failure;
    if (failure !== undefined) {
      await this.#rollback();
      throw failedTransaction(failure, "was rolled back, not committed");
    }
    this.#state = "committed";
    if (this.#savepoint) {
      try {
        await this.#host.send(this.#connection, statement(`RELEASE SAVEPOINT ${this.#savepoint}`));
        this.#announce("commit");
      } catch (error) {
        this.#rootFails(error);
        this.#announce("rollback", error);
        throw error;
      } finally {
        this.#finishChild();
      }
      return;
    }
    let destroy = false;
    try {
      const result = await this.#host.send(this.#connection, statement("COMMIT"));
      // PostgreSQL answers COMMIT of a transaction it aborted with ROLLBACK, not with an error.
      if (result.command === "ROLLBACK") throw failedTransaction(undefined, "was rolled back by the database, not committed");
      this.#announce("commit");
    } catch (error) {
      this.#state = "rolled back";
      this.#announce("rollback", error);
      // A COMMIT the server refused (a deferred constraint, a serialization failure) ends the transaction;
      // one that never got an answer leaves the connection in an unknown state, so it is not reused.
      destroy = error instanceof ConnectionError;
      if (!destroy) await this.#host.send(this.#connection, statement("ROLLBACK")).catch(() => (destroy = true));
      throw error;
    } finally {
      this.#release(destroy);
    }
  }

  /**
   * ROLLBACK (ROLLBACK TO SAVEPOINT for a nested one). After the transaction ended it does nothing,
   * so it is safe in a `catch` or `finally` after commit().
   */
  async rollback(): Promise<void> {
    if (!this.active) return;
    await this.#rollback();
  }

  async #rollback(): Promise<void> {
    this.#state = "rolled back";
    this.#announce("rollback", this.failure);
    if (this.#savepoint) {
      try {
        // A savepoint is gone with its transaction when the whole of it failed (a deadlock, a lost connection).
        if (this.parent!.failure === undefined) {
          await this.#host.send(this.#connection, statement(`ROLLBACK TO SAVEPOINT ${this.#savepoint}`));
          await this.#host.send(this.#connection, statement(`RELEASE SAVEPOINT ${this.#savepoint}`));
        }
      } catch (error) {
        this.#rootFails(error);
      } finally {
        this.#finishChild();
      }
      return;
    }
    // A connection known to be dead is not asked to roll back: the server already did, when it lost it.
    let destroy = this.#failure instanceof ConnectionError;
    try {
      if (!destroy) await this.#host.send(this.#connection, statement("ROLLBACK"));
    } catch {
      destroy = true;
    } finally {
      this.#release(destroy);
    }
  }

  /** @internal A statement of this transaction, or of a query issued inside run(). */
  async [SEND](query: CompiledQuery, options?: QueryOptions): Promise<QueryResult> {
    options = this.#statementOptions(query, options);
    try {
      return await this.#host.send(this.#connection, query, options);
    } catch (error) {
      this.#fails(error);
      throw error;
    }
  }

  /** @internal [SEND] answered at once where the connection can (see Connection.queryNow); undefined where it must be awaited. */
  [SEND_NOW](query: CompiledQuery, options?: QueryOptions): QueryResult | undefined {
    options = this.#statementOptions(query, options);
    try {
      return this.#host.sendNow(this.#connection, query, options);
    } catch (error) {
      this.#fails(error);
      throw error;
    }
  }

  /** A statement's options, with the transaction's signal, once the transaction can take it. */
  #statementOptions(query: CompiledQuery, options: QueryOptions | undefined): QueryOptions | undefined {
    this.#usable(query);
    this.#notStreaming(query);
    return this.signal && !options?.signal ? { ...options, signal: this.signal } : options;
  }

  /** @internal */
  async *[STREAM](query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncGenerator<Row | unknown[]> {
    this.#usable(query);
    this.#notStreaming(query);
    const root = this.#root();
    root.#streams++;
    try {
      yield* this.#host.stream(this.#connection, query, batchSize, options);
    } catch (error) {
      this.#fails(error);
      throw error;
    } finally {
      root.#streams--;
    }
  }

  /**
   * A connection runs one statement at a time, and an open stream is one still running: a query made in
   * its loop would wait for the loop to end, forever. It fails at once instead, with the way out.
   */
  #notStreaming(query: CompiledQuery): void {
    if (this.#root().#streams === 0) return;
    throw new TransactionError(
      `A query (${query.text.slice(0, 80)}) was issued while a stream (iterate(), for await) on this transaction's connection is still open, and that connection runs one statement at a time. Inside a transaction, load the rows first (all(), or iterate() in pages with limit/offset), then query.`,
      false,
    );
  }

  /** @internal A SAVEPOINT inside this transaction, once its earlier nested transactions have ended. */
  async [SAVEPOINT](options: TransactionOptions): Promise<Transaction> {
    if (options.isolation && options.isolation !== this.#root().isolation) {
      throw new TransactionError(
        `A nested transaction cannot change the isolation level (asked for ${options.isolation}): set it on the outermost database.transaction().`,
        false,
      );
    }
    this.#usable(undefined);
    let finished!: () => void;
    const turn = this.#childTurn;
    this.#childTurn = new Promise<void>((resolve) => (finished = resolve));
    await turn;
    let child: Transaction | undefined;
    try {
      this.#usable(undefined);
      const name = this.#host.dialect.quote(`quarry_sp_${this.depth + 1}_${++this.#savepoints}`);
      child = new Transaction(this.#host, this.#connection, this, this.isolation, undefined, name, this.signal);
      child.#finishChild = finished;
      await this[SEND](statement(`SAVEPOINT ${name}`));
      return child;
    } catch (error) {
      finished();
      throw error;
    }
  }

  #finishChild: () => void = () => {};

  #root(): Transaction {
    return this.parent ? this.parent.#root() : this;
  }

  /** Throws when this transaction can take no more statements: ended, or failed by an earlier one. */
  #usable(query: CompiledQuery | undefined): void {
    if (!this.active) throw this.#ended(query ? `a query (${query.text.slice(0, 80)})` : "a nested transaction");
    const failure = this.failure;
    if (failure !== undefined) throw failedTransaction(failure, "cannot run more statements; it will roll back");
  }

  /** A failed statement fails its level; a lost connection or a retryable error fails the whole transaction. */
  #fails(error: unknown): void {
    if (error instanceof ConnectionError || (error instanceof TransactionError && error.retryable)) this.#rootFails(error);
    else this.#failure ??= error;
  }

  #rootFails(error: unknown): void {
    const root = this.#root();
    root.#failure ??= error;
  }

  #ended(what: string): TransactionError {
    const how = this.#state === "active" ? "its enclosing transaction ended" : `it was ${this.#state}`;
    return new TransactionError(
      `${what} was issued after its transaction had ended (${how}): await every query inside the transaction, and route queries through tx.run() only while it is open.`,
      false,
    );
  }
}

function failedTransaction(failure: unknown, what: string): Error {
  const reason = failure === undefined ? "" : `: an earlier statement in it failed (${(failure as Error)?.message ?? String(failure)})`;
  const message = `The transaction ${what}${reason}. Wrap a statement that may fail in a nested database.transaction() to recover from it.`;
  if (failure instanceof ConnectionError) return new ConnectionError(message, { cause: failure });
  const retryable = failure instanceof TransactionError && failure.retryable;
  return new TransactionError(message, retryable, { cause: failure });
}
