import type * as Pg from "pg";
import type PgCursor from "pg-cursor";
import { ConnectionError, DatabaseError, DeadlockError, IntegrityError, LockTimeoutError, SerializationError, TransactionError } from "../errors.js";
import type { DatabaseURL } from "../url.js";
import {
  acquireTimeoutMs,
  loadDriverPackage,
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
import { RepeatedStatements } from "./repeated-statements.js";

type PgModule = typeof Pg;

/** Types read as their text form: pg's own parsers round int8 and numeric, and shift dates to local time. */
const TEXT_TYPES = new Set([20, 114, 1082, 1083, 1114, 1184, 1266, 1700, 3802]);

export async function createPostgresqlDriver(url: DatabaseURL, options: DriverOptions): Promise<Driver> {
  const pg = await loadDriverPackage<PgModule>("pg", "postgresql");
  const identity = (value: string) => value;
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      TEXT_TYPES.has(oid) ? identity : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
  };
  const settings = ["-c TimeZone=UTC"];
  if (url.params.schema) settings.push(`-c search_path=${url.params.schema.replace(/[^\w$]/g, "")}`);
  const pool = new pg.Pool({
    host: url.host,
    port: url.port ?? 5432,
    user: url.user || undefined,
    password: url.password || undefined,
    database: url.database || undefined,
    max: options.pool?.max ?? Number(url.params.pool_max ?? 10),
    min: options.pool?.min ?? Number(url.params.pool_min ?? 0),
    connectionTimeoutMillis: acquireTimeoutMs(options, url),
    ssl: (options.ssl ?? (url.params.sslmode === "require" ? { rejectUnauthorized: false } : undefined)) as Pg.PoolConfig["ssl"],
    types,
    options: settings.join(" "),
  });
  // An idle client whose server connection dies emits here; the pool drops it and the next query gets a fresh one.
  pool.on("error", () => {});
  return new PostgresqlDriver(pool, url, acquireTimeoutMs(options, url));
}

/** PostgreSQL's "cached plan must not change result type": the table changed under a named statement. */
const PLAN_CHANGED = "0A000";

class PostgresqlDriver extends CallbackPool<PostgresqlConnection> implements Driver {
  /** A named statement is parsed and planned once per connection, then only bound and executed. */
  readonly #names = new RepeatedStatements();
  readonly #connections = new WeakMap<Pg.PoolClient, PostgresqlConnection>();

  constructor(
    private readonly pool: Pg.Pool,
    private readonly url: DatabaseURL,
    private readonly acquireTimeoutMs: number,
  ) {
    super();
  }

  /** A pooled client; one the server dropped while it sat idle is replaced, not handed out. */
  acquireWith(callback: Callback<PostgresqlConnection>, attempt = 0): void {
    const full = this.pool.totalCount >= (this.pool.options.max ?? 10);
    this.pool.connect((error, client) => {
      if (error) return callback(this.#acquireFailure(error, full));
      const internals = client as unknown as { _ending?: boolean; _queryable?: boolean };
      if ((internals._ending || internals._queryable === false) && attempt < 3) {
        client!.release(new Error("connection lost while idle"));
        return this.acquireWith(callback, attempt + 1);
      }
      callback(null, this.#wrap(client!));
    });
  }

  #acquireFailure(error: Error, wasFull: boolean): ConnectionError {
    if (/timeout exceeded when trying to connect/.test(error.message ?? "") && (wasFull || this.pool.totalCount >= (this.pool.options.max ?? 10))) {
      return new ConnectionError(
        `Timed out after ${this.acquireTimeoutMs} ms waiting for a connection to PostgreSQL at ${this.url.address}: all ${this.pool.totalCount} connections of the pool are in use (${this.pool.waitingCount} callers waiting). Raise pool.max or pool.acquireTimeoutMs, or hold connections for less time.`,
        { cause: error },
      );
    }
    return connectionFailure(error, this.url);
  }

  /** One wrapper per pooled client, made at its first checkout, its error listener kept from then on. */
  #wrap(client: Pg.PoolClient): PostgresqlConnection {
    let connection = this.#connections.get(client);
    if (!connection) this.#connections.set(client, (connection = new PostgresqlConnection(client, this.#names)));
    connection.lost = undefined;
    return connection;
  }

