import { createHash } from "node:crypto";
import { raw, type Sql } from "sql-template-tag";
import type { Dialect } from "../dialects/dialect.js";
import { EnumField, type Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";

/** A foreign key as the schema states it; relation fields provide one. */
export interface ForeignKeyConstraint {
  readonly target: ModelMeta;
  readonly onDelete: string;
}

function foreignKeyOf(field: Field): ForeignKeyConstraint | undefined {
  return (field as Field & { foreignKey?: ForeignKeyConstraint }).foreignKey;
}

function columnDefinition(field: Field, dialect: Dialect): string {
  const name = dialect.quote(field.column);
  if (field.primaryKey && field.generated) return `${name} ${dialect.autoPrimaryKey(field)}`;
  const parts = [name, dialect.columnType(field.typeSource)];
  if (field.primaryKey) parts.push("PRIMARY KEY");
  else if (!field.allowNull) parts.push("NOT NULL");
  if (field.options.unique && !field.primaryKey) parts.push("UNIQUE");
  const fallback = field.schemaDefault;
  if (fallback !== undefined && fallback !== null) {
    parts.push(`DEFAULT ${dialect.literal(dialect.codec(field.kind).encode(field.validate(fallback), field))}`);
  }
  if (field instanceof EnumField) {
    parts.push(`CHECK (${name} IN (${field.choices.map((choice) => dialect.literal(choice)).join(", ")}))`);
  }
  return parts.join(" ");
}

/** Index names are capped at 63 characters (PostgreSQL) and 64 (MySQL): long ones end in a hash instead. */
function indexName(table: string, column: string): string {
  const name = `${table}_${column}_idx`;
  if (name.length <= 60) return name;
  return `${name.slice(0, 50)}_${createHash("sha1").update(name).digest("hex").slice(0, 8)}`;
}

export function createTableStatements(meta: ModelMeta, dialect: Dialect): Sql[] {
  const table = dialect.quote(meta.tablename);
  const definitions = meta.columns.map((field) => columnDefinition(field, dialect));
  for (const field of meta.columns) {
    const foreignKey = foreignKeyOf(field);
    if (!foreignKey) continue;
    definitions.push(
      `FOREIGN KEY (${dialect.quote(field.column)}) REFERENCES ${dialect.quote(foreignKey.target.tablename)} ` +
        `(${dialect.quote(foreignKey.target.pk.column)}) ON DELETE ${foreignKey.onDelete}`,
    );
  }
  const statements = [raw(`CREATE TABLE IF NOT EXISTS ${table} (\n  ${definitions.join(",\n  ")}\n)${dialect.tableOptions}`)];
  for (const field of meta.columns) {
    // Unique columns and keys are indexed already; a foreign key is indexed because joins and cascades read it.
    const indexedForeignKey = foreignKeyOf(field) && !dialect.indexesForeignKeys;
    if (field.primaryKey || field.options.unique || !(field.options.index || indexedForeignKey)) continue;
    const name = dialect.quote(indexName(meta.tablename, field.column));
    statements.push(raw(`CREATE INDEX IF NOT EXISTS ${name} ON ${table} (${dialect.quote(field.column)})`));
  }
  return statements;
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
