import type * as MySql from "mysql2";
import { ConnectionError, DatabaseError, IntegrityError, TransactionError } from "../errors.js";
import type { DatabaseURL } from "../url.js";
import {
  loadDriverPackage,
  type CompiledQuery,
  type Connection,
  type Driver,
  type DriverOptions,
  type QueryOptions,
  type QueryResult,
  type Row,
} from "./driver.js";

type MySqlModule = typeof MySql;

export async function createMysqlDriver(url: DatabaseURL, options: DriverOptions): Promise<Driver> {
  const mysql = await loadDriverPackage<MySqlModule>("mysql2", "mysql");
  const pool = mysql.createPool({
    host: url.host,
    port: url.port ?? 3306,
    user: url.user || undefined,
    password: url.password || undefined,
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
    // MySQL parses JSON columns itself; MariaDB stores them as text. Read both as text, decode once.
    typeCast: (field, next) => (field.type === "JSON" ? field.string("utf8") : next()),
    ssl: options.ssl as MySql.PoolOptions["ssl"],
    connectTimeout: 10_000,
  });
  pool.on("connection", (connection) => {
    // A killed or timed-out connection errors here too; the pool drops it, so nothing must throw.
    connection.on("error", () => {});
  });
  return new MysqlDriver(pool, url, options.pool?.acquireTimeoutMs ?? 30_000);
}

class MysqlDriver implements Driver {
  #waiting = 0;

  constructor(
    private readonly pool: MySql.Pool,
    private readonly url: DatabaseURL,
    private readonly acquireTimeoutMs: number,
  ) {}

  async connect(): Promise<void> {
    this.release(await this.acquire());
  }

  acquire(): Promise<Connection> {
    this.#waiting++;
    return new Promise<Connection>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        this.#waiting--;
        reject(new ConnectionError(`Timed out after ${this.acquireTimeoutMs} ms waiting for a connection to MySQL at ${this.url.address} (pool exhausted).`));
      }, this.acquireTimeoutMs);
      this.pool.getConnection((error, connection) => {
        if (timedOut) {
          connection?.release();
          return;
        }
        clearTimeout(timer);
        this.#waiting--;
        if (error) reject(connectionFailure(error, this.url));
        else resolve(new MysqlConnection(connection));
      });
    });
  }

  release(connection: Connection, failure?: unknown): void {
    const { raw } = connection as MysqlConnection;
    if (failure instanceof ConnectionError) raw.destroy();
    else raw.release();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.pool.end(() => resolve()));
  }

  stats() {
    // mysql2 keeps its counts on private arrays; they are the only source of these numbers.
    const internals = this.pool as unknown as { _allConnections?: { length: number }; _freeConnections?: { length: number } };
    return {
      total: internals._allConnections?.length ?? 0,
      idle: internals._freeConnections?.length ?? 0,
      waiting: this.#waiting,
    };
  }
}

class MysqlConnection implements Connection {
  constructor(readonly raw: MySql.PoolConnection) {}

  query(query: CompiledQuery, options?: QueryOptions): Promise<QueryResult> {
    return new Promise((resolve, reject) => {
      this.raw.query(
        { sql: query.text, values: query.values as unknown[], rowsAsArray: options?.arrayRows ?? false },
        (error, result) => {
          if (error) return reject(translateMysqlError(error));
          if (Array.isArray(result)) return resolve({ rows: result as Row[], rowsAffected: 0 });
          const header = result as MySql.ResultSetHeader;
          resolve({ rows: [], rowsAffected: header.affectedRows, insertId: header.insertId });
        },
      );
    });
  }

  async *stream(query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncIterable<Row | unknown[]> {
    // mysql2's row stream pauses the socket when its buffer is full, so memory stays bounded.
    const rows = this.raw
      .query({ sql: query.text, values: query.values as unknown[], rowsAsArray: options?.arrayRows ?? false })
      .stream({ highWaterMark: batchSize });
    let failure: unknown;
    rows.on("error", (error: unknown) => (failure = error));
    try {
      for await (const row of rows) yield row as Row | unknown[];
      if (failure) throw translateMysqlError(failure);
    } catch (error) {
      throw error instanceof ConnectionError || error instanceof DatabaseError ? error : translateMysqlError(error);
    } finally {
      if (!rows.destroyed) {
        // Leaving a result half-read would leave the connection busy: read it to the end, unbuffered.
        rows.resume();
        await new Promise<void>((resolve) => {
          rows.once("end", resolve);
          rows.once("close", resolve);
          rows.once("error", () => resolve());
        });
      }
    }
  }
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
const RETRYABLE_CODES = new Set(["ER_LOCK_DEADLOCK", "ER_LOCK_WAIT_TIMEOUT"]);

function translateMysqlError(error: unknown): Error {
  const { code = "", fatal = false, message } = error as { code?: string; fatal?: boolean; message: string };
  if (INTEGRITY_CODES.has(code)) return new IntegrityError(message, { cause: error });
  if (RETRYABLE_CODES.has(code)) return new TransactionError(message, true, { cause: error });
  // Driver-side codes (PROTOCOL_CONNECTION_LOST, ECONNRESET, ...) and fatal server errors end the connection.
  if (fatal || code === "ER_CONNECTION_KILLED" || (code !== "" && !code.startsWith("ER_"))) {
    return new ConnectionError(`Connection lost: ${message}`, { cause: error });
  }
  if (code) return new DatabaseError(message, { cause: error });
  return error instanceof Error ? error : new DatabaseError(String(error), { cause: error });
}

function connectionFailure(error: unknown, url: DatabaseURL): ConnectionError {
  const reason = ((error as Error).message ?? String(error)).replaceAll(url.password || "\0", "***");
  return new ConnectionError(`Cannot connect to MySQL at ${url.address} (database "${url.database}"): ${reason}`, {
    cause: error,
  });
}
