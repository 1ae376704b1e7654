import type BetterSqlite3 from "better-sqlite3";
import { ConnectionError, DatabaseError, IntegrityError, LockTimeoutError, missingTableHint, QueryCancelledError, type IntegrityDetails, type IntegrityKind } from "../errors.js";
import { excerpt } from "./cancellation.js";
import type { DatabaseURL } from "../url.js";
import {
  acquireTimeoutMs,
  loadDriverPackage,
  refuseProtoColumn,
  type CompiledQuery,
  type Connection,
  type Driver,
  type DriverOptions,
  type QueryOptions,
  type QueryResult,
  type Row,
} from "./driver.js";

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/** Unicode-aware lower(): SQLite's own folds ASCII only, and the i-lookups must agree with the other databases. */
export const SQLITE_LOWER_FUNCTION = "quarry_lower";
/** SQLite's UPPER() changes ASCII letters only; this one, registered on each connection, all of Unicode's. */
export const SQLITE_UPPER_FUNCTION = "quarry_upper";

/**
 * better-sqlite3 is synchronous and has one connection: a queue hands it to one holder at a time,
 * so a transaction that awaits between statements never has a stranger's query run inside it.
 */
export async function createSqliteDriver(url: DatabaseURL, options: DriverOptions): Promise<Driver> {
  const BetterSqlite = await loadDriverPackage<typeof BetterSqlite3>("better-sqlite3", "sqlite");
  return new SqliteDriver(BetterSqlite, url, acquireTimeoutMs(options, url));
}

class SqliteDriver implements Driver {
  #db: Database | undefined;
  #connection: SqliteConnection | undefined;
  #held = false;
  #waiters: Array<() => void> = [];

  constructor(
    private readonly BetterSqlite: typeof BetterSqlite3,
    private readonly url: DatabaseURL,
    private readonly acquireTimeoutMs: number,
  ) {}

  async connect(): Promise<void> {
    this.#open();
  }

