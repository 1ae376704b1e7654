import type * as MySql from "mysql2";
import {
  ConnectionError,
  DatabaseError,
  DeadlockError,
  IntegrityError,
  missingTableHint,
  type IntegrityDetails,
  LockTimeoutError,
  QueryCancelledError,
  SerializationError,
  StatementTimeoutError,
} from "../errors.js";
import type { DatabaseURL } from "../url.js";
import { CANCEL_GRACE_MS } from "./cancellation.js";
import {
  acquireTimeoutMs,
  connectTimeoutMs,
  keepAliveMs,
  loadDriverPackage,
  refuseProtoColumn,
  type Callback,
  CallbackConnection,
  CallbackPool,
  type CompiledQuery,
  type Connection,
  type Driver,
  type DriverOptions,
  type QueryOptions,
  type QueryResult,
  type Row,
} from "./driver.js";
import { PREPARE_PAUSE_MS, RepeatedStatements } from "./repeated-statements.js";

type MySqlModule = typeof MySql;

export async function createMysqlDriver(url: DatabaseURL, options: DriverOptions): Promise<Driver> {
  const mysql = await loadDriverPackage<MySqlModule>("mysql2", "mysql");
  const server = {
    host: url.host,
    port: url.port ?? 3306,
    user: url.user || undefined,
    password: url.password || undefined,
    ssl: options.ssl as MySql.PoolOptions["ssl"],
    enableKeepAlive: true,
    keepAliveInitialDelay: keepAliveMs(options, url),
  };
  // KILL QUERY, sent over a connection of its own: the statement's connection is busy running it.
  const cancel = (threadId: number) =>
    new Promise<void>((resolve, reject) => {
      const killer = mysql.createConnection({ ...server, connectTimeout: CANCEL_GRACE_MS });
      killer.on("error", () => {});
      killer.query(`KILL QUERY ${Number(threadId)}`, (error) => {
        killer.destroy();
        if (error) reject(error);
        else resolve();
      });
    });
  const pool = mysql.createPool({
    ...server,
    database: url.database || undefined,
    connectionLimit: options.pool?.max ?? Number(url.params.pool_max ?? 10),
    maxIdle: options.pool?.max ?? Number(url.params.pool_max ?? 10),
    waitForConnections: true,
    charset: "utf8mb4",
    timezone: "Z",
    // Exact values: dates as text (no local-time shift), BIGINT and DECIMAL as strings (no rounding).
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    // mysql2 parses MySQL's JSON columns, and MariaDB's (LONGTEXT flagged json), itself: read both as text, decode once.
    // (An option, not a typeCast function, which both protocols' row readers would call with a closure per field.)
    jsonStrings: true,
    connectTimeout: connectTimeoutMs(options, url),
    // Above MAX_PREPARED_PER_CONNECTION, so that mysql2 never closes a statement whose handle a connection still holds.
    maxPreparedStatements: MAX_PREPARED_PER_CONNECTION * 2,
    // Rows as arrays, which the ORM reads by position; object rows are keyed here (keyedByColumn), not by mysql2,
    // so that every statement takes execute's cheaper call form.
    rowsAsArray: true,
  });
  pool.on("connection", (connection) => {
    // A killed or timed-out connection errors here too; the pool drops it, so nothing must throw.
    connection.on("error", () => {});
  });
  return new MysqlDriver(pool, url, acquireTimeoutMs(options, url), connectTimeoutMs(options, url), options.pool?.max ?? Number(url.params.pool_max ?? 10), cancel);
}

/** Statements kept prepared on one connection, least recently used closed first: each holds server memory. */
export const MAX_PREPARED_PER_CONNECTION = 256;

/**
 * An array bound to one placeholder is a list that mysql2 writes out into the text itself (`IN (?)`, a
 * many-row INSERT's `VALUES ?`): such a statement can only be sent unprepared.
 */
function bindsList(values: readonly unknown[]): boolean {
  for (const value of values) if (Array.isArray(value)) return true;
  return false;
}

