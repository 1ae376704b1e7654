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
import { historicalModels } from "./historical.js";
import type { ProjectState } from "./state.js";

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

  createModel(state: ProjectState, name: string): string[] {
    return this.model(state, name, (meta) => createTableStatements(meta, this.dialect).map((statement) => statement.sql));
  }

  deleteModel(state: ProjectState, name: string): string[] {
    return this.model(state, name, (meta) => [dropTableStatement(meta, this.dialect).sql]);
  }

  renameTable(from: string, to: string): string[] {
    return from === to ? [] : [`ALTER TABLE ${this.dialect.quote(from)} RENAME TO ${this.dialect.quote(to)}`];
  }

  /** `fill`: the value rows already in the table get, where the field keeps no default of its own. */
  addField(before: ProjectState, after: ProjectState, model: string, name: string, fill?: unknown): string[] {
    return this.#both(before, after, model, (from, to) => {
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
      const field = from.field(name);
      return this.dialect.migrations.dropColumn(from.tablename, field.column, field) ?? this.rebuild(from, to);
    });
  }

  renameField(before: ProjectState, after: ProjectState, model: string, oldName: string, newName: string): string[] {
    return this.#both(before, after, model, (from, to) => {
      const [oldColumn, newColumn] = [from.field(oldName).column, to.field(newName).column];
      if (oldColumn === newColumn) return [];
      return [`ALTER TABLE ${this.dialect.quote(to.tablename)} RENAME COLUMN ${this.dialect.quote(oldColumn)} TO ${this.dialect.quote(newColumn)}`];
    });
  }

  alterField(before: ProjectState, after: ProjectState, model: string, name: string): string[] {
    return this.#both(before, after, model, (from, to) => {
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
