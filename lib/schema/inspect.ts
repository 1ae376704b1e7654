import type { CheckSchema, ColumnSchema, ForeignKeySchema, TableSchema, TypeName } from "../dialects/catalog.js";
import { snakeCase } from "../model/model.js";
import { schemaName } from "../model/options.js";
import type { Catalog } from "./catalog.js";
import { camelCase, freeName, pascalCase, RESERVED_WORDS } from "./names.js";

/** Names an instance keeps for itself (Model.define refuses them as field names). */
const INSTANCE_NAMES = new Set(["pk", "save", "update", "delete", "load", "toJSON", "toString", "constructor", "then", "objects"]);
/** Names the generated module declares besides its models. */
const MODULE_NAMES = new Set(["orm", "database", "process"]);

export interface InspectOptions {
  /** The URL the generated module connects to when QUARRY_DATABASE_URL is not set; printable (no password). */
  readonly url: string;
}

/** One field of a model to be: its name, its constructor's call (`orm.String({ maxLength: 120, column: "Title" })`), and what the reader must know. */
interface FieldPlan {
  readonly name: string;
  readonly column: ColumnSchema;
  readonly callee: string;
  /** Arguments before the options object: a foreign key's model, an Enum's choices. */
  readonly leading: readonly string[];
  readonly options: string[];
  readonly notes: readonly string[];
  /** The target of a foreign key field. */
  readonly target?: ModelPlan;
  readonly oneToOne?: boolean;
}

interface ModelPlan {
  readonly table: TableSchema;
  readonly name: string;
  fields: FieldPlan[];
  readonly notes: string[];
  /** CHECKs that Enum fields state. */
  readonly stated: Set<CheckSchema>;
  /** Reverse relations other models' foreign keys and many-to-manys add here: `declare tracks: orm.RelatedManager<Track>`. */
  readonly reverse: { name: string; source: string; kind: "one" | "many" | "manyToMany" }[];
  /** Many-to-manys declared here, each through a join table of its own. */
  readonly manyToMany: ManyToManyPlan[];
}

/** A table that only joins two others: a key to each, each pair once, at most a key of its own besides. */
interface JoinTable {
  readonly join: ModelPlan;
  /** The model the ManyToMany is declared on, and its key in the join table. */
  readonly source: ModelPlan;
  readonly sourceKey: ForeignKeySchema;
  readonly target: ModelPlan;
  readonly targetKey: ForeignKeySchema;
  /** The field's name where quarry would make this very table for it (`<table>_<field>`): no through model then. */
  readonly derivedField?: string;
}

interface ManyToManyPlan {
  readonly name: string;
  readonly target: ModelPlan;
  /** The target as the field names it: its class where it is defined before, else its name. */
  readonly reference: string;
  /** The join model's name, where the table is not the one quarry would make. */
  readonly through?: string;
  readonly relatedName?: string;
}

/** A single-column foreign key quarry can state: to the primary key of a table being inspected. */
interface UsableKey {
  readonly key: ForeignKeySchema;
  readonly target: ModelPlan;
}

/**
 * A TypeScript module of `Model.define` calls for the tables of `catalog`, in dependency order (a model after
 * those its foreign keys reference, so it can name them by their class). Whatever quarry cannot state (a
 * composite key, a type it has no field for, a CHECK other than a list of choices, an expression default) is
 * said in a comment above its model, never left out silently.
 */
export function modelsModule(catalog: Catalog, options: InspectOptions): string {
  const plans = planModels(catalog);
  const lines = [
    `// Models of ${catalog.tables.length} table${catalog.tables.length === 1 ? "" : "s"}, written by \`quarry inspectdb\` from the ${catalog.dialect} database's catalog.`,
    "// Review them: the comments say what the schema states that these models do not.",
    'import * as orm from "quarry";',
    "",
    `export const database = new orm.Database(process.env.QUARRY_DATABASE_URL ?? ${JSON.stringify(options.url)});`,
  ];
  for (const plan of plans) lines.push("", ...modelSource(plan));
  return `${lines.join("\n")}\n`;
}

