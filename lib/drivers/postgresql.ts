import type * as Pg from "pg";
import type PgCursor from "pg-cursor";
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
    connectionTimeoutMillis: options.pool?.acquireTimeoutMs ?? 30_000,
    ssl: (options.ssl ?? (url.params.sslmode === "require" ? { rejectUnauthorized: false } : undefined)) as Pg.PoolConfig["ssl"],
    types,
    options: settings.join(" "),
  });
  // An idle client whose server connection dies emits here; the pool drops it and the next query gets a fresh one.
  pool.on("error", () => {});
  return new PostgresqlDriver(pool, url);
}

class PostgresqlDriver implements Driver {
  constructor(
    private readonly pool: Pg.Pool,
    private readonly url: DatabaseURL,
  ) {}

  async connect(): Promise<void> {
    this.release(await this.acquire());
  }

  async acquire(): Promise<Connection> {
    try {
      return new PostgresqlConnection(await this.pool.connect());
    } catch (error) {
      throw connectionFailure(error, this.url);
    }
  }

  release(connection: Connection, failure?: unknown): void {
    (connection as PostgresqlConnection).client.release(failure instanceof ConnectionError ? (failure as Error) : undefined);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  stats() {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }
}

class PostgresqlConnection implements Connection {
  constructor(readonly client: Pg.PoolClient) {}

  async query(query: CompiledQuery, options?: QueryOptions): Promise<QueryResult> {
    try {
      const result = await this.client.query({
        text: query.text,
        values: query.values as unknown[],
        rowMode: options?.arrayRows ? "array" : undefined,
      } as Pg.QueryConfig);
      return { rows: result.rows, rowsAffected: result.rowCount ?? 0 };
    } catch (error) {
      throw translatePostgresqlError(error);
    }
  }

  async *stream(query: CompiledQuery, batchSize: number, options?: QueryOptions): AsyncIterable<Row | unknown[]> {
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
const RETRYABLE_CODES = new Set(["40001", "40P01"]);

function translatePostgresqlError(error: unknown): Error {
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message;
  const detail = (error as { detail?: string }).detail;
  const text = detail ? `${message} (${detail})` : message;
  if (INTEGRITY_CODES.has(code)) return new IntegrityError(text, { cause: error });
  if (RETRYABLE_CODES.has(code)) return new TransactionError(text, true, { cause: error });
  if (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || isSocketError(error)) {
    return new ConnectionError(`Connection lost: ${message}`, { cause: error });
  }
  if (code.startsWith("25")) return new TransactionError(text, false, { cause: error });
  if (code) return new DatabaseError(text, { cause: error });
  return error instanceof Error ? error : new DatabaseError(String(error), { cause: error });
}

function isSocketError(error: unknown): boolean {
  const message = (error as Error)?.message ?? "";
  return /Connection terminated|ECONNRESET|EPIPE|Client has encountered a connection error/.test(message);
}

function connectionFailure(error: unknown, url: DatabaseURL): ConnectionError {
  const reason = (error as Error).message?.replaceAll(url.password || "\0", "***") ?? String(error);
  return new ConnectionError(`Cannot connect to PostgreSQL at ${url.address} (database "${url.database}"): ${reason}`, {
    cause: error,
  });
}
