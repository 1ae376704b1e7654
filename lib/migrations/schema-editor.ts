import { Database } from "../database.js";
import type { ColumnChange, Dialect } from "../dialects/dialect.js";
import type { Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import type { ConstraintSpec, IndexSpec } from "../model/options.js";
import {
  columnDefinition,
  constraintDefinition,
  createFieldIndexStatement,
  createIndexStatement,
  createIndexStatements,
  createTableStatement,
  createTableStatements,
  dropTableStatement,
  fieldIndexName,
  foreignKeyDefinition,
  foreignKeyOf,
  literalFor,
  needsFieldIndex,
} from "../query/ddl.js";
import type { ManyToManyField, ManyToManyLink } from "../relations/many-to-many.js";
import { MigrationError } from "./errors.js";
import { historicalModels } from "./historical.js";
import type { ProjectState } from "./state.js";

/** The ManyToMany `name` of a historical model, if it is one. */
const manyToManyOf = (meta: ModelMeta, name: string): ManyToManyField | undefined => meta.manyToMany.find((field) => field.name === name);

/** A ManyToMany's link, which the historical models have wired when the state holds the models it names. */
function linkOf(meta: ModelMeta, field: ManyToManyField): ManyToManyLink {
  if (!field.link) {
    throw new MigrationError(`${meta.name}.${field.name}: the migration state lacks a model this ManyToMany names (${[field.related, field.options.through].filter(Boolean).map(String).join(", ")}); create it in an earlier operation`);
  }
  return field.link;
}

/** The join table quarry makes for a ManyToMany without `through`; undefined for a through model's (its own CreateModel makes it). */
const implicitJoin = (meta: ModelMeta, field: ManyToManyField): ModelMeta | undefined => (field.options.through ? undefined : linkOf(meta, field).through);

/**
 * The DDL of each schema change, for one database: the statements come from the models layer's DDL (ddl.ts)
 * and the dialect's ALTER forms, over historical models built from the states before and after.
 */
export class SchemaEditor {
  constructor(readonly dialect: Dialect) {}

  /** Runs `fn` with the historical model `name` of `state` (and the models its keys reach). */
  model<T>(state: ProjectState, name: string, fn: (meta: ModelMeta) => T): T {
    // Defined on a Database of their own, which never connects: two states' models of one name can coexist.
    const built = historicalModels(state, new Database("sqlite::memory:"), [name]);
    try {
      return fn(built.meta(name));
    } finally {
      built.release();
    }
  }

  #both<T>(before: ProjectState, after: ProjectState, name: string, fn: (from: ModelMeta, to: ModelMeta) => T): T {
    return this.model(before, name, (from) => this.model(after, name, (to) => fn(from, to)));
  }

  /** The model's table, then the join tables of its ManyToManys without `through` (the models they name exist by then). */
  createModel(state: ProjectState, name: string): string[] {
    return this.model(state, name, (meta) => [...this.#createTable(meta), ...meta.manyToMany.flatMap((field) => this.#createJoin(meta, field))]);
  }

  /** The join tables of the model's implicit ManyToManys, then its table. */
  deleteModel(state: ProjectState, name: string): string[] {
    return this.model(state, name, (meta) => [...meta.manyToMany.flatMap((field) => this.#dropJoin(meta, field)), dropTableStatement(meta, this.dialect).sql]);
  }

  #createTable(meta: ModelMeta): string[] {
    return createTableStatements(meta, this.dialect).map((statement) => statement.sql);
  }

  /** The join table quarry makes for a ManyToMany, made or dropped; none for a through model's. */
  #createJoin(meta: ModelMeta, field: ManyToManyField): string[] {
    const join = implicitJoin(meta, field);
    return join ? this.#createTable(join) : [];
  }

  #dropJoin(meta: ModelMeta, field: ManyToManyField): string[] {
    const join = implicitJoin(meta, field);
    return join ? [dropTableStatement(join, this.dialect).sql] : [];
  }

  renameTable(from: string, to: string): string[] {
    return from === to ? [] : [`ALTER TABLE ${this.dialect.quote(from)} RENAME TO ${this.dialect.quote(to)}`];
  }

  /**
   * A model renamed: its table, then the join tables quarry made for the ManyToManys on either side of it, whose
   * names (its own) and key columns (`<model>_id`) derive from the model's.
   */
  renameModel(before: ProjectState, after: ProjectState, oldName: string, newName: string): string[] {
    const statements = this.renameTable(before.model(oldName).table, after.model(newName).table);
    for (const model of after.models.values()) {
      for (const [name, field] of Object.entries(model.fields)) {
        if (field.type !== "ManyToMany" || field.through || (model.name !== newName && field.to !== newName)) continue;
        const previous = model.name === newName ? oldName : model.name;
        statements.push(...this.model(before, previous, (from) => this.model(after, model.name, (to) => this.#renameJoin(from, to, name))));
      }
    }
    return statements;
  }

  /** The join table of a ManyToMany renamed from `from`'s to `to`'s, with the key columns whose names changed. */
  #renameJoin(from: ModelMeta, to: ModelMeta, oldName: string, newName = oldName): string[] {
    const [before, after] = [linkOf(from, manyToManyOf(from, oldName)!), linkOf(to, manyToManyOf(to, newName)!)];
    const table = after.through.tablename;
    const statements = this.renameTable(before.through.tablename, table);
    const { renameKeyIndex } = this.dialect.migrations;
    for (const key of ["sourceKey", "targetKey"] as const) {
      const [oldColumn, newColumn] = [before[key].column, after[key].column];
      if (oldColumn === newColumn) continue;
      statements.push(`ALTER TABLE ${this.dialect.quote(table)} RENAME COLUMN ${this.dialect.quote(oldColumn)} TO ${this.dialect.quote(newColumn)}`);
      // The unique pair's index starts with the source key and serves it; the target key has an index of its own.
      if (key === "targetKey" && renameKeyIndex) statements.push(renameKeyIndex(table, oldColumn, newColumn));
    }
    return statements;
  }

  /**
   * A ManyToMany changed. Gaining or losing `through` moves every pair between quarry's join table and the through
   * model's table (which its own CreateModel makes, or DeleteModel drops, around this); `fills` are the values the
   * through model's columns without a default get for the moved rows (SQL literals made from them, by field name).
   * Another target starts an empty join table; a new relatedName or another through model changes no table.
   */
  #alterManyToMany(from: ModelMeta, to: ModelMeta, name: string, fills: Readonly<Record<string, unknown>>): string[] {
    const [old, now] = [manyToManyOf(from, name), manyToManyOf(to, name)];
    if (!old || !now) throw new MigrationError(`AlterField cannot turn ${to.name}.${name} from a column into a ManyToMany or back: remove the field and add it again`);
    const [oldLink, newLink] = [linkOf(from, old), linkOf(to, now)];
    const [oldJoin, newJoin] = [implicitJoin(from, old), implicitJoin(to, now)];
    const sameTarget = oldLink.targetKey.targetMeta.name === newLink.targetKey.targetMeta.name;
    if (oldJoin && newJoin && sameTarget) return [];
    const statements = newJoin ? this.#createTable(newJoin) : [];
    if (sameTarget && (oldJoin || newJoin)) statements.push(this.#copyPairs(oldLink, newLink, fills));
    if (oldJoin) statements.push(dropTableStatement(oldJoin, this.dialect).sql);
    return statements;
  }

  /** INSERT ... SELECT of every pair (each once) from one join table into another, the fills for the other columns. */
  #copyPairs(from: ManyToManyLink, to: ManyToManyLink, fills: Readonly<Record<string, unknown>>): string {
    const quote = (name: string) => this.dialect.quote(name);
    const filled = to.through.columns.filter((field) => field.name in fills && field !== to.sourceKey && field !== to.targetKey);
    const columns = [to.sourceKey.column, to.targetKey.column, ...filled.map((field) => field.column)].map(quote);
    const values = [quote(from.sourceKey.column), quote(from.targetKey.column), ...filled.map((field) => literalFor(field, fills[field.name], this.dialect))];
    return `INSERT INTO ${quote(to.through.tablename)} (${columns.join(", ")}) SELECT DISTINCT ${values.join(", ")} FROM ${quote(from.through.tablename)}`;
  }

  /** `fill`: the value rows already in the table get, where the field keeps no default of its own. */
  addField(before: ProjectState, after: ProjectState, model: string, name: string, fill?: unknown): string[] {
    return this.#both(before, after, model, (from, to) => {
      const relation = manyToManyOf(to, name);
      if (relation) return this.#createJoin(to, relation);
      const field = to.field(name);
      const definition = columnDefinition(field, this.dialect) + (fill !== undefined && field.schemaDefault === undefined ? ` DEFAULT ${literalFor(field, fill, this.dialect)}` : "");
      const foreignKey = foreignKeyOf(field);
      const added = this.dialect.migrations.addColumn(to.tablename, definition, field, foreignKey && foreignKeyDefinition(field, foreignKey, this.dialect));
      if (!added) return this.rebuild(from, to, new Map(fill !== undefined ? [[name, literalFor(field, fill, this.dialect)]] : []));
      const statements = [...added];
      if (fill !== undefined && field.schemaDefault === undefined) {
        statements.push(...(this.dialect.migrations.alterColumn(to.tablename, { ...this.#column(field), default: literalFor(field, fill, this.dialect) }, this.#column(field)) ?? []));
      }
      if (needsFieldIndex(field, this.dialect)) statements.push(createFieldIndexStatement(to, field, this.dialect).sql);
      return statements;
    });
  }

  removeField(before: ProjectState, after: ProjectState, model: string, name: string): string[] {
    return this.#both(before, after, model, (from, to) => {
      const relation = manyToManyOf(from, name);
      if (relation) return this.#dropJoin(from, relation);
      const field = from.field(name);
      return this.dialect.migrations.dropColumn(from.tablename, field.column, field) ?? this.rebuild(from, to);
    });
  }

  renameField(before: ProjectState, after: ProjectState, model: string, oldName: string, newName: string): string[] {
    return this.#both(before, after, model, (from, to) => {
      const relation = manyToManyOf(from, oldName);
      if (relation) return implicitJoin(from, relation) ? this.#renameJoin(from, to, oldName, newName) : [];
      const [oldColumn, newColumn] = [from.field(oldName).column, to.field(newName).column];
      if (oldColumn === newColumn) return [];
      return [`ALTER TABLE ${this.dialect.quote(to.tablename)} RENAME COLUMN ${this.dialect.quote(oldColumn)} TO ${this.dialect.quote(newColumn)}`];
    });
  }

  /** `fills`: for a ManyToMany gaining or losing `through`, see #alterManyToMany. */
  alterField(before: ProjectState, after: ProjectState, model: string, name: string, fills: Readonly<Record<string, unknown>> = {}): string[] {
    return this.#both(before, after, model, (from, to) => {
      if (manyToManyOf(from, name) || manyToManyOf(to, name)) return this.#alterManyToMany(from, to, name, fills);
      const [old, changed] = [from.field(name), to.field(name)];
      const { migrations } = this.dialect;
      const altered = migrations.alterColumn(to.tablename, this.#column(old), this.#column(changed));
      const uniqueChanged = Boolean(old.options.unique) !== Boolean(changed.options.unique);
      if (!altered || (uniqueChanged && !migrations.addUnique)) return this.rebuild(from, to);
      const statements: string[] = [];
      if (needsFieldIndex(old, this.dialect) && !needsFieldIndex(changed, this.dialect)) statements.push(migrations.dropIndex(from.tablename, fieldIndexName(from, old)));
      if (uniqueChanged && old.options.unique) statements.push(migrations.dropUnique!(to.tablename, changed.column));
      statements.push(...altered);
      if (uniqueChanged && changed.options.unique) statements.push(migrations.addUnique!(to.tablename, changed.column));
      if (!needsFieldIndex(old, this.dialect) && needsFieldIndex(changed, this.dialect)) statements.push(createFieldIndexStatement(to, changed, this.dialect).sql);
      return statements;
    });
  }

  addIndex(state: ProjectState, model: string, index: IndexSpec): string[] {
    return this.model(state, model, (meta) => [createIndexStatement(meta, index, this.dialect).sql]);
  }

  removeIndex(state: ProjectState, model: string, name: string): string[] {
    return this.model(state, model, (meta) => [this.dialect.migrations.dropIndex(meta.tablename, name)]);
  }

  /** A model option's constraint added (`adding`) or dropped, between the states before and after. */
  changeConstraint(before: ProjectState, after: ProjectState, model: string, constraint: ConstraintSpec, adding: boolean): string[] {
    return this.#both(before, after, model, (from, to) => {
      const { addConstraint, dropConstraint } = this.dialect.migrations;
      if (!addConstraint || !dropConstraint) return this.rebuild(from, to);
      return [adding ? addConstraint(to.tablename, constraintDefinition(to, constraint, this.dialect)) : dropConstraint(to.tablename, constraint.name, constraint.kind)];
    });
  }

  #column(field: Field): ColumnChange {
    const fallback = field.schemaDefault;
    return {
      column: field.column,
      type: this.dialect.columnType(field.typeSource),
      nullable: field.allowNull,
      default: fallback === undefined || fallback === null ? undefined : literalFor(field, fallback, this.dialect),
      definition: columnDefinition(field, this.dialect, false),
    };
  }

  /**
   * The table made anew as `to` describes it, rows copied from `from`: a field keeps its column's values
   * (found by field name), a new one gets `fills` (SQL literals by field name), else its default, else NULL.
   */
  rebuild(from: ModelMeta, to: ModelMeta, fills: ReadonlyMap<string, string> = new Map()): string[] {
    const rebuildTable = this.dialect.migrations.rebuildTable;
    if (!rebuildTable) throw new Error(`${this.dialect.name} has no table rebuild`);
    const temporary = `__quarry_new_${to.tablename}`;
    const quote = (name: string) => this.dialect.quote(name);
    const expressions = to.columns.map((field) => {
      const old = from.fieldMap.get(field.name);
      if (old) return quote(old.column);
      if (fills.has(field.name)) return fills.get(field.name)!;
      const fallback = field.schemaDefault;
      return fallback === undefined || fallback === null ? "NULL" : literalFor(field, fallback, this.dialect);
    });
    return rebuildTable(
      to.tablename,
      temporary,
      createTableStatement(to, this.dialect, temporary).sql,
      to.columns.map((field) => field.column),
      expressions,
      createIndexStatements(to, this.dialect).map((statement) => statement.sql),
    );
  }
}
