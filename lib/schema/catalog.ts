import type { Database } from "../database.js";
import type { CatalogQuery, TableSchema } from "../dialects/catalog.js";
import type { DialectName } from "../url.js";

/** A database's tables as its catalog states them, sorted so that two catalogs compare with a deep equality. */
export interface Catalog {
  readonly dialect: DialectName;
  /** By name; within each, keys, indexes and constraints sorted by their columns. */
  readonly tables: readonly TableSchema[];
}

export interface ReadCatalogOptions {
  /** Only these tables. */
  tables?: readonly string[];
  /** Leave these tables out (quarry's own migration history, say). */
  exclude?: readonly string[];
}

/**
 * Reads the catalog of the schema `database` connects to (PostgreSQL's `?schema=`, MySQL's database, the SQLite
 * file): tables, columns with their types, nullability and defaults, primary and foreign keys, unique
 * constraints, indexes and CHECKs. Read-only.
 */
export async function readCatalog(database: Database, options: ReadCatalogOptions = {}): Promise<Catalog> {
  const query: CatalogQuery = (statement) => database.query(statement);
  const wanted = (name: string) => (!options.tables || options.tables.includes(name)) && !options.exclude?.includes(name);
  const tables = (await database.dialect.catalog.readTables(query)).filter((table) => wanted(table.name));
  return { dialect: database.dialect.name, tables: tables.map(sortedTable).sort(byKey((table) => table.name)) };
}

function sortedTable(table: TableSchema): TableSchema {
  const byColumns = byKey((item: { columns: readonly string[] }) => item.columns.join("\u0000"));
  return {
    ...table,
    foreignKeys: [...table.foreignKeys].sort(byColumns),
    uniques: [...table.uniques].sort(byColumns),
    indexes: [...table.indexes].sort(byColumns),
    checks: [...table.checks].sort(byKey((check) => check.expression)),
  };
}

function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}