function planModels(catalog: Catalog): ModelPlan[] {
  const taken = new Set([...MODULE_NAMES, ...RESERVED_WORDS]);
  const byTable = new Map<string, ModelPlan>();
  for (const table of catalog.tables) {
    const name = freeName(pascalCase(table.name), taken, "Model");
    taken.add(name);
    byTable.set(table.name, { table, name, fields: [], notes: [], reverse: [], stated: new Set(), manyToMany: [] });
  }
  const joins = joinTables(byTable);
  const ordered = dependencyOrder([...byTable.values()], byTable, joins);
  const position = new Map(ordered.map((plan, index) => [plan, index]));
  for (const plan of ordered) plan.fields = planFields(plan, byTable, position);
  // A join table quarry would make itself is no model of its own: the ManyToMany makes it.
  const written = ordered.filter((plan) => !joins.some((join) => join.join === plan && join.derivedField !== undefined));
  planRelatedNames(written);
  for (const join of joins) planManyToMany(join, position);
  return written;
}

/**
 * The tables that join two inspected tables: two one-column keys to their primary keys, never null, the pair
 * unique, a one-column primary key of the table's own (a composite key of the pair would need a through model keyed
 * by two columns, which quarry's models are not), and no other table referencing them. The first key in column
 * order is the ManyToMany's side, unless quarry's own naming says otherwise.
 */
function joinTables(byTable: ReadonlyMap<string, ModelPlan>): JoinTable[] {
  const joins: JoinTable[] = [];
  const referenced = new Set([...byTable.values()].flatMap((plan) => plan.table.foreignKeys.map((key) => key.referencedTable)));
  for (const join of byTable.values()) {
    const { table } = join;
    const position = (key: ForeignKeySchema) => table.columns.findIndex((column) => column.name === key.columns[0]);
    const keys = [...table.foreignKeys].sort((a, b) => position(a) - position(b));
    if (keys.length !== 2 || referenced.has(table.name) || table.checks.length > 0 || table.primaryKey.length !== 1) continue;
    const columns = keys.map((key) => key.columns[0]!);
    const usable = keys.map((key) => usableKey(join, key.columns[0]!, byTable));
    if (keys.some((key) => key.columns.length !== 1) || !usable[0] || !usable[1] || columns[0] === columns[1]) continue;
    if (columns.includes(table.primaryKey[0]!) || usable.some((key) => key!.target === join)) continue;
    if (table.columns.some((column) => columns.includes(column.name) && column.nullable)) continue;
    const pair = (names: readonly string[]) => names.length === 2 && columns.every((name) => names.includes(name));
    if (!table.uniques.some((unique) => pair(unique.columns)) && !table.indexes.some((index) => index.unique && !index.where && pair(index.columns))) continue;
    // Only a table of the two keys and an id, with no index beyond the pair's and the keys' own, can be quarry's own.
    const bare = table.columns.length === 3 && table.indexes.every((index) => pair(index.columns) || (index.columns.length === 1 && columns.includes(index.columns[0]!)));
    const orientations: [number, number][] = [[0, 1], [1, 0]];
    const derived = orientations
      .filter(() => bare)
      .map(([from, to]) => ({ from, to, field: derivedField(table, usable[from]!.target, keys[from]!, usable[to]!.target, keys[to]!) }))
      .find((candidate) => candidate.field !== undefined);
    const [from, to] = derived ? [derived.from, derived.to] : [0, 1];
    joins.push({ join, source: usable[from]!.target, sourceKey: keys[from]!, target: usable[to]!.target, targetKey: keys[to]!, derivedField: derived?.field });
  }
  return joins;
}

/**
 * The ManyToMany field quarry would make `table` for: `<source table>_<field>`, an `id` it generates, keys named
 * after the two models (`from_<model>_id`, `to_<model>_id` for "self"), each deleting its links on CASCADE.
 */
