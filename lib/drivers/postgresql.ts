import { connect as connectSocket } from "node:net";
import type * as Pg from "pg";
import type PgCursor from "pg-cursor";
import {
  ConnectionError,
  DatabaseError,
  DeadlockError,
  IntegrityError,
  missingTableHint,
  type IntegrityDetails,
  type IntegrityKind,
  LockTimeoutError,
  QueryCancelledError,
  SerializationError,
  StatementTimeoutError,
  TransactionError,
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
  // Behind a transaction pooler (PgBouncer's pool_mode=transaction) a session is not this client's: no startup options
  // (PgBouncer refuses them), no named statements (another client's server connection would not have them).
  const pooler = url.params.pgbouncer === "true" || options.prepare === false;
  if (pooler && url.params.schema) {
    throw new ConnectionError(
      `?schema= sets search_path for the session, which a transaction pooler does not keep (pgbouncer=true or prepare: false in ${url}): give the role a search_path (ALTER ROLE ... SET search_path) or the schema a database of its own.`,
    );
  }
  const settings = ["-c TimeZone=UTC"];
  if (url.params.schema) settings.push(`-c search_path=${url.params.schema.replace(/[^\w$]/g, "")}`);
  const connectTimeout = connectTimeoutMs(options, url);
  // pg's pool bounds both the wait for a free client and a new client's connect with one setting: the connect gets its own.
  class BoundedClient extends pg.Client {
    constructor(config?: Pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: connectTimeout });
    }
  }
  const pool = new pg.Pool({
    Client: BoundedClient,
    // Idle clients do not keep the process alive: a script that never calls disconnect() still ends.
    allowExitOnIdle: true,
    keepAlive: true,
    keepAliveInitialDelayMillis: keepAliveMs(options, url),
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
    options: pooler ? undefined : settings.join(" "),
  });
  // An idle client whose server connection dies emits here; the pool drops it and the next query gets a fresh one.
  pool.on("error", () => {});
  return new PostgresqlDriver(pool, url, acquireTimeoutMs(options, url), connectTimeout, pooler ? undefined : new RepeatedStatements());
}

/** PostgreSQL's "cached plan must not change result type": the table changed under a named statement. */
const PLAN_CHANGED = "0A000";
/** out_of_memory, which PostgreSQL also reports as "out of shared memory". */
const OUT_OF_MEMORY = "53200";

class PostgresqlDriver extends CallbackPool<PostgresqlConnection> implements Driver {
  readonly #connections = new WeakMap<Pg.PoolClient, PostgresqlConnection>();

  constructor(
    private readonly pool: Pg.Pool,
    private readonly url: DatabaseURL,
    private readonly acquireTimeoutMs: number,
    private readonly connectTimeoutMs: number,
    /** A named statement is parsed and planned once per connection, then only bound and executed; none behind a pooler. */
    private readonly names: RepeatedStatements | undefined,
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
    return connectionFailure(error, this.url, this.connectTimeoutMs);
  }

  /** One wrapper per pooled client, made at its first checkout, its error listener kept from then on. */
  #wrap(client: Pg.PoolClient): PostgresqlConnection {
    let connection = this.#connections.get(client);
    if (!connection) this.#connections.set(client, (connection = new PostgresqlConnection(client, this.names, this.url)));
    connection.broken = undefined;
    this.checkedOut.add(connection);
    return connection;
  }

  release(connection: Connection, failure?: unknown): void {
    const pooled = connection as PostgresqlConnection;
    this.checkedOut.delete(pooled);
    const broken = failure instanceof ConnectionError || pooled.broken !== undefined;
    pooled.client.release(broken ? ((pooled.broken ?? failure) as Error) : undefined);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  stats() {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }
}

class PostgresqlConnection extends CallbackConnection {
  /** The server ran out of memory for this connection's prepared statements: they are deallocated once it is idle. */
  #releasePending = false;

