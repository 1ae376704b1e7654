/** Where the bench connects, and the names it owns (created at start, dropped at the end). */
import path from "node:path";
import { fileURLToPath } from "node:url";

export type Dialect = "sqlite" | "postgresql" | "mysql";
export const DIALECTS: Dialect[] = ["sqlite", "postgresql", "mysql"];

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DATA_DIR = path.join(BENCH_DIR, ".data");
export const RESULTS_DIR = path.join(BENCH_DIR, "results");

/** The database name used on every server (a file name on SQLite). */
export const DB_NAME = "quarry_bench";
/** Connections per tool pool on the servers: 8 tools x 5 stays below PostgreSQL's default 100. */
export const POOL_MAX = 5;

export interface DbConfig {
  dialect: Dialect;
  /** URL in quarry's format (SPEC section 2). */
  url: string;
  /** Absolute file path (SQLite only). */
  file?: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  poolMax: number;
}

const PG_HOST = process.env.BENCH_PG_HOST ?? "127.0.0.1";
const PG_PORT = Number(process.env.BENCH_PG_PORT ?? 5432);
const PG_USER = process.env.BENCH_PG_USER ?? "postgres";
const MY_HOST = process.env.BENCH_MYSQL_HOST ?? "127.0.0.1";
const MY_PORT = Number(process.env.BENCH_MYSQL_PORT ?? 3306);
const MY_USER = process.env.BENCH_MYSQL_USER ?? "root";

export function dbConfig(dialect: Dialect): DbConfig {
  switch (dialect) {
    case "sqlite": {
      const file = path.join(DATA_DIR, `${DB_NAME}.sqlite`);
      return { dialect, url: `sqlite:///${file}`, file, host: "", port: 0, user: "", password: "", database: DB_NAME, poolMax: 1 };
    }
    case "postgresql":
      return {
        dialect, url: `postgresql://${PG_USER}@${PG_HOST}:${PG_PORT}/${DB_NAME}`,
        host: PG_HOST, port: PG_PORT, user: PG_USER, password: "", database: DB_NAME, poolMax: POOL_MAX,
      };
    case "mysql":
      return {
        dialect, url: `mysql://${MY_USER}@${MY_HOST}:${MY_PORT}/${DB_NAME}`,
        host: MY_HOST, port: MY_PORT, user: MY_USER, password: "", database: DB_NAME, poolMax: POOL_MAX,
      };
  }
}

/** The database each server has before ours exists (used to create and drop ours). */
export const ADMIN_DATABASE = { postgresql: process.env.BENCH_PG_ADMIN_DB ?? "test", mysql: process.env.BENCH_MYSQL_ADMIN_DB ?? "test" };