function derivedField(table: TableSchema, source: ModelPlan, sourceKey: ForeignKeySchema, target: ModelPlan, targetKey: ForeignKeySchema): string | undefined {
  const prefix = `${source.table.name}_`;
  if (!table.name.startsWith(prefix)) return undefined;
  const field = camelCase(table.name.slice(prefix.length));
  if (snakeCase(field) !== table.name.slice(prefix.length)) return undefined;
  const self = source === target;
  const keyColumn = (name: string) => `${snakeCase(name)}_id`;
  const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
  const expected = self ? [keyColumn(`from${source.name}`), keyColumn(`to${target.name}`)] : [keyColumn(lowerFirst(source.name)), keyColumn(lowerFirst(target.name))];
  if (sourceKey.columns[0] !== expected[0] || targetKey.columns[0] !== expected[1]) return undefined;
  const id = table.columns.find((column) => column.name === table.primaryKey[0]);
  if (id?.name !== "id" || !id.generated || (id.type.name !== "integer" && id.type.name !== "bigint")) return undefined;
  return sourceKey.onDelete === "CASCADE" && targetKey.onDelete === "CASCADE" ? field : undefined;
}

/**
 * The join table as a ManyToMany on its source: named as quarry named it, or after the target (`tracks`) with the
 * join model as `through`; a relatedName where the default clashes on the target.
 */
function planManyToMany({ join, source, target, derivedField }: JoinTable, position: ReadonlyMap<ModelPlan, number>): void {
  const taken = (plan: ModelPlan) =>
    new Set([...INSTANCE_NAMES, ...plan.fields.map((field) => field.name), ...plan.reverse.map((reverse) => reverse.name), ...plan.manyToMany.map((field) => field.name)]);
  const name = derivedField ?? freeName(`${camelCase(target.name)}s`, taken(source), "Set");
  const fallback = `${source.name.charAt(0).toLowerCase()}${source.name.slice(1)}s`;
  const onTarget = taken(target);
  if (source === target) onTarget.add(name);
  const relatedName = onTarget.has(fallback) ? freeName(`${fallback}By${pascalCase(name)}`, onTarget, "") : undefined;
  const reference = target === source ? '"self"' : position.get(target)! < position.get(source)! ? target.name : JSON.stringify(target.name);
  source.manyToMany.push({ name, target, reference, through: derivedField === undefined ? join.name : undefined, relatedName });
  target.reverse.push({ name: relatedName ?? fallback, source: source.name, kind: "manyToMany" });
}

/**
 * Each model after the models its foreign keys reference, and a many-to-many's model after its target (so that it
 * names its class); a cycle is broken where it closes (the key then names its model by string).
 */
function dependencyOrder(plans: readonly ModelPlan[], byTable: ReadonlyMap<string, ModelPlan>, joins: readonly JoinTable[]): ModelPlan[] {
  const ordered: ModelPlan[] = [];
  const state = new Map<ModelPlan, "visiting" | "done">();
  const visit = (plan: ModelPlan) => {
    if (state.has(plan)) return;
    state.set(plan, "visiting");
    for (const key of plan.table.foreignKeys) {
      const target = byTable.get(key.referencedTable);
      if (target && target !== plan) visit(target);
    }
    for (const join of joins) if (join.source === plan && join.target !== plan) visit(join.target);
    state.set(plan, "done");
    ordered.push(plan);
  };
  plans.forEach(visit);
  return ordered;
}

function usableKey(plan: ModelPlan, column: string, byTable: ReadonlyMap<string, ModelPlan>): UsableKey | undefined {
  const key = plan.table.foreignKeys.find((candidate) => candidate.columns.length === 1 && candidate.columns[0] === column);
  const target = key && byTable.get(key.referencedTable);
  if (!key || !target) return undefined;
  const targetKey = target.table.primaryKey;
  // quarry's foreign key holds its target's primary key (the first column of a composite one stands for it).
  return targetKey[0] === key.referencedColumns[0] ? { key, target } : undefined;
}

