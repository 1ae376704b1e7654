import { EnumField, type Field } from "../model/fields.js";
import type { ModelMeta } from "../model/meta.js";
import type { Model } from "../model/model.js";
import { ForeignKeyField } from "../relations/foreign-key.js";
import { html, type SafeHtml } from "./html.js";

/** A row's name on a page: its first text field (what a person recognises it by) and its key. */
export function label(meta: ModelMeta, row: Model): string {
  const values = row as unknown as Record<string, unknown>;
  const named = meta.fields.find((field) => (field.kind === "string" || field.kind === "text") && !field.primaryKey && !(field instanceof ForeignKeyField));
  let name: unknown;
  try {
    name = named && values[named.name];
  } catch {
    name = undefined; // a stub: only its key is loaded
  }
  return name === undefined || name === null || name === "" ? `${meta.name} ${String(row.pk)}` : `${String(name)} (${String(row.pk)})`;
}

/** A field's value as a cell of the change list. */
export function cellText(field: Field, value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString().replace("T", " ").replace(/\.000Z$|Z$/, " UTC");
  if (field.kind === "json") return JSON.stringify(value);
  return String(value);
}

/** The value a form input shows for a field. */
function inputValue(field: Field, value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString().slice(0, 19);
  if (field.kind === "json") return JSON.stringify(value, null, 2);
  if (typeof value === "object") return String((value as Model).pk);
  return String(value);
}

/** The form control of one field, named after it: the input its kind calls for. */
export function fieldInput(field: Field, value: unknown, base: string, editable: boolean): SafeHtml {
  const name = field.name;
  const text = inputValue(field, value);
  const disabled = !editable;
  if (field instanceof EnumField) {
    const choices = field.allowNull ? ["", ...field.choices] : field.choices;
    return html`<select name="${name}" id="field-${name}" ${disabled ? html`disabled` : html``}>${choices.map(
      (choice) => html`<option value="${choice}" ${choice === text ? html`selected` : html``}>${choice || "(none)"}</option>`,
    )}</select>`;
  }
  if (field instanceof ForeignKeyField) {
    const target = field.targetMeta;
    const link = text === "" ? html`` : html` <a href="${base}/${target.name}/${encodeURIComponent(text)}" class="related-link">${target.name} ${text}</a>`;
    if (disabled) return html`<span id="field-${name}">${link}</span>`;
    return html`<input type="text" name="${name}" id="field-${name}" value="${text}" size="10" data-picker="${base}/${target.name}/lookup">${link}
<input type="search" class="picker" data-for="field-${name}" placeholder="search ${target.name}…" aria-label="search ${target.name}"><span class="picker-results"></span>`;
  }
  const attributes = disabled ? html`disabled` : html``;
  switch (field.kind) {
    case "boolean":
      return html`<input type="hidden" name="${name}" value="off"><input type="checkbox" name="${name}" id="field-${name}" value="on" ${value === true ? html`checked` : html``} ${attributes}>`;
    case "integer":
    case "bigint":
      return html`<input type="number" step="1" name="${name}" id="field-${name}" value="${text}" ${attributes}>`;
    case "float":
    case "decimal":
      return html`<input type="number" step="any" name="${name}" id="field-${name}" value="${text}" ${attributes}>`;
    case "text":
    case "json":
      return html`<textarea name="${name}" id="field-${name}" rows="${field.kind === "json" ? 8 : 4}" ${attributes}>${text}</textarea>`;
    case "date":
      return html`<input type="date" name="${name}" id="field-${name}" value="${text}" ${attributes}>`;
    case "time":
      return html`<input type="time" step="1" name="${name}" id="field-${name}" value="${text}" ${attributes}>`;
    case "datetime":
      return html`<input type="datetime-local" step="1" name="${name}" id="field-${name}" value="${text}" ${attributes}> UTC`;
    default:
      return html`<input type="text" name="${name}" id="field-${name}" value="${text}" ${attributes}>`;
  }
}

/** A problem with what the form sent for one field, before quarry's own validation sees it. */
export class FormProblem extends Error {}

/**
 * What a form sent for a field, as the value the field validates: numbers and keys as numbers where their
 * column is numeric, "" as null where null is allowed, JSON parsed, a datetime-local as UTC. undefined: not sent.
 */
export function parseInput(field: Field, sent: string | undefined): unknown {
  if (sent === undefined) return undefined;
  if (field.kind === "boolean") return sent === "on";
  if (sent === "") {
    if (field.allowNull) return null;
    return field.kind === "string" || field.kind === "text" ? "" : undefined;
  }
  const kind = field instanceof ForeignKeyField ? field.targetMeta.pk.kind : field.kind;
  switch (kind) {
    case "integer":
    case "float": {
      const number = Number(sent);
      if (!Number.isFinite(number)) throw new FormProblem(`${JSON.stringify(sent)} is not a number`);
      return number;
    }
    case "bigint":
      if (!/^-?\d+$/.test(sent)) throw new FormProblem(`${JSON.stringify(sent)} is not a whole number`);
      return BigInt(sent);
    case "datetime": {
      const date = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(sent) ? sent : `${sent}Z`);
      if (Number.isNaN(date.getTime())) throw new FormProblem(`${JSON.stringify(sent)} is not a date and time`);
      return date;
    }
    case "json":
      try {
        return JSON.parse(sent) as unknown;
      } catch {
        throw new FormProblem("is not valid JSON");
      }
    default:
      return sent;
  }
}