/** The server refuses to prepare this kind of statement (ER_UNSUPPORTED_PS). */
const UNSUPPORTED_PREPARE = "ER_UNSUPPORTED_PS";
/** The server-wide cap on prepared statements (max_prepared_stmt_count), which any client can use up. */
const PREPARED_CAP_REACHED = "ER_MAX_PREPARED_STMT_COUNT_REACHED";
/** Errors after which the server closes the connection (a packet over max_allowed_packet, a broken packet). */
const PROTOCOL_ERRORS = /^ER_NET_|^ER_MALFORMED_PACKET$/;

/** The connection's socket (mysql2 keeps it as `stream`: a net.Socket, or a TLSSocket). */
function socketOf(connection: MySql.PoolConnection): { ref(): void; unref(): void } | undefined {
  return (connection as unknown as { stream?: { ref(): void; unref(): void } }).stream;
}

/**
 * Back to the pool, where an idle connection does not keep the process alive (a script that never calls
 * disconnect() still ends). Unref'd before release(), which may hand it straight to a waiting caller, who refs it.
 */
function idle(connection: MySql.PoolConnection): void {
  socketOf(connection)?.unref();
  connection.release();
}

class MysqlDriver extends CallbackPool<MysqlConnection> implements Driver {
  #waiting = 0;
  readonly #statements = new RepeatedStatements();
  readonly #connections = new WeakMap<MySql.PoolConnection, MysqlConnection>();

  constructor(
    private readonly pool: MySql.Pool,
    private readonly url: DatabaseURL,
    private readonly acquireTimeoutMs: number,
    private readonly connectTimeoutMs: number,
    private readonly max: number,
    private readonly cancel: (threadId: number) => Promise<void>,
  ) {
    super();
  }

  /** A pooled connection; one the server dropped while it sat idle is replaced, not handed out. */
  acquireWith(callback: Callback<MysqlConnection>, attempt = 0): void {
    this.#acquire((error, connection) => {
      if (error) return callback(error);
      const internals = connection!.raw as unknown as { _fatalError?: unknown; _closing?: boolean; stream?: { destroyed?: boolean } };
      if ((internals._fatalError || internals._closing || internals.stream?.destroyed) && attempt < 3) {
        connection!.raw.destroy();
        return this.acquireWith(callback, attempt + 1);
      }
      callback(null, connection);
    });
  }

  #acquire(callback: Callback<MysqlConnection>): void {
    // A free connection is handed over at once, and a new one is bounded by connectTimeout: the timer bounding the
    // wait is armed only when every connection the pool may open is busy.
    const waits = this.#idle() === 0 && this.stats().total >= this.max;
    if (waits) this.#waiting++;
    let timedOut = false;
    const timer = !waits
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          this.#waiting--;
          callback(
            new ConnectionError(
              `Timed out after ${this.acquireTimeoutMs} ms waiting for a connection to MySQL at ${this.url.address}: all ${this.max} connections of the pool are in use (${this.#waiting + 1} callers waiting). Raise pool.max or pool.acquireTimeoutMs, or hold connections for less time.`,
            ),
          );
        }, this.acquireTimeoutMs);
    this.pool.getConnection((error, connection) => {
      if (timedOut) {
        if (connection) idle(connection);
        return;
      }
      if (timer) {
        clearTimeout(timer);
        this.#waiting--;
      }
      if (error) callback(connectionFailure(error, this.url, this.connectTimeoutMs));
      else callback(null, this.#wrap(connection));
    });
  }

  /** One wrapper per pooled connection, made at its first use. */
  #wrap(raw: MySql.PoolConnection): MysqlConnection {
    let connection = this.#connections.get(raw);
    if (!connection) this.#connections.set(raw, (connection = new MysqlConnection(raw, this.#statements, this.cancel)));
    connection.unfinished = false;
    connection.broken = undefined;
    this.checkedOut.add(connection);
    socketOf(raw)?.ref();
    return connection;
  }

  #idle(): number {
    // mysql2 keeps its counts on private arrays; they are the only source of these numbers.
    return (this.pool as unknown as { _freeConnections?: { length: number } })._freeConnections?.length ?? 0;
  }

  release(connection: Connection, failure?: unknown): void {
    const pooled = connection as MysqlConnection;
    const { raw, unfinished, broken } = pooled;
    this.checkedOut.delete(pooled);
    // A stream left early: the server is still sending its rows, which the next user would wait behind.
    if (failure instanceof ConnectionError || unfinished || broken) raw.destroy();
    else idle(raw);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.pool.end(() => resolve()));
  }

  stats() {
    const all = (this.pool as unknown as { _allConnections?: { length: number } })._allConnections;
    return { total: all?.length ?? 0, idle: this.#idle(), waiting: this.#waiting };
  }
}