function planFields(plan: ModelPlan, byTable: ReadonlyMap<string, ModelPlan>, position: ReadonlyMap<ModelPlan, number>): FieldPlan[] {
  const { table } = plan;
  const primaryColumn = table.primaryKey[0];
  if (table.primaryKey.length > 1) {
    plan.notes.push(
      `The primary key is (${table.primaryKey.join(", ")}); quarry's keys are one column, so ${primaryColumn} stands for it here: ` +
        `get({ pk }) and save() by it alone are not unique.`,
    );
  }
  if (table.primaryKey.length === 0) {
    plan.notes.push(`${table.name} has no primary key; quarry needs one, so its first column stands for it here.`);
  }
  const keyColumn = primaryColumn ?? table.columns[0]?.name;
  for (const key of table.foreignKeys) {
    const usable = key.columns.length === 1 && usableKey(plan, key.columns[0]!, byTable);
    if (!usable) {
      plan.notes.push(
        `Foreign key (${key.columns.join(", ")}) references ${key.referencedTable} (${key.referencedColumns.join(", ")}) on delete ${key.onDelete}: ` +
          (byTable.has(key.referencedTable) ? "quarry's foreign keys are one column holding the related primary key" : `${key.referencedTable} is not among the tables inspected`) +
          ", so its columns are plain fields here.",
      );
    }
  }
  const taken = new Set<string>(INSTANCE_NAMES);
  const fields: FieldPlan[] = [];
  for (const column of table.columns) {
    const isKey = column.name === keyColumn;
    const usable = isKey ? undefined : usableKey(plan, column.name, byTable);
    if (isKey && usableKey(plan, column.name, byTable)) {
      plan.notes.push(`${column.name} is both the primary key and a foreign key; quarry's foreign keys cannot be keys, so it is a plain field here.`);
    }
    const stem = usable ? column.name.replace(/_?id$/i, "") || column.name : column.name;
    const name = freeName(camelCase(stem), taken, "Field");
    taken.add(name);
    fields.push(usable ? foreignKeyField(plan, name, column, usable, position) : plainField(plan, name, column, isKey));
  }
  return fields;
}

function plainField(plan: ModelPlan, name: string, column: ColumnSchema, primaryKey: boolean): FieldPlan {
  const notes: string[] = [];
  const options: string[] = [];
  const choices = enumChoices(plan.table, column.name);
  if (choices) plan.stated.add(choices.check);
  const { constructor, options: typeOptions, kind } = choices ? { constructor: "Enum", options: [], kind: "string" as const } : fieldType(column, notes);
  options.push(...typeOptions);
  if (primaryKey) {
    options.push("primaryKey: true");
    if (!column.generated && (kind === "integer" || kind === "bigint")) {
      notes.push(`the database does not generate ${column.name}, but quarry expects it to for an integer key: give it to create()`);
    }
  } else if (column.nullable) options.push("allowNull: true");
  const fallback = column.default === null || primaryKey ? undefined : defaultOption(column, kind, notes);
  if (fallback) options.push(fallback);
  if (!primaryKey && isUnique(plan.table, column.name)) options.push("unique: true");
  if (!primaryKey && isIndexed(plan.table, column.name)) options.push("index: true");
  if (column.name !== name) options.push(`column: ${JSON.stringify(column.name)}`);
  const leading = choices ? [`[${choices.values.map((choice) => JSON.stringify(choice)).join(", ")}]`] : [];
  return { name, column, callee: `orm.${constructor}`, leading, options, notes };
}

