import type { Sql } from "sql-template-tag";
import type { Dialect } from "../dialects/dialect.js";
import { outputField } from "./computed.js";
import { DateField, IntegerField, type ColumnKind, type Field } from "../model/fields.js";

/** A part of a date or a timestamp, taken in UTC (the time zone every DateTime is stored in). */
export type DatePart = "year" | "month" | "day" | "week_day" | "hour" | "minute" | "date";

/** Which kinds of field each part applies to. */
const PARTS: Record<DatePart, readonly ColumnKind[]> = {
  year: ["date", "datetime"],
  month: ["date", "datetime"],
  day: ["date", "datetime"],
  /** 1 for Sunday to 7 for Saturday, as Django counts. */
  week_day: ["date", "datetime"],
  hour: ["datetime"],
  minute: ["datetime"],
  date: ["datetime"],
};

/**
 * `created__year`, `created__date`: a lookup or a values() column reads a part of the column, computed by
 * the database; `output` is the field that part is checked and read as (a whole number, or a Date field).
 */
export interface Transform {
  readonly part: DatePart;
  /** The field whose column the part is taken from. */
  readonly source: Field;
  readonly output: Field;
  apply(dialect: Dialect, column: Sql): Sql;
}

/** The transform `name` of `field`, or undefined where `name` is none (then it is an unknown lookup). */
export function findTransform(field: Field, name: string, key: string): Transform | undefined {
  if (!Object.hasOwn(PARTS, name)) return undefined;
  const part = name as DatePart;
  if (!PARTS[part].includes(field.kind)) {
    throw field.invalid(`has no part "${part}" to compare (in ${JSON.stringify(key)}): ${part} applies to ${PARTS[part].join(" and ")} fields, and ${field.name} is ${field.kind}`);
  }
  const output = outputField(part === "date" ? new DateField() : new IntegerField(), field.owner, `${field.name}__${part}`, field.allowNull);
  return { part, source: field, output, apply: (dialect, column) => dialect.datePart(part, column, field.kind as "date" | "datetime") };
}
