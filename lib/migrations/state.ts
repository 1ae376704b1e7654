import type { ColumnKind, Field, JsonValue } from "../model/fields.js";
import { DecimalField, EnumField, StringField } from "../model/fields.js";
import { META } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import type { ConstraintSpec, IndexSpec } from "../model/options.js";
import { ForeignKeyField, type OnDelete } from "../relations/foreign-key.js";
import type { ManyToManyField } from "../relations/many-to-many.js";

/** A field's type, by the constructor that makes it (Email, URL and IPAddress are Strings to the schema). */
export type FieldType =
  | "Integer"
  | "BigInteger"
  | "Float"
  | "Decimal"
  | "Boolean"
  | "String"
  | "Text"
  | "Enum"
  | "UUID"
  | "Date"
  | "Time"
  | "DateTime"
  | "JSON"
  | "ForeignKey"
  | "OneToOne"
  | "ManyToMany";

/** A field as migrations record it: what the schema depends on, in plain data a migration file spells out. */
export interface FieldState {
  readonly type: FieldType;
  readonly primaryKey?: boolean;
  readonly allowNull?: boolean;
  readonly unique?: boolean;
  readonly index?: boolean;
  readonly column?: string;
  /** A static default, stated in the schema as the column's DEFAULT. */
  readonly default?: JsonValue | Date | bigint;
  readonly maxLength?: number;
  readonly maxDigits?: number;
  readonly decimalPlaces?: number;
  readonly choices?: readonly string[];
  /** ForeignKey, OneToOne and ManyToMany: the related model's name. */
  readonly to?: string;
  readonly onDelete?: OnDelete;
  /** ManyToMany: the model of its join table, when the user declares one (else quarry makes `<table>_<field>`). */
  readonly through?: string;
  readonly relatedName?: string;
  readonly throughFields?: readonly [string, string];
  /** ManyToMany("self"): each pair is written both ways (no table of its own changes). */
  readonly symmetrical?: boolean;
}

/** A ManyToMany has no column: its pairs live in a join table (its own, or its through model's). */
export const isManyToMany = (field: FieldState): boolean => field.type === "ManyToMany";

/** A model as migrations record it. Field order is the table's column order. */
export interface ModelState {
  readonly name: string;
  readonly table: string;
  readonly fields: Readonly<Record<string, FieldState>>;
  /** The model options `indexes` and `constraints`, as ModelMeta holds them. */
  readonly indexes?: readonly IndexSpec[];
  readonly constraints?: readonly ConstraintSpec[];
}

/** The models of a project at one point of its history, by name: replayed from migrations, or read from the models. */
export class ProjectState {
  readonly models = new Map<string, ModelState>();

  constructor(models: Iterable<ModelState> = []) {
    for (const model of models) this.models.set(model.name, model);
  }

  clone(): ProjectState {
    return new ProjectState(this.models.values());
  }

  model(name: string): ModelState {
    const model = this.models.get(name);
    if (!model) throw new Error(`The migration state has no model ${JSON.stringify(name)}; it has: ${[...this.models.keys()].join(", ") || "none"}`);
    return model;
  }

  /** Replaces a model's state; ModelStates are never changed in place, so clones share them safely. */
  put(model: ModelState): void {
    this.models.set(model.name, model);
  }

  /** The models whose foreign keys point at `name`. */
  referencing(name: string): ModelState[] {
    return [...this.models.values()].filter((model) => Object.values(model.fields).some((field) => !isManyToMany(field) && field.to === name));
  }
}

const TYPE_OF_KIND: Partial<Record<ColumnKind, FieldType>> = {
  integer: "Integer",
  bigint: "BigInteger",
  float: "Float",
  boolean: "Boolean",
  text: "Text",
  uuid: "UUID",
  date: "Date",
  time: "Time",
  datetime: "DateTime",
  json: "JSON",
};

function typeOf(field: Field): FieldType {
  if (field instanceof ForeignKeyField) return field.oneToOne ? "OneToOne" : "ForeignKey";
  if (field instanceof EnumField) return "Enum";
  if (field instanceof DecimalField) return "Decimal";
  if (field.kind === "string") return "String";
  return TYPE_OF_KIND[field.kind]!;
}

/** Drops the options a field leaves at their defaults, so that states compare and print the same way. */
function compact<T extends object>(entries: T): T {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined && value !== false)) as T;
}

export function fieldState(field: Field): FieldState {
  const type = typeOf(field);
  const relation = field instanceof ForeignKeyField ? field : undefined;
  return compact<FieldState>({
    type,
    primaryKey: field.primaryKey,
    allowNull: field.allowNull && !field.primaryKey,
    // A OneToOne is unique by its nature; the state says so once, through its type.
    unique: field.options.unique === true && !field.primaryKey && type !== "OneToOne",
    index: field.options.index === true,
    column: field.column !== field.defaultColumn() ? field.column : undefined,
    default: field.schemaDefault as FieldState["default"],
    maxLength: type === "String" ? (field as StringField).maxLength : undefined,
    maxDigits: field instanceof DecimalField ? field.options.maxDigits : undefined,
    decimalPlaces: field instanceof DecimalField ? field.options.decimalPlaces : undefined,
    choices: field instanceof EnumField ? [...field.choices] : undefined,
    to: relation ? (relation.isResolved ? relation.targetMeta.name : String(relation.related)) : undefined,
    onDelete: relation && relation.onDelete !== "CASCADE" ? relation.onDelete : undefined,
  });
}

/** A model's name, from the class or name a relation was declared with. */
function modelName(related: ManyToManyField["related"] | NonNullable<ManyToManyField["options"]["through"]>, owner: string): string {
  if (related === "self") return owner;
  return typeof related === "string" ? related : related[META].name;
}

export function manyToManyState(field: ManyToManyField): FieldState {
  const { through, relatedName, throughFields, symmetrical } = field.options;
  return compact<FieldState>({
    type: "ManyToMany",
    to: modelName(field.related, field.owner.name),
    relatedName,
    symmetrical: symmetrical === true ? true : undefined,
    through: through === undefined ? undefined : modelName(through, field.owner.name),
    throughFields: throughFields ? [throughFields[0], throughFields[1]] : undefined,
  });
}

export function modelState(meta: ModelMeta): ModelState {
  return compact<ModelState>({
    name: meta.name,
    table: meta.tablename,
    fields: Object.fromEntries([
      ...meta.fields.map((field) => [field.name, fieldState(field)] as const),
      ...meta.manyToMany.map((field) => [field.name, manyToManyState(field)] as const),
    ]),
    indexes: meta.indexes.length > 0 ? meta.indexes : undefined,
    constraints: meta.constraints.length > 0 ? meta.constraints : undefined,
  });
}

/** The state the models declare now. The join tables quarry makes for ManyToManys are their fields', not models. */
export function stateFromModels(models: readonly ModelMeta[]): ProjectState {
  const made = new Set(models.flatMap((meta) => meta.manyToMany.flatMap((field) => (field.link && !field.link.explicit ? [field.link.through] : []))));
  return new ProjectState(models.filter((meta) => !made.has(meta)).map(modelState));
}

/** The column a field state names. */
export function columnOf(name: string, field: FieldState): string {
  return field.column ?? (field.to ? `${name}_id` : name);
}