function foreignKeyField(plan: ModelPlan, name: string, column: ColumnSchema, usable: UsableKey, position: ReadonlyMap<ModelPlan, number>): FieldPlan {
  const notes: string[] = [];
  const { key, target } = usable;
  const reference =
    target === plan ? '"self"' : position.get(target)! < position.get(plan)! ? target.name : JSON.stringify(target.name);
  const onDelete = { CASCADE: "CASCADE", "SET NULL": "SET NULL", RESTRICT: "RESTRICT", "NO ACTION": "RESTRICT", "SET DEFAULT": "RESTRICT" }[key.onDelete];
  if (key.onDelete === "SET DEFAULT") notes.push(`ON DELETE SET DEFAULT has no quarry equivalent: RESTRICT here`);
  const options: string[] = [];
  if (onDelete !== "CASCADE") options.push(`onDelete: ${JSON.stringify(onDelete)}`);
  if (column.nullable) options.push("allowNull: true");
  if (column.name !== `${name}_id`) options.push(`column: ${JSON.stringify(column.name)}`);
  if (column.default !== null) notes.push(`its DEFAULT ${column.default} is not stated here`);
  // A unique foreign key is a one-to-one relation.
  const oneToOne = isUnique(plan.table, column.name);
  return { name, column, callee: oneToOne ? "orm.OneToOne" : "orm.ForeignKey", leading: [reference], options, notes, target, oneToOne };
}

type FieldKind = "integer" | "bigint" | "float" | "decimal" | "boolean" | "string" | "date" | "time" | "datetime" | "json" | "other";

/** Column types whose field takes no argument: the constructor, and what kind of value it holds (for defaults). */
const PLAIN_FIELDS: Partial<Record<TypeName, readonly [string, FieldKind]>> = {
  smallint: ["Integer", "integer"],
  integer: ["Integer", "integer"],
  bigint: ["BigInteger", "bigint"],
  real: ["Float", "float"],
  double: ["Float", "float"],
  boolean: ["Boolean", "boolean"],
  text: ["Text", "string"],
  date: ["Date", "date"],
  time: ["Time", "time"],
  timestamp: ["DateTime", "datetime"],
  timestamptz: ["DateTime", "datetime"],
  json: ["JSON", "json"],
  uuid: ["UUID", "string"],
};

/** The field a user would choose for a column type; for a type quarry has no field for, Text and a note. */
function fieldType(column: ColumnSchema, notes: string[]): { constructor: string; options: string[]; kind: FieldKind } {
  const { type } = column;
  const plain = PLAIN_FIELDS[type.name];
  if (plain) return { constructor: plain[0], options: [], kind: plain[1] };
  if (type.name === "numeric" && type.precision !== undefined) {
    return { constructor: "Decimal", options: [`maxDigits: ${type.precision}`, `decimalPlaces: ${type.scale ?? 0}`], kind: "decimal" };
  }
  if ((type.name === "char" || type.name === "varchar") && type.length !== undefined) {
    if (type.name === "char") notes.push(`${type.declared} pads its values with spaces; String reads them as stored`);
    return { constructor: "String", options: [`maxLength: ${type.length}`], kind: "string" };
  }
  if (type.name === "varchar") return { constructor: "Text", options: [], kind: "string" };
  notes.push(
    type.name === "numeric"
      ? `${type.declared} without a precision: read as Text, since Decimal needs maxDigits and decimalPlaces`
      : `type ${type.declared || "(none)"} has no quarry field: read as Text, a guess`,
  );
  return { constructor: "Text", options: [], kind: "other" };
}

