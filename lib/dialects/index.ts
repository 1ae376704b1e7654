import type { DialectName } from "../url.js";
import type { Dialect } from "./dialect.js";
import { mysqlDialect } from "./mysql.js";
import { postgresqlDialect } from "./postgresql.js";
import { sqliteDialect } from "./sqlite.js";

/** A fourth database is one more dialect file, one more driver file, and one line here. */
export const dialects: Record<DialectName, Dialect> = {
  sqlite: sqliteDialect,
  postgresql: postgresqlDialect,
  mysql: mysqlDialect,
};

export type { Dialect, IsolationLevel } from "./dialect.js";