  constructor(
    readonly client: Pg.PoolClient,
    private readonly names: RepeatedStatements | undefined,
    private readonly url: DatabaseURL,
  ) {
    super();
    // A checked-out client has no pool listener: an "error" with none would crash the process. (An idle
    // client that fails leaves the pool, so what this records is only ever read while it is checked out.)
    client.on("error", (error: Error) => (this.broken ??= error));
  }

  /** pg's record of the statements this connection has prepared (it sends Parse only for a name not in it). */
  #parsed(): { parsedStatements: Record<string, string>; submittedNamedStatements: Record<string, string> } {
    return (this.client as unknown as { connection: { parsedStatements: Record<string, string>; submittedNamedStatements: Record<string, string> } }).connection;
  }

  /** DEALLOCATE ALL, and pg told so (it would otherwise Bind names the server no longer has); then `next`. */
  #releasePrepared(next: () => void): void {
    this.client.query("DEALLOCATE ALL", (error: Error | null) => {
      if (error) this.broken ??= error;
      this.#releasePending = false;
      const record = this.#parsed();
      record.parsedStatements = {};
      record.submittedNamedStatements = {};
      next();
    });
  }

  /** PostgreSQL's cancel request: a connection of its own that names this one's backend and secret key. */
  cancelRunning(): Promise<void> {
    const { processID, secretKey } = this.client as unknown as { processID: number; secretKey: number };
    const port = this.url.port ?? 5432;
    return new Promise((resolve, reject) => {
      const socket = this.url.host.startsWith("/") ? connectSocket(`${this.url.host}/.s.PGSQL.${port}`) : connectSocket(port, this.url.host);
      socket.setTimeout(CANCEL_GRACE_MS, () => socket.destroy(new Error("the cancel request timed out")));
      socket.once("connect", () => {
        const request = Buffer.alloc(16);
        request.writeInt32BE(16, 0);
        request.writeInt32BE(80877102, 4);
        request.writeInt32BE(processID, 8);
        request.writeInt32BE(secretKey, 12);
        socket.end(request);
      });
      socket.once("error", reject);
      socket.once("close", () => resolve());
    });
  }

  destroySocket(): void {
    (this.client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  }

  send(query: CompiledQuery, options: QueryOptions | undefined, callback: Callback<QueryResult>): void {
    if (this.broken) return callback(new ConnectionError(`Connection lost: ${this.broken.message}`, { cause: this.broken }));
    if (this.#releasePending && this.client.getTransactionStatus() === "I") return this.#releasePrepared(() => this.send(query, options, callback));
    let name = this.names?.nameFor(query);
    // While preparing is paused, only what this connection has prepared already runs prepared.
    if (name && !this.names!.preparing && this.#parsed().parsedStatements[name] === undefined) name = undefined;
    const config = { name, text: query.text, values: query.values as unknown[], rowMode: options?.arrayRows ? "array" : undefined } as Pg.QueryConfig;
    this.client.query(config, (error: Error | null, result: Pg.QueryResult) => {
      if (!error) {
        if (!options?.arrayRows && result.fields?.length) {
          try {
            refuseProtoColumn(result.fields.map((field) => field.name), query);
          } catch (refusal) {
            return callback(refusal as Error);
          }
        }
        return callback(null, { rows: result.rows, rowsAffected: result.rowCount ?? 0, command: result.command });
      }
      if (name && (error as { code?: string }).code === PLAN_CHANGED) {
        this.names!.forget(query.text);
        // Raised before the statement ran: outside a transaction (which the error has aborted) it runs again, unprepared.
        if (this.client.getTransactionStatus() === "I") return this.send(query, options, callback);
      }
      // The server's memory is full of this connection's prepared plans: the pool prepares nothing new for a while,
      // this connection lets its plans go, and outside a transaction (which the error has aborted) the statement
      // runs again, unprepared: one statement's failure to prepare does not fail it, nor the ones after it.
      if (name && (error as { code?: string }).code === OUT_OF_MEMORY) {
        this.names!.pause(PREPARE_PAUSE_MS);
        this.#releasePending = true;
        if (this.client.getTransactionStatus() === "I") return this.#releasePrepared(() => this.send(query, options, callback));
      }
      const translated = translatePostgresqlError(error);
      if (translated instanceof ConnectionError || !(error as { code?: string }).code) this.broken ??= error;
      callback(translated);
    });
  }

  async *stream(query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncIterable<Row | unknown[]> {
    if (this.broken) throw new ConnectionError(`Connection lost: ${this.broken.message}`, { cause: this.broken });
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
// An exclusion constraint (23P01) generalises uniqueness; 23001 is a RESTRICT foreign key.
const INTEGRITY_KINDS: Record<string, IntegrityKind> = { "23001": "foreignKey", "23502": "notNull", "23503": "foreignKey", "23505": "unique", "23514": "check", "23P01": "unique" };

interface PgErrorFields {
  constraint?: string;
  table?: string;
  column?: string;
  detail?: string;
}

/** The server's own fields of a violation: the constraint, the table, and the columns (`Key (a, b)=(...)`, or `column` for NOT NULL). */
function integrityDetails(code: string, { constraint, table, column, detail }: PgErrorFields): IntegrityDetails {
  const keyColumns = /^Key \((.+?)\)=/.exec(detail ?? "")?.[1]?.split(", ").map((name) => name.replace(/^"(.*)"$/, "$1"));
  return { kind: INTEGRITY_KINDS[code], constraint, table, columns: column ? [column] : keyColumns };
}

function translatePostgresqlError(error: unknown): Error {
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message;
  const detail = (error as { detail?: string }).detail;
  const text = detail ? `${message} (${detail})` : message;
  if (INTEGRITY_CODES.has(code)) return new IntegrityError(text, { cause: error, ...integrityDetails(code, error as PgErrorFields) });
  if (code === "40001") return new SerializationError(text, { cause: error });
  if (code === "40P01") return new DeadlockError(text, { cause: error });
  if (code === "55P03") return new LockTimeoutError(text, { cause: error });
  if (code === "57014") {
    const Cancelled = /statement timeout/.test(message) ? StatementTimeoutError : QueryCancelledError;
    return new Cancelled(text, { cause: error });
  }
  if (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || isSocketError(error)) {
    return new ConnectionError(`Connection lost: ${message}`, { cause: error });
  }
  if (code.startsWith("25")) return new TransactionError(text, false, { cause: error });
  if (code === "42P01") return new DatabaseError(missingTableHint(text), { cause: error }); // undefined_table
  if (code) return new DatabaseError(text, { cause: error });
  return error instanceof Error ? error : new DatabaseError(String(error), { cause: error });
}

function isSocketError(error: unknown): boolean {
  const message = (error as Error)?.message ?? "";
  return /Connection terminated|ECONNRESET|EPIPE|Client has encountered a connection error|Client was closed|not queryable/.test(message);
}

function connectionFailure(error: unknown, url: DatabaseURL, timeoutMs: number): ConnectionError {
  const message = (error as Error).message ?? String(error);
  const reason = /timeout expired|Connection terminated due to connection timeout/.test(message)
    ? `timed out after ${timeoutMs} ms connecting (no answer from a PostgreSQL server at that address; set connectTimeoutMs to wait longer)`
    : /ECONNREFUSED/.test(message)
      ? `connection refused (nothing listens on ${url.address})`
      : (error as { code?: string }).code === undefined && !/terminated/.test(message)
        ? `the server there does not speak PostgreSQL's protocol (${message}): is it another kind of server? Check the port`
        : message.replaceAll(url.password || "\0", "***");
  return new ConnectionError(`Cannot connect to PostgreSQL at ${url.address} (database "${url.database}"): ${reason}`, {
    cause: error,
  });
}