  #open(): SqliteConnection {
    if (this.#connection) return this.#connection;
    let db: Database | undefined;
    try {
      // The first statements read the file: here a file that is not a database, or one held locked, fails. Opening
      // waits for a lock in SQLite's own busy handler (once); every statement after it waits without blocking.
      db = new this.BetterSqlite(this.url.filename, { timeout: this.#busyTimeoutMs() });
      if (this.url.filename !== ":memory:") db.pragma("journal_mode = WAL");
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 0");
    } catch (error) {
      db?.close();
      const translated = translateSqliteError(error);
      if (translated instanceof LockTimeoutError) throw translated;
      throw new ConnectionError(`Cannot open SQLite database ${JSON.stringify(this.url.filename)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    db.function(SQLITE_LOWER_FUNCTION, { deterministic: true }, (value: unknown) =>
      typeof value === "string" ? value.toLowerCase() : value,
    );
    db.function(SQLITE_UPPER_FUNCTION, { deterministic: true }, (value: unknown) =>
      typeof value === "string" ? value.toUpperCase() : value,
    );
    this.#db = db;
    this.#connection = new SqliteConnection(db, this.#busyTimeoutMs());
    return this.#connection;
  }

  /** busy_timeout: how long a statement waits for another connection's lock before LockTimeoutError. */
  #busyTimeoutMs(): number {
    return Number(this.url.params.busy_timeout ?? 5000);
  }

  runNow(query: CompiledQuery, options?: QueryOptions): QueryResult | undefined {
    const connection = this.#connection;
    if (this.#held || !connection) return undefined;
    try {
      return connection.queryNow(query, options);
    } finally {
      this.#leaveNoTransactionOpen();
    }
  }

  async acquire(): Promise<Connection> {
    const connection = this.#open();
    if (!this.#held) {
      this.#held = true;
      return connection;
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(grant), 1);
        reject(
          new ConnectionError(
            `Timed out after ${this.acquireTimeoutMs} ms waiting for the SQLite connection to ${JSON.stringify(this.url.filename)}: SQLite has one, and a transaction or a stream holds it. A query made while your own database.begin() transaction is open waits for it to end unless it runs inside tx.run().`,
          ),
        );
      }, this.acquireTimeoutMs);
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(grant);
    });
    return connection;
  }

  release(): void {
    this.#leaveNoTransactionOpen();
    const next = this.#waiters.shift();
    if (next) next();
    else this.#held = false;
  }

  /** The connection is never handed over inside a transaction (a COMMIT that failed with SQLITE_BUSY leaves one open). */
  #leaveNoTransactionOpen(): void {
    if (this.#db?.inTransaction) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // Nothing left to roll back.
      }
    }
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
    this.#connection = undefined;
  }

  stats() {
    const open = this.#connection ? 1 : 0;
    return { total: open, idle: this.#held ? 0 : open, waiting: this.#waiters.length };
  }
}

/** A prepared statement and the read modes last set on it: each toggle is a call into the native module. */
interface Prepared {
  readonly statement: Statement;
  readonly reader: boolean;
  arrayRows: boolean;
  exactIntegers: boolean;
  /** Its result's column names, read when it first returns object rows. */
  columns?: readonly string[];
}

class SqliteConnection implements Connection {
  /** Prepared statements by SQL text: preparing is most of the cost of a point lookup. */
  readonly #statements = new Map<string, Prepared>();

  /** One run per row, inside a transaction (a savepoint within the caller's): a failing row leaves none. */
  readonly #insertEach: (statement: Statement, rows: readonly (readonly unknown[])[]) => QueryResult;

  constructor(
    private readonly db: Database,
    private readonly busyTimeoutMs: number,
  ) {
    this.#insertEach = db.transaction((statement: Statement, rows: readonly (readonly unknown[])[]): QueryResult => {
      const keys = new Array<unknown[]>(rows.length);
      for (let index = 0; index < rows.length; index++) keys[index] = [statement.run(...sqliteValues(rows[index]!)).lastInsertRowid];
      return { rows: keys, rowsAffected: rows.length };
    });
  }

  #prepare(text: string): Prepared {
    let prepared = this.#statements.get(text);
    if (!prepared) {
      const statement = this.db.prepare(text);
      prepared = { statement, reader: statement.reader, arrayRows: false, exactIntegers: false };
      if (this.#statements.size >= 1000) this.#statements.delete(this.#statements.keys().next().value!);
      this.#statements.set(text, prepared);
    }
    return prepared;
  }

  /**
   * The statement, run again while another connection holds the lock it needs, with backoff, up to busy_timeout
   * (or the statement's own timeoutMs): SQLite's busy handler would wait inside this synchronous call, and stop
   * every timer and request of the process for as long. (A worker thread per database would not block either,
   * but costs a message round trip on every statement; see README: Reliability.)
   */
  async query(query: CompiledQuery, options?: QueryOptions): Promise<QueryResult> {
    const started = performance.now();
    const budget = Math.min(this.busyTimeoutMs, options?.timeoutMs ?? Number.POSITIVE_INFINITY);
    for (let pause = 1; ; pause = Math.min(pause * 2, MAX_BUSY_PAUSE_MS)) {
      try {
        return this.#querySync(query, options);
      } catch (error) {
        const waited = performance.now() - started;
        if (!isBusy(error) || waited >= budget) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, budget - waited)));
      }
    }
  }

  queryNow(query: CompiledQuery, options?: QueryOptions): QueryResult | undefined {
    try {
      return this.#querySync(query, options);
    } catch (error) {
      // Another connection holds the lock: the statement did nothing, and waits for it in query(), which retries
      // without blocking.
      if (isBusy(error)) return undefined;
      throw error;
    }
  }

  #querySync(query: CompiledQuery, options?: QueryOptions): QueryResult {
    if (!this.db.open) throw new ConnectionError("The SQLite database was closed (disconnect() was called)");
    // A statement runs to its end inside one call here: a signal can only stop it before it starts.
    if (options?.signal?.aborted) {
      throw new QueryCancelledError(`The statement was not run: its AbortSignal had already fired (${excerpt(query.text)})`, { cause: options.signal.reason });
    }
    try {
      const prepared = this.#prepare(query.text);
      const { statement } = prepared;
      const exactIntegers = options?.exactIntegers ?? false;
      if (prepared.exactIntegers !== exactIntegers) statement.safeIntegers((prepared.exactIntegers = exactIntegers));
      if (query.eachRow) return this.#insertEach(statement, query.values as readonly (readonly unknown[])[]);
      const values = query.encoded ? query.values : sqliteValues(query.values);
      if (prepared.reader) {
        const arrayRows = options?.arrayRows ?? false;
        if (!arrayRows) refuseProtoColumn((prepared.columns ??= statement.columns().map((column) => column.name)), query);
        if (prepared.arrayRows !== arrayRows) statement.raw((prepared.arrayRows = arrayRows));
        const rows = statement.all(...values) as Row[];
        return { rows, rowsAffected: 0 };
      }
      const info = statement.run(...values);
      return { rows: [], rowsAffected: info.changes, insertId: info.lastInsertRowid };
    } catch (error) {
      throw translateSqliteError(error);
    }
  }

  async *stream(query: CompiledQuery, _batchSize: number, options?: QueryOptions): AsyncIterable<Row | unknown[]> {
    // A statement's iterator reads one row at a time from SQLite itself, so memory stays flat.
    let iterator: IterableIterator<unknown>;
    if (!this.db.open) throw new ConnectionError("The SQLite database was closed (disconnect() was called)");
    try {
      const statement = this.db.prepare(query.text);
      statement.raw(options?.arrayRows ?? false).safeIntegers(options?.exactIntegers ?? false);
      iterator = statement.iterate(...query.values.map(toSqliteValue));
    } catch (error) {
      throw translateSqliteError(error);
    }
    try {
      for (const row of iterator) yield row as Row | unknown[];
    } finally {
      iterator.return?.();
    }
  }
}

/** The longest pause between two tries of a statement waiting for a lock. */
const MAX_BUSY_PAUSE_MS = 50;

/**
 * Another connection holds the lock: worth trying again. Not SQLITE_BUSY_SNAPSHOT (a read transaction that must
 * write after another connection wrote), which only a new transaction gets past.
 */
function isBusy(error: unknown): boolean {
  return error instanceof LockTimeoutError && (error.cause as { code?: string })?.code === "SQLITE_BUSY";
}

/** The values as better-sqlite3 binds them; the same array when none needs converting. */
function sqliteValues(values: readonly unknown[]): readonly unknown[] {
  for (const value of values) if (typeof value === "boolean" || value instanceof Date) return values.map(toSqliteValue);
  return values;
}

/** better-sqlite3 binds neither booleans nor Dates. */
function toSqliteValue(value: unknown): unknown {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return value;
}

const INTEGRITY_KINDS: Record<string, IntegrityKind> = {
  SQLITE_CONSTRAINT_UNIQUE: "unique",
  SQLITE_CONSTRAINT_PRIMARYKEY: "unique",
  SQLITE_CONSTRAINT_FOREIGNKEY: "foreignKey",
  SQLITE_CONSTRAINT_NOTNULL: "notNull",
  SQLITE_CONSTRAINT_CHECK: "check",
};

/**
 * What SQLite's message says: "UNIQUE constraint failed: album.artist_id, album.title", "NOT NULL constraint
 * failed: note.text", "CHECK constraint failed: album_price_not_negative" (the name, for a named check); a
 * foreign key's failure names nothing.
 */
function integrityDetails(code: string, message: string): IntegrityDetails {
  // A RESTRICT foreign key is enforced as a trigger: SQLITE_CONSTRAINT_TRIGGER, "FOREIGN KEY constraint failed".
  const kind = INTEGRITY_KINDS[code] ?? (message.startsWith("FOREIGN KEY constraint failed") ? "foreignKey" : undefined);
  const subject = /constraint failed: (.+)$/.exec(message)?.[1];
  if (!subject || kind === "foreignKey") return { kind };
  if (kind === "check") return { kind, constraint: /^\w+$/.test(subject) ? subject : undefined };
  const qualified = subject.split(", ").map((name) => /^(.+)\.([^.]+)$/.exec(name));
  if (!qualified.every(Boolean)) return { kind };
  return { kind, table: qualified[0]![1], columns: qualified.map((match) => match![2]!) };
}

function translateSqliteError(error: unknown): Error {
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message;
  if (code.startsWith("SQLITE_CONSTRAINT")) return new IntegrityError(message, { cause: error, ...integrityDetails(code, message) });
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return new LockTimeoutError(message, { cause: error });
  if (code === "SQLITE_CANTOPEN" || code === "SQLITE_NOTADB") return new ConnectionError(message, { cause: error });
  if (code === "SQLITE_ERROR" && message.startsWith("no such table")) return new DatabaseError(missingTableHint(message), { cause: error });
  if (error instanceof Error && code.startsWith("SQLITE_")) return new DatabaseError(message, { cause: error });
  return error instanceof Error ? error : new DatabaseError(String(error), { cause: error });
}