  release(connection: Connection, failure?: unknown): void {
    const pooled = connection as PostgresqlConnection;
    const broken = failure instanceof ConnectionError || pooled.lost !== undefined;
    pooled.client.release(broken ? ((failure ?? pooled.lost) as Error) : undefined);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  stats() {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }
}

class PostgresqlConnection extends CallbackConnection {
  /** Set when the server or the network dropped this connection while it was checked out. */
  lost: Error | undefined;

  constructor(
    readonly client: Pg.PoolClient,
    private readonly names: RepeatedStatements,
  ) {
    super();
    // A checked-out client has no pool listener: an "error" with none would crash the process. (An idle
    // client that fails leaves the pool, so what this records is only ever read while it is checked out.)
    client.on("error", (error: Error) => (this.lost ??= error));
  }

  send(query: CompiledQuery, options: QueryOptions | undefined, callback: Callback<QueryResult>): void {
    if (this.lost) return callback(new ConnectionError(`Connection lost: ${this.lost.message}`, { cause: this.lost }));
    const name = this.names.nameFor(query);
    const config = { name, text: query.text, values: query.values as unknown[], rowMode: options?.arrayRows ? "array" : undefined } as Pg.QueryConfig;
    this.client.query(config, (error: Error | null, result: Pg.QueryResult) => {
      if (!error) return callback(null, { rows: result.rows, rowsAffected: result.rowCount ?? 0, command: result.command });
      if (name && (error as { code?: string }).code === PLAN_CHANGED) {
        this.names.forget(query.text);
        // Raised before the statement ran: outside a transaction (which the error has aborted) it runs again, unprepared.
        if (this.client.getTransactionStatus() === "I") return this.send(query, options, callback);
      }
      callback(translatePostgresqlError(error));
    });
  }

  async *stream(query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncIterable<Row | unknown[]> {
    if (this.lost) throw new ConnectionError(`Connection lost: ${this.lost.message}`, { cause: this.lost });
    const Cursor = await loadDriverPackage<typeof PgCursor>("pg-cursor", "postgresql (streaming)");
    const cursor = this.client.query(
      new Cursor(query.text, query.values as unknown[], { rowMode: options?.arrayRows ? "array" : undefined }),
    );
    try {
      for (;;) {
        let rows: Array<Row | unknown[]>;
        try {
          rows = await cursor.read(batchSize);
        } catch (error) {
          throw translatePostgresqlError(error);
        }
        if (rows.length === 0) return;
        yield* rows;
      }
    } finally {
      await cursor.close().catch(() => {});
    }
  }
}

const INTEGRITY_CODES = new Set(["23000", "23001", "23502", "23503", "23505", "23514", "23P01"]);

function translatePostgresqlError(error: unknown): Error {
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message;
  const detail = (error as { detail?: string }).detail;
  const text = detail ? `${message} (${detail})` : message;
  if (INTEGRITY_CODES.has(code)) return new IntegrityError(text, { cause: error });
  if (code === "40001") return new SerializationError(text, { cause: error });
  if (code === "40P01") return new DeadlockError(text, { cause: error });
  if (code === "55P03") return new LockTimeoutError(text, { cause: error });
  if (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || isSocketError(error)) {
    return new ConnectionError(`Connection lost: ${message}`, { cause: error });
  }
  if (code.startsWith("25")) return new TransactionError(text, false, { cause: error });
  if (code) return new DatabaseError(text, { cause: error });
  return error instanceof Error ? error : new DatabaseError(String(error), { cause: error });
}

function isSocketError(error: unknown): boolean {
  const message = (error as Error)?.message ?? "";
  return /Connection terminated|ECONNRESET|EPIPE|Client has encountered a connection error|Client was closed|not queryable/.test(message);
}

function connectionFailure(error: unknown, url: DatabaseURL): ConnectionError {
  const reason = (error as Error).message?.replaceAll(url.password || "\0", "***") ?? String(error);
  return new ConnectionError(`Cannot connect to PostgreSQL at ${url.address} (database "${url.database}"): ${reason}`, {
    cause: error,
  });
}