class MysqlConnection extends CallbackConnection {
  /** A stream's result is still arriving after its reader left (a break): closing the connection ends it at once. */
  unfinished = false;
  /**
   * The statements prepared on this connection, by text, least recently used first: run through their handles,
   * execute() looks each up again per call.
   */
  readonly #prepared = new Map<string, MySql.PrepareStatementInfo>();

  constructor(
    readonly raw: MySql.PoolConnection,
    private readonly statements: RepeatedStatements,
    private readonly cancel: (threadId: number) => Promise<void>,
  ) {
    super();
  }

  cancelRunning(): Promise<void> {
    return this.cancel(this.raw.threadId);
  }

  destroySocket(): void {
    (this.raw as unknown as { stream: { destroy(): void } }).stream.destroy();
  }

  send(query: CompiledQuery, options: QueryOptions | undefined, callback: Callback<QueryResult>): void {
    const values = query.values as MySql.ExecuteValues[];
    const prepare =
      !bindsList(values) && this.statements.nameFor(query) !== undefined && (this.statements.preparing || this.#prepared.has(query.text));
    const done = (error: MySql.QueryError | null, result: unknown, fields?: MySql.FieldPacket[]) => {
      if (error) {
        // A statement the server cannot prepare ran nowhere: it goes as a plain query, now and from now on.
        if (prepare && error.code === UNSUPPORTED_PREPARE) {
          this.statements.forget(query.text);
          return void this.raw.query(query.text, values, done);
        }
        // The server's cap on prepared statements, shared by all its clients: unprepared, it still runs.
        if (prepare && error.code === PREPARED_CAP_REACHED) {
          this.statements.pause(PREPARE_PAUSE_MS);
          return void this.raw.query(query.text, values, done);
        }
        const translated = translateMysqlError(error);
        if (translated instanceof ConnectionError || PROTOCOL_ERRORS.test(error.code ?? "")) this.broken ??= error;
        return callback(translated);
      }
      if (Array.isArray(result)) {
        if (options?.arrayRows) return callback(null, { rows: result, rowsAffected: 0 });
        const names = fields!.map((field) => field.name);
        try {
          refuseProtoColumn(names, query);
        } catch (refusal) {
          return callback(refusal as Error);
        }
        return callback(null, { rows: keyedByColumn(result as unknown[][], names), rowsAffected: 0 });
      }
      const header = result as MySql.ResultSetHeader;
      callback(null, { rows: [], rowsAffected: header.affectedRows, insertId: header.insertId });
    };
    try {
      if (prepare) this.#execute(query.text, values, done);
      // The (text, values) form, reading the pool's array rows: the options-object form costs some 9 µs more CPU per
      // call (mysql2 3.24), a tenth of a 20-row query.
      else this.raw.query(query.text, values, done);
    } catch (error) {
      // mysql2 throws some refusals of a value (a function, say) rather than hand them to the callback.
      callback(translateMysqlError(error));
    }
  }

  /**
   * A repeated statement, prepared: the server parses it once per connection. From its second time on this
   * connection it runs through its handle, some 0.8 µs of CPU less than execute() (mysql2 3.24), which queues a
   * prepare command per call to find the statement in its cache (Database.compile has already refused undefined
   * values, the one check execute() adds).
   */
  #execute(text: string, values: MySql.ExecuteValues[], done: (error: MySql.QueryError | null, result: unknown, fields?: MySql.FieldPacket[]) => void): void {
    const statement = this.#prepared.get(text);
    if (statement) {
      this.#prepared.delete(text);
      this.#prepared.set(text, statement);
      return void statement.execute(values, done);
    }
    // execute() prepares and runs it, queued at once (so this connection's statements keep their order); prepare(),
    // queued after it, then finds the statement in mysql2's cache and hands over its handle, with no round trip.
    this.raw.execute(text, values, done);
    this.raw.prepare(text, (error, prepared) => {
      if (error) return;
      this.#prepared.set(text, prepared);
      if (this.#prepared.size > MAX_PREPARED_PER_CONNECTION) {
        const oldest = this.#prepared.keys().next().value!;
        this.#prepared.delete(oldest);
        this.raw.unprepare(oldest);
      }
    });
  }