/** A constant DEFAULT as the field's `default`, CURRENT_TIMESTAMP as autoNowAdd; anything else is noted. */
function defaultOption(column: ColumnSchema, kind: FieldKind, notes: string[]): string | undefined {
  const text = stripCasts(column.default!);
  const quoted = /^'((?:[^']|'')*)'$/.exec(text)?.[1]?.replace(/''/g, "'");
  const number = /^[-+]?\d+(\.\d+)?$/.test(text) ? text : undefined;
  if (kind === "datetime" && /^(current_timestamp|now)(\(\d*\))?$/i.test(text)) return "autoNowAdd: true";
  if (kind === "boolean" && /^(true|false|1|0|'1'|'0')$/i.test(text)) return `default: ${/^(true|1|'1')$/i.test(text)}`;
  if ((kind === "integer" || kind === "float") && (number ?? quoted) !== undefined && Number.isFinite(Number(number ?? quoted))) {
    return `default: ${Number(number ?? quoted)}`;
  }
  if (kind === "bigint" && /^[-+]?\d+$/.test(number ?? quoted ?? "")) return `default: ${BigInt(number ?? quoted!)}n`;
  if (kind === "decimal" && (number ?? quoted) !== undefined) return `default: ${JSON.stringify(number ?? quoted)}`;
  if ((kind === "string" || kind === "date" || kind === "time") && quoted !== undefined) return `default: ${JSON.stringify(quoted)}`;
  notes.push(`DEFAULT ${column.default} is left to the database (quarry sends a value for every field it has)`);
  return undefined;
}

/** PostgreSQL writes a default's type after it ('x'::character varying) and may wrap it in parentheses. */
function stripCasts(text: string): string {
  let current = text.trim();
  for (;;) {
    const next = current.replace(/::[a-z ]+(\(\d+(,\s*\d+)?\))?(\[\])?$/i, "").replace(/^\((.*)\)$/s, "$1").trim();
    if (next === current) return current;
    current = next;
  }
}

/**
 * The choices of a CHECK that only lists them (`col IN ('a', 'b')`, PostgreSQL's `col = ANY (ARRAY['a', 'b'])`),
 * which Enum states; other CHECKs are noted on the model.
 */
