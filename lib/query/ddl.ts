import { raw, type Sql } from "sql-template-tag";
import type { Dialect } from "../dialects/dialect.js";
import { EnumField, type Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import { schemaName, type ConstraintSpec, type IndexSpec } from "../model/options.js";
import { QueryCompiler } from "./compiler.js";
import { resolveCondition } from "./where.js";

/** A foreign key as the schema states it; relation fields provide one. */
export interface ForeignKeyConstraint {
  readonly target: ModelMeta;
  readonly onDelete: string;
}

export function foreignKeyOf(field: Field): ForeignKeyConstraint | undefined {
  return (field as Field & { foreignKey?: ForeignKeyConstraint }).foreignKey;
}

/** A column as CREATE TABLE states it; `withUnique: false` leaves UNIQUE out (ALTER statements add it on its own). */
export function columnDefinition(field: Field, dialect: Dialect, withUnique = true): string {
  const name = dialect.quote(field.column);
  if (field.primaryKey && field.generated) return `${name} ${dialect.autoPrimaryKey(field)}`;
  const parts = [name, dialect.columnType(field.typeSource)];
  if (field.primaryKey) parts.push("PRIMARY KEY");
  else if (!field.allowNull) parts.push("NOT NULL");
  if (withUnique && field.options.unique && !field.primaryKey) parts.push("UNIQUE");
  const fallback = field.schemaDefault;
  if (fallback !== undefined && fallback !== null) parts.push(`DEFAULT ${literalFor(field, fallback, dialect)}`);
  if (field instanceof EnumField) {
    parts.push(`CHECK (${name} IN (${field.choices.map((choice) => dialect.literal(choice)).join(", ")}))`);
  }
  return parts.join(" ");
}

/** A value of a field as a SQL literal, for DDL (DEFAULTs), which takes no parameters. */
export function literalFor(field: Field, value: unknown, dialect: Dialect): string {
  return dialect.literal(dialect.codec(field.kind).encode(field.validate(value), field));
}

/** A model option's constraint as CREATE TABLE (or ALTER TABLE ADD) states it: `CONSTRAINT name UNIQUE (...)` or `CHECK (...)`. */
export function constraintDefinition(meta: ModelMeta, constraint: ConstraintSpec, dialect: Dialect): string {
  const name = dialect.quote(constraint.name);
  if (constraint.kind === "unique") return `CONSTRAINT ${name} UNIQUE (${constraint.fields.map((field) => dialect.quote(meta.field(field).column)).join(", ")})`;
  return `CONSTRAINT ${name} CHECK (${checkExpression(meta, constraint.check, dialect)})`;
}

/**
 * A check's condition as SQL text: a string as given; a lookup object compiled as filter() would, over bare
 * column names, its values written in as literals (DDL takes no parameters).
 */
function checkExpression(meta: ModelMeta, check: string | Readonly<Record<string, unknown>>, dialect: Dialect): string {
  if (typeof check === "string") return check;
  const condition = new QueryCompiler(meta, dialect, { alias: "" }).condition(resolveCondition(meta, check));
  return condition.strings.reduce((text, part, index) => text + dialect.literal(condition.values[index - 1]) + part);
}

/** CREATE INDEX for a model option's index. */
export function createIndexStatement(meta: ModelMeta, index: IndexSpec, dialect: Dialect): Sql {
  const columns = index.fields.map((name) => {
    const descending = name.startsWith("-");
    return `${dialect.quote(meta.field(descending ? name.slice(1) : name).column)}${descending ? " DESC" : ""}`;
  });
  return raw(`CREATE ${index.unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS ${dialect.quote(index.name)} ON ${dialect.quote(meta.tablename)} (${columns.join(", ")})`);
}

/** `FOREIGN KEY (column) REFERENCES ...` of a relation field. */
export function foreignKeyDefinition(field: Field, foreignKey: ForeignKeyConstraint, dialect: Dialect): string {
  return (
    `FOREIGN KEY (${dialect.quote(field.column)}) REFERENCES ${dialect.quote(foreignKey.target.tablename)} ` +
    `(${dialect.quote(foreignKey.target.pk.column)}) ON DELETE ${foreignKey.onDelete}`
  );
}

/** CREATE TABLE alone, under `table` (default: the model's; SQLite's table rebuild names a new one). */
export function createTableStatement(meta: ModelMeta, dialect: Dialect, table = meta.tablename): Sql {
  const definitions = meta.columns.map((field) => columnDefinition(field, dialect));
  for (const field of meta.columns) {
    const foreignKey = foreignKeyOf(field);
    if (foreignKey) definitions.push(foreignKeyDefinition(field, foreignKey, dialect));
  }
  for (const constraint of meta.constraints) definitions.push(constraintDefinition(meta, constraint, dialect));
  return raw(`CREATE TABLE IF NOT EXISTS ${dialect.quote(table)} (\n  ${definitions.join(",\n  ")}\n)${dialect.tableOptions}`);
}

/** Whether a field gets an index of its own: asked for, or a foreign key where the database does not index one itself. */
export function needsFieldIndex(field: Field, dialect: Dialect): boolean {
  // Unique columns and keys are indexed already; a foreign key is indexed because joins and cascades read it.
  const indexedForeignKey = foreignKeyOf(field) && !dialect.indexesForeignKeys;
  return !field.primaryKey && !field.options.unique && Boolean(field.options.index || indexedForeignKey);
}

export function fieldIndexName(meta: ModelMeta, field: Field): string {
  return schemaName(meta.tablename, [field.column], "idx");
}

export function createFieldIndexStatement(meta: ModelMeta, field: Field, dialect: Dialect): Sql {
  return raw(`CREATE INDEX IF NOT EXISTS ${dialect.quote(fieldIndexName(meta, field))} ON ${dialect.quote(meta.tablename)} (${dialect.quote(field.column)})`);
}

/** The indexes of a table: its fields' and its model options'. */
export function createIndexStatements(meta: ModelMeta, dialect: Dialect): Sql[] {
  const statements = meta.columns.filter((field) => needsFieldIndex(field, dialect)).map((field) => createFieldIndexStatement(meta, field, dialect));
  for (const index of meta.indexes) statements.push(createIndexStatement(meta, index, dialect));
  return statements;
}

export function createTableStatements(meta: ModelMeta, dialect: Dialect): Sql[] {
  return [createTableStatement(meta, dialect), ...createIndexStatements(meta, dialect)];
}

export function dropTableStatement(meta: ModelMeta, dialect: Dialect): Sql {
  return raw(`DROP TABLE IF EXISTS ${dialect.quote(meta.tablename)}`);
}

/** Models ordered so that every table comes after the tables its foreign keys reference. */
export function sortByDependency(models: readonly ModelMeta[]): ModelMeta[] {
  const sorted: ModelMeta[] = [];
  const visiting = new Set<ModelMeta>();
  const done = new Set<ModelMeta>();
  const visit = (meta: ModelMeta) => {
    if (done.has(meta) || visiting.has(meta)) return; // a cycle (or self-reference) is broken here
    visiting.add(meta);
    for (const field of meta.columns) {
      const target = foreignKeyOf(field)?.target;
      if (target && target !== meta && models.includes(target)) visit(target);
    }
    visiting.delete(meta);
    done.add(meta);
    sorted.push(meta);
  };
  models.forEach(visit);
  return sorted;
}
