import type { ColumnSchema, ColumnTypeSchema, TableSchema } from "../dialects/catalog.js";
import type { Catalog } from "./catalog.js";

/** One way a live catalog differs from the expected one; `description` reads as a sentence. */
export interface CatalogDifference {
  readonly table: string;
  readonly kind: "table" | "column" | "primary key" | "foreign key" | "unique" | "index" | "check";
  /** "added" is in the live catalog only, "missing" in the expected one only, "changed" in both but unlike. */
  readonly change: "added" | "missing" | "changed";
  readonly description: string;
}

/** A type as it compares: its common name and arguments, or the database's own text for types outside the vocabulary. */
export function typeText(type: ColumnTypeSchema): string {
  if (type.name === "other") return type.declared.toLowerCase().replace(/\s+/g, " ");
  const args = [type.length ?? type.precision, type.scale].filter((value) => value !== undefined);
  return args.length > 0 ? `${type.name}(${args.join(", ")})` : type.name;
}

const list = (columns: readonly string[]) => `(${columns.join(", ")})`;

/**
 * Every difference between the catalog expected (what createAll() or the applied migrations give) and the
 * live one. Names the databases make up (constraint names, MySQL's key indexes) are not compared: a key,
 * index or constraint is the same one when it covers the same columns the same way.
 */
export function compareCatalogs(expected: Catalog, actual: Catalog): CatalogDifference[] {
  const differences: CatalogDifference[] = [];
  const live = new Map(actual.tables.map((table) => [table.name, table]));
  const wanted = new Map(expected.tables.map((table) => [table.name, table]));
  for (const table of expected.tables) {
    const found = live.get(table.name);
    if (found) differences.push(...compareTables(table, found));
    else differences.push({ table: table.name, kind: "table", change: "missing", description: `table ${table.name} is missing` });
  }
  for (const table of actual.tables) {
    if (!wanted.has(table.name)) differences.push({ table: table.name, kind: "table", change: "added", description: `table ${table.name} was added` });
  }
  return differences;
}

function compareTables(expected: TableSchema, actual: TableSchema): CatalogDifference[] {
  const differences: CatalogDifference[] = [];
  const at = (kind: CatalogDifference["kind"], change: CatalogDifference["change"], description: string) =>
    differences.push({ table: expected.name, kind, change, description });
  const liveColumns = new Map(actual.columns.map((column) => [column.name, column]));
  for (const column of expected.columns) {
    const found = liveColumns.get(column.name);
    if (!found) at("column", "missing", `column ${expected.name}.${column.name} is missing`);
    else for (const change of columnChanges(column, found)) at("column", "changed", `column ${expected.name}.${column.name}: ${change}`);
  }
  for (const column of actual.columns) {
    if (!expected.columns.some((wanted) => wanted.name === column.name)) {
      at("column", "added", `column ${expected.name}.${column.name} (${typeText(column.type)}) was added`);
    }
  }
  if (list(expected.primaryKey) !== list(actual.primaryKey)) {
    at("primary key", "changed", `primary key of ${expected.name}: expected ${list(expected.primaryKey)}, found ${list(actual.primaryKey)}`);
  }
  const keyOf = (key: TableSchema["foreignKeys"][number]) =>
    `${list(key.columns)} references ${key.referencedTable} ${list(key.referencedColumns)} on delete ${key.onDelete}`;
  compareSets("foreign key", expected.foreignKeys.map(keyOf), actual.foreignKeys.map(keyOf), expected.name, at);
  compareSets("unique", expected.uniques.map((unique) => list(unique.columns)), actual.uniques.map((unique) => list(unique.columns)), expected.name, at);
  const indexOf = (index: TableSchema["indexes"][number]) =>
    `${index.unique ? "unique " : ""}${list(index.columns)}${index.where ? ` where ${index.where}` : ""}`;
  const named = (indexes: TableSchema["indexes"]) => new Map(indexes.map((index) => [indexOf(index), index.name]));
  compareSets("index", expected.indexes.map(indexOf), actual.indexes.map(indexOf), expected.name, at, named(expected.indexes), named(actual.indexes));
  compareSets("check", expected.checks.map((check) => check.expression), actual.checks.map((check) => check.expression), expected.name, at);
  return differences;
}

function columnChanges(expected: ColumnSchema, actual: ColumnSchema): string[] {
  const changes: string[] = [];
  if (typeText(expected.type) !== typeText(actual.type)) {
    changes.push(`type ${typeText(expected.type)} expected, found ${typeText(actual.type)}`);
  }
  if (expected.nullable !== actual.nullable) changes.push(actual.nullable ? "is nullable, expected NOT NULL" : "is NOT NULL, expected nullable");
  if (expected.default !== actual.default) changes.push(`default ${expected.default ?? "none"} expected, found ${actual.default ?? "none"}`);
  if (expected.generated !== actual.generated) changes.push(actual.generated ? "is generated, expected not" : "is not generated, expected generated");
  return changes;
}

function compareSets(
  kind: CatalogDifference["kind"],
  expected: readonly string[],
  actual: readonly string[],
  table: string,
  at: (kind: CatalogDifference["kind"], change: CatalogDifference["change"], description: string) => void,
  expectedNames?: ReadonlyMap<string, string>,
  actualNames?: ReadonlyMap<string, string>,
): void {
  const name = (names: ReadonlyMap<string, string> | undefined, item: string) => (names?.get(item) ? ` ${names.get(item)}` : "");
  for (const item of expected) if (!actual.includes(item)) at(kind, "missing", `${kind}${name(expectedNames, item)} on ${table} ${item} is missing`);
  for (const item of actual) if (!expected.includes(item)) at(kind, "added", `${kind}${name(actualNames, item)} on ${table} ${item} was added`);
}