function enumChoices(table: TableSchema, column: string): { values: string[]; check: CheckSchema } | undefined {
  for (const check of table.checks) {
    const literals: string[] = [];
    const shape = check.expression
      .replace(/'((?:[^']|'')*)'/g, (_, literal: string) => `\u0001${literals.push(literal.replace(/''/g, "'")) - 1}\u0002`)
      .replace(/::[a-z]+(?: [a-z]+)*(\[\])?/gi, "")
      .replace(/[`"()[\]]/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    const match = /^(\S+) (?:IN|= ANY ARRAY) (\u0001\d+\u0002(?: ?, ?\u0001\d+\u0002)*)$/i.exec(shape);
    if (match?.[1] === column) return { values: [...match[2]!.matchAll(/\u0001(\d+)\u0002/g)].map(([, index]) => literals[Number(index)]!), check };
  }
  return undefined;
}

function isUnique(table: TableSchema, column: string): boolean {
  const single = (columns: readonly string[]) => columns.length === 1 && columns[0] === column;
  return table.uniques.some((unique) => single(unique.columns)) || table.indexes.some((index) => index.unique && !index.where && single(index.columns));
}

function isIndexed(table: TableSchema, column: string): boolean {
  return table.indexes.some((index) => !index.unique && !index.where && index.columns.length === 1 && index.columns[0] === column);
}

/**
 * Reverse relation names: the source model's name in camelCase plus "s" (quarry's default) unless that clashes
 * (without the "s" for a one-to-one) unless that clashes with a field of the target or another reverse relation
 * there; then `<source>sBy<Field>`.
 */
function planRelatedNames(plans: readonly ModelPlan[]): void {
  for (const plan of plans) {
    for (const field of plan.fields) {
      const { target } = field;
      if (!target) continue;
      const taken = new Set([...INSTANCE_NAMES, ...target.fields.map((other) => other.name), ...target.reverse.map((reverse) => reverse.name)]);
      const fallback = `${camelCase(plan.name)}${field.oneToOne ? "" : "s"}`;
      const name = taken.has(fallback) ? freeName(`${fallback}By${pascalCase(field.name)}`, taken, "") : fallback;
      target.reverse.push({ name, source: plan.name, kind: field.oneToOne ? "one" : "many" });
      if (name !== fallback) field.options.unshift(`relatedName: ${JSON.stringify(name)}`);
    }
  }
}

/** `, name: "..."` where the database's name is not the one quarry would give (an unnamed one, "", takes quarry's). */
function nameOption(name: string, quarrys: string): string {
  return name === quarrys || name === "" ? "" : `, name: ${JSON.stringify(name)}`;
}

function modelSource(plan: ModelPlan): string[] {
  const lines: string[] = [];
  const notes = [...plan.notes];
  for (const check of plan.table.checks.filter((candidate) => !plan.stated.has(candidate))) {
    notes.push(`CHECK ${check.expression} is not stated here (the database still enforces it)`);
  }
  const fieldOf = (column: string) => plan.fields.find((field) => field.column.name === column)?.name;
  const named = (columns: readonly string[]) => (columns.every((column) => fieldOf(column) !== undefined) ? columns.map((column) => JSON.stringify(fieldOf(column))) : undefined);
  const constraints: string[] = [];
  for (const unique of plan.table.uniques.filter((candidate) => candidate.columns.length > 1)) {
    const fields = named(unique.columns);
    if (!fields) notes.push(`UNIQUE (${unique.columns.join(", ")}) is not stated here (the database still enforces it)`);
    else constraints.push(`{ unique: [${fields.join(", ")}]${nameOption(unique.name, schemaName(plan.table.name, unique.columns, "uniq"))} }`);
  }
  const indexes: string[] = [];
  for (const index of plan.table.indexes.filter((candidate) => candidate.columns.length > 1 || candidate.where)) {
    const fields = index.where ? undefined : named(index.columns);
    if (!fields) notes.push(`index ${index.name} on (${index.columns.join(", ")})${index.where ? ` where ${index.where}` : ""} is not stated here`);
    else indexes.push(`{ fields: [${fields.join(", ")}]${nameOption(index.name, schemaName(plan.table.name, index.columns, "idx"))}${index.unique ? ", unique: true" : ""} }`);
  }
  for (const field of plan.fields) for (const note of field.notes) notes.push(`${field.name}: ${note}`);
  for (const note of notes) lines.push(`// ${note}`);
  const tablename = snakeCase(plan.name) === plan.table.name ? "" : `, tablename: ${JSON.stringify(plan.table.name)}`;
  lines.push(`export class ${plan.name} extends orm.Model.define(${JSON.stringify(plan.name)}, {`);
  for (const field of plan.fields) {
    const args = [...field.leading, ...(field.options.length > 0 ? [`{ ${field.options.join(", ")} }`] : [])];
    lines.push(`  ${field.name}: ${field.callee}(${args.join(", ")}),`);
  }
  for (const many of plan.manyToMany) {
    const options = [...(many.through ? [`through: ${JSON.stringify(many.through)}`] : []), ...(many.relatedName ? [`relatedName: ${JSON.stringify(many.relatedName)}`] : [])];
    lines.push(`  ${many.name}: orm.ManyToMany(${[many.reference, ...(options.length > 0 ? [`{ ${options.join(", ")} }`] : [])].join(", ")}),`);
  }
  const options = [
    ...(constraints.length > 0 ? [`constraints: [${constraints.join(", ")}]`] : []),
    ...(indexes.length > 0 ? [`indexes: [${indexes.join(", ")}]`] : []),
  ];
  lines.push(`}, { database${tablename}${options.map((option) => `, ${option}`).join("")} }) {`);
  lines.push(`  declare static objects: orm.Manager<${plan.name}>;`);
  const manager = { one: "RelatedOne", many: "RelatedManager", manyToMany: "ManyRelatedManager" } as const;
  for (const reverse of plan.reverse) lines.push(`  declare ${reverse.name}: orm.${manager[reverse.kind]}<${reverse.source}>;`);
  // A target named by string types the manager loosely: the class states it.
  for (const many of plan.manyToMany.filter((field) => field.reference.startsWith('"') && field.target !== plan)) {
    lines.push(`  declare ${many.name}: orm.ManyRelatedManager<${many.target.name}>;`);
  }
  lines.push("}");
  return lines;
}