  async *stream(query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncIterable<Row | unknown[]> {
    // mysql2's row stream pauses the socket when its buffer is full, so memory stays bounded.
    const command = this.raw.query({ sql: query.text, values: query.values as unknown[], rowsAsArray: options?.arrayRows ?? false });
    let ended = false;
    command.once("end", () => {
      ended = true;
      this.unfinished = false;
    });
    const rows = command.stream({ highWaterMark: batchSize });
    let failure: unknown;
    rows.on("error", (error: unknown) => (failure = error));
    try {
      for await (const row of rows) yield row as Row | unknown[];
      if (failure) throw translateMysqlError(failure);
    } catch (error) {
      throw error instanceof ConnectionError || error instanceof DatabaseError ? error : translateMysqlError(error);
    } finally {
      // Left early (a break): the rest of the result still arrives, read into the void. Outside a transaction the
      // driver closes this connection on release rather than make the next query wait for it; inside one, the
      // transaction's next statement waits (its connection cannot be swapped).
      if (!ended) {
        this.unfinished = true;
        rows.destroy();
      }
    }
  }
}

/** Array rows as objects keyed by column name (a later column of the same name wins, as in mysql2's own). */
function keyedByColumn(rows: readonly unknown[][], names: readonly string[]): Row[] {
  return rows.map((row) => {
    const keyed: Row = {};
    for (let index = 0; index < names.length; index++) keyed[names[index]!] = row[index];
    return keyed;
  });
}

const INTEGRITY_CODES = new Set([
  "ER_DUP_ENTRY",
  "ER_NO_REFERENCED_ROW",
  "ER_NO_REFERENCED_ROW_2",
  "ER_ROW_IS_REFERENCED",
  "ER_ROW_IS_REFERENCED_2",
  "ER_BAD_NULL_ERROR",
  "ER_NO_DEFAULT_FOR_FIELD",
  "ER_CHECK_CONSTRAINT_VIOLATED",
  "ER_CONSTRAINT_FAILED",
  "ER_DATA_TOO_LONG",
  "ER_WARN_DATA_OUT_OF_RANGE",
  "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
]);

/**
 * What MySQL and MariaDB say about a violation, read from their messages (they have no fields for it): the key
 * of a duplicate, the constraint and columns of a foreign key, the column of a NOT NULL, the name of a CHECK.
 */
function integrityDetails(errno: number | undefined, message: string): IntegrityDetails {
  const quoted = (text: string) => text.replace(/^[`'"](.*)[`'"]$/, "$1");
  switch (errno) {
    case 1062: // ER_DUP_ENTRY: "Duplicate entry '1-Gold' for key 'album_artist_id_title_uniq'" (MySQL 8: 'album.album_...')
      return { kind: "unique", constraint: /for key '(?:[^'.]+\.)?([^']+)'$/.exec(message)?.[1] };
    case 1451: // ER_ROW_IS_REFERENCED_2
    case 1452: {
      // ER_NO_REFERENCED_ROW_2: "... a foreign key constraint fails (`db`.`track`, CONSTRAINT `track_ibfk_1` FOREIGN KEY (`album_id`) REFERENCES ..."
      const match = /\(`[^`]+`\.`([^`]+)`, CONSTRAINT `([^`]+)` FOREIGN KEY \(([^)]+)\)/.exec(message);
      return { kind: "foreignKey", table: match?.[1], constraint: match?.[2], columns: match?.[3]?.split(",").map((name) => quoted(name.trim())) };
    }
    case 1048: // ER_BAD_NULL_ERROR: "Column 'text' cannot be null"
    case 1364: {
      // ER_NO_DEFAULT_FOR_FIELD: "Field 'text' doesn't have a default value"
      const column = /^(?:Column|Field) '([^']+)'/.exec(message)?.[1];
      return { kind: "notNull", columns: column ? [column] : undefined };
    }
    case 3819: // MySQL: "Check constraint 'name' is violated."
    case 4025: // MariaDB: "CONSTRAINT `name` failed for `db`.`table`"
      return { kind: "check", constraint: /(?:constraint|CONSTRAINT) [`']([^`']+)[`']/.exec(message)?.[1], table: /for `[^`]+`\.`([^`]+)`/.exec(message)?.[1] };
    default:
      return {};
  }
}

function translateMysqlError(error: unknown): Error {
  const { code = "", errno, fatal = false, message, sqlState = "" } = error as { code?: string; errno?: number; fatal?: boolean; message: string; sqlState?: string };
  // SQLSTATE class 23 too: mysql2 names MariaDB-only errnos by MySQL's table (MariaDB's CHECK failure 4025 is not ER_CONSTRAINT_FAILED there).
  if (INTEGRITY_CODES.has(code) || sqlState.startsWith("23")) return new IntegrityError(message, { cause: error, ...integrityDetails(errno, message) });
  if (code === "ER_LOCK_DEADLOCK") return new DeadlockError(message, { cause: error });
  if (code === "ER_LOCK_WAIT_TIMEOUT") return new LockTimeoutError(message, { cause: error });
  if (errno === ER_STATEMENT_TIMEOUT || code === "ER_QUERY_TIMEOUT") return new StatementTimeoutError(message, { cause: error });
  if (code === "ER_QUERY_INTERRUPTED") return new QueryCancelledError(message, { cause: error });
  // MariaDB's snapshot isolation (innodb_snapshot_isolation) and Galera certification failures.
  if (code === "ER_CHECKREAD" || code === "ER_LOCK_ABORTED") return new SerializationError(message, { cause: error });
  // Driver-side codes (PROTOCOL_CONNECTION_LOST, ECONNRESET, ...) and fatal server errors end the connection.
  if (fatal || code === "ER_CONNECTION_KILLED" || (code !== "" && !code.startsWith("ER_"))) {
    return new ConnectionError(/^Connection lost/.test(message) ? message : `Connection lost: ${message}`, { cause: error });
  }
  if (code === "ER_NO_SUCH_TABLE") return new DatabaseError(missingTableHint(message), { cause: error });
  if (code) return new DatabaseError(message, { cause: error });
  return error instanceof Error ? error : new DatabaseError(String(error), { cause: error });
}

/** MariaDB's max_statement_time was exceeded (no name in mysql2's table, which is MySQL's). */
const ER_STATEMENT_TIMEOUT = 1969;

function connectionFailure(error: unknown, url: DatabaseURL, timeoutMs: number): ConnectionError {
  const code = (error as { code?: string }).code;
  const reason =
    code === "ETIMEDOUT"
      ? `timed out after ${timeoutMs} ms connecting: nothing answered, or the server there is not MySQL/MariaDB (it sent no greeting). Check the port; set connectTimeoutMs to wait longer`
      : code === "ECONNREFUSED"
        ? `connection refused (nothing listens on ${url.address})`
        : ((error as Error).message ?? String(error)).replaceAll(url.password || "\0", "***");
  return new ConnectionError(`Cannot connect to MySQL at ${url.address} (database "${url.database}"): ${reason}`, {
    cause: error,
  });
}
