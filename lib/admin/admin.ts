import type { IncomingMessage, ServerResponse } from "node:http";
import type { Database } from "../database.js";
import { NoMatch, OrmError, UnknownFieldError, ValidationError } from "../errors.js";
import type { Field } from "../model/fields.js";
import { META } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import type { Model, ModelClass } from "../model/model.js";
import type { QuerySet } from "../query/queryset.js";
import { ForeignKeyField } from "../relations/foreign-key.js";
import type { ManyToManyField } from "../relations/many-to-many.js";
import { AUDIT_MODEL, auditLog, ensureAuditTable } from "./audit.js";
import { cascadeOf } from "./cascade.js";
import { cellText, fieldInput, FormProblem, label, parseInput } from "./fields.js";
import { html, page, raw, type SafeHtml } from "./html.js";
import { csrfMatches, csrfToken, readForm } from "./security.js";

export type AdminPermission = "view" | "add" | "change" | "delete";

export interface AdminOptions<User> {
  database: Database;
  /** The models to show; default every model defined on the database (but the audit log, which is read-only). */
  models?: readonly ModelClass[];
  /** Who is asking: a user, or null to refuse the request (401). There is no default account. */
  auth: (request: IncomingMessage) => User | null | undefined | Promise<User | null | undefined>;
  /** What `user` may do with `model` (a model's name); default everything. `["view"]` is a read-only role. */
  permissions?: (user: User, model: string) => readonly AdminPermission[];
  /** The user's name in the audit log and the header; default `username`, `email`, `name` or `id`, else String(user). */
  userName?: (user: User) => string;
  /** Rows per change-list page (default 50). */
  pageSize?: number;
}

/** What Express (or node:http) hands a middleware; `baseUrl` is where Express mounted it. */
type AdminRequest = IncomingMessage & { baseUrl?: string; originalUrl?: string; body?: unknown };
type Next = (error?: unknown) => void;

/** A refusal with its HTTP status, shown as a page. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const RESERVED_PARAMETERS = new Set(["page", "o", "q", "saved"]);
const ALL: readonly AdminPermission[] = ["view", "add", "change", "delete"];

/**
 * A Django-admin-like interface for the database's models, as a request handler that mounts in an Express
 * app (`app.use("/admin", orm.admin({ database, auth }))`) or serves a node:http server: server-rendered
 * pages, every value escaped, CSRF-checked forms, per-model permissions, and every write in a transaction
 * recorded in an audit log.
 */
export function admin<User>(options: AdminOptions<User>): (request: IncomingMessage, response: ServerResponse, next?: Next) => Promise<void> {
  if (!options || typeof options !== "object" || !options.database) throw new TypeError("orm.admin() needs { database, auth }");
  if (typeof options.auth !== "function") throw new TypeError("orm.admin() needs `auth`: a function from the request to a user, or null (there is no default account)");
  const { database } = options;
  const pageSize = options.pageSize ?? 50;
  const log = auditLog(database);
  const nameOf = options.userName ?? defaultUserName;
  const chosen = () => (options.models ? options.models.map((model) => model[META]) : database.models.filter((meta) => meta.name !== AUDIT_MODEL));

  return async (request, response, next) => {
    const req = request as AdminRequest;
    const base = (req.baseUrl ?? "").replace(/\/$/, "");
    try {
      const user = await options.auth(req);
      if (user === null || user === undefined) throw new HttpError(401, "Sign in to use the admin.");
      const may = (meta: ModelMeta, permission: AdminPermission) => (options.permissions ? options.permissions(user, meta.name) : ALL).includes(permission);
      const url = new URL(req.url ?? "/", "http://admin.invalid");
      const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      const models = new Map([...chosen(), auditLog(database)[META]].map((meta) => [meta.name, meta]));
      const token = csrfToken(req, response, base || "/");
      const context: Context = { base, user: nameOf(user), token, may, url, models };
      let form: Map<string, string[]> | undefined;
      if (req.method === "POST") {
        form = await readForm(req);
        if (!csrfMatches(req, form.get("csrf")?.[0])) throw new HttpError(403, "The form's CSRF token is missing or wrong: reload the page and try again.");
      } else if (req.method !== "GET" && req.method !== "HEAD") {
        throw new HttpError(405, `${req.method} is not allowed here`);
      }
      const [modelName, key, action] = parts;
      if (!modelName) return send(response, 200, page("Models", base, context.user, index(context, chosen())));
      const meta = models.get(modelName);
      if (!meta || !may(meta, "view")) throw new HttpError(404, `No model ${JSON.stringify(modelName)} here`);
      if (meta.name === AUDIT_MODEL && req.method === "POST") throw new HttpError(403, "The audit log is read-only");
      const view = { ...context, meta, form, log };
      if (key === undefined) return send(response, 200, page(meta.name, base, context.user, form ? await bulkDelete(view) : await changeList(view, pageSize)));
      if (key === "lookup") return sendJson(response, await lookup(meta, url.searchParams.get("q") ?? ""));
      if (key === "add") {
        if (!may(meta, "add")) throw new HttpError(403, `You may not add ${meta.name} rows`);
        const result = await edit(view, undefined);
        return result.redirect ? redirect(response, result.redirect) : send(response, result.status, page(`Add ${meta.name}`, base, context.user, result.body));
      }
      const row = await findRow(meta, key);
      if (action === "delete") return deleteOne(response, view, row);
      if (action !== undefined) throw new HttpError(404, "No such page");
      const result = await edit(view, row);
      return result.redirect ? redirect(response, result.redirect) : send(response, result.status, page(label(meta, row), base, context.user, result.body));
    } catch (error) {
      if (error instanceof HttpError) return send(response, error.status, page(`Error ${error.status}`, base, "", html`<p class="error">${error.message}</p>`));
      if (error instanceof UnknownFieldError || error instanceof ValidationError) return send(response, 400, page("Error 400", base, "", html`<p class="error">${error.message}</p>`));
      if (next) return next(error);
      send(response, 500, page("Error 500", base, "", html`<p class="error">${error instanceof OrmError ? error.message : "The admin failed; see the server's log."}</p>`));
      if (!(error instanceof OrmError)) console.error(error);
    }
  };
}

interface Context {
  readonly base: string;
  readonly user: string;
  readonly token: string;
  readonly may: (meta: ModelMeta, permission: AdminPermission) => boolean;
  readonly url: URL;
  readonly models: ReadonlyMap<string, ModelMeta>;
}

interface View extends Context {
  readonly meta: ModelMeta;
  readonly form: Map<string, string[]> | undefined;
  readonly log: ModelClass;
}

function defaultUserName(user: unknown): string {
  if (user && typeof user === "object") {
    for (const key of ["username", "email", "name", "id"]) {
      const value = (user as Record<string, unknown>)[key];
      if (typeof value === "string" || typeof value === "number") return String(value);
    }
  }
  return String(user);
}

function send(response: ServerResponse, status: number, body: string): void {
  response.statusCode = status;
  response.setHeader("Content-Type", "text/html; charset=utf-8");
  response.setHeader("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
  response.setHeader("X-Content-Type-Options", "nosniff");
  response.end(body);
}

function sendJson(response: ServerResponse, value: unknown): void {
  response.statusCode = 200;
  response.setHeader("Content-Type", "application/json; charset=utf-8");
  response.end(JSON.stringify(value));
}

function redirect(response: ServerResponse, location: string): void {
  response.statusCode = 303;
  response.setHeader("Location", location);
  response.end();
}

const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

function index(context: Context, models: readonly ModelMeta[]): SafeHtml {
  const shown = models.filter((meta) => context.may(meta, "view"));
  return html`<h1>Models</h1><table><tbody>${shown.map(
    (meta) => html`<tr><td><a href="${context.base}/${meta.name}/">${meta.name}</a></td><td>${context.may(meta, "add") ? html`<a href="${context.base}/${meta.name}/add">Add</a>` : html``}</td></tr>`,
  )}</tbody></table><p><a href="${context.base}/${AUDIT_MODEL}/">Audit log</a></p>`;
}

/** The columns a change list shows: every field with a column but JSON and long text, at most eight. */
function listFields(meta: ModelMeta): Field[] {
  return meta.fields.filter((field) => field.kind !== "json" && field.kind !== "text").slice(0, 8);
}

/** The change list's link with some parameters changed (the rest kept). */
function withParameters(view: View, changes: Record<string, string | undefined>): string {
  const parameters = new URLSearchParams(view.url.searchParams);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) parameters.delete(name);
    else parameters.set(name, value);
  }
  const query = parameters.toString();
  return `${view.base}/${view.meta.name}/${query ? `?${query}` : ""}`;
}

/** The filters of the query string, in the lookup syntax, checked by quarry like any filter (only declared fields). */
function filtersOf(view: View): Record<string, unknown> {
  const filters: Record<string, unknown> = {};
  for (const [name, value] of view.url.searchParams) {
    if (RESERVED_PARAMETERS.has(name)) continue;
    filters[name] = name.endsWith("__in") ? value.split(",") : name.endsWith("__isnull") ? value === "true" || value === "1" : value;
  }
  return filters;
}

async function changeList(view: View, pageSize: number): Promise<SafeHtml> {
  const { meta, base } = view;
  const fields = listFields(meta);
  const foreignKeys = fields.filter((field): field is ForeignKeyField => field instanceof ForeignKeyField).map((field) => field.name);
  const filters = filtersOf(view);
  let rows: QuerySet<Model> = (meta.model.objects as unknown as QuerySet<Model>).filter(filters);
  const term = view.url.searchParams.get("q") ?? "";
  if (term) rows = rows.search(term);
  const ordering = view.url.searchParams.get("o");
  if (ordering) {
    const name = ordering.replace(/^-/, "");
    if (!fields.some((field) => field.name === name)) throw new HttpError(400, `Cannot order by ${JSON.stringify(ordering)}`);
    rows = rows.orderBy(ordering as never);
  } else if (meta.ordering.length === 0) {
    rows = rows.orderBy("pk" as never);
  }
  const count = await rows.count();
  const pages = Math.max(1, Math.ceil(count / pageSize));
  const pageNumber = Math.min(pages, Math.max(1, Number.parseInt(view.url.searchParams.get("page") ?? "1", 10) || 1));
  // The foreign keys' rows come in the same statement (a JOIN), so a page costs two statements whatever its size.
  const shown = (await (foreignKeys.length > 0 ? rows.selectRelated(...(foreignKeys as never[])) : rows)
    .offset((pageNumber - 1) * pageSize)
    .limit(pageSize)
    .all()) as Model[];
  const canDelete = view.may(meta, "delete");
  const header = fields.map((field) => {
    const next = ordering === field.name ? `-${field.name}` : field.name;
    return html`<th><a href="${withParameters(view, { o: next, page: undefined })}">${field.name}${ordering === field.name ? " ▲" : ordering === `-${field.name}` ? " ▼" : ""}</a></th>`;
  });
  const body = shown.map((row) => {
    const values = row as unknown as Record<string, unknown>;
    const cells = fields.map((field, index) => {
      const value = values[field.name];
      if (field instanceof ForeignKeyField && value && typeof value === "object") {
        const target = field.targetMeta;
        return html`<td><a href="${base}/${target.name}/${encodeURIComponent(String((value as Model).pk))}">${label(target, value as Model)}</a></td>`;
      }
      const text = cellText(field, value);
      return index === 0 || field.primaryKey ? html`<td><a href="${base}/${meta.name}/${encodeURIComponent(String(row.pk))}">${text}</a></td>` : html`<td>${text}</td>`;
    });
    return html`<tr>${canDelete ? html`<td><input type="checkbox" name="pk" value="${String(row.pk)}" aria-label="select ${String(row.pk)}"></td>` : html``}${cells}</tr>`;
  });
  const quickFilters = fields
    .filter((field) => field.kind === "boolean" || "choices" in field)
    .map((field) => {
      const choices = field.kind === "boolean" ? ["true", "false"] : ((field as unknown as { choices: string[] }).choices ?? []);
      return html`<div class="filters">${field.name}: ${choices.map((choice) => html`<a href="${withParameters(view, { [field.name]: choice, page: undefined })}">${choice}</a>`)} <a href="${withParameters(view, { [field.name]: undefined })}">all</a></div>`;
    });
  const notice = view.url.searchParams.get("saved") ? html`<p class="notice">Saved.</p>` : html``;
  const applied = Object.keys(filters);
  const filtered =
    applied.length === 0
      ? html``
      : html`<p class="filtered">Filtered by ${applied.map((name) => html`<code>${name}=${view.url.searchParams.get(name)}</code> `)}<a href="${withParameters(view, Object.fromEntries(applied.map((name) => [name, undefined])))}">clear</a></p>`;
  return html`<h1>${meta.name}</h1>${notice}${filtered}
<form method="get" class="toolbar"><input type="search" name="q" value="${term}" placeholder="search" aria-label="search">
${[...view.url.searchParams].filter(([name]) => name !== "q" && name !== "page").map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button>Search</button>${view.may(meta, "add") && meta.name !== AUDIT_MODEL ? html`<a href="${base}/${meta.name}/add">Add ${meta.name}</a>` : html``}
<span>${count} rows</span></form>${quickFilters}
<form method="post">${csrfField(view.token)}
<table><thead><tr>${canDelete ? html`<th></th>` : html``}${header}</tr></thead><tbody>${body}</tbody></table>
${canDelete && meta.name !== AUDIT_MODEL ? html`<p><button name="action" value="delete_selected">Delete selected</button></p>` : html``}</form>
<p class="pages">Page ${pageNumber} of ${pages} ${pageNumber > 1 ? html`<a href="${withParameters(view, { page: String(pageNumber - 1) })}">previous</a>` : html``} ${pageNumber < pages ? html`<a href="${withParameters(view, { page: String(pageNumber + 1) })}" rel="next">next</a>` : html``}</p>`;
}

/** Keys as the model's key field reads them, from a form or a URL. */
function parseKeys(meta: ModelMeta, keys: readonly string[]): unknown[] {
  return keys.map((key) => {
    try {
      return parseInput(meta.pk, key);
    } catch {
      throw new HttpError(400, `${JSON.stringify(key)} is not a ${meta.name} key`);
    }
  });
}

async function findRow(meta: ModelMeta, key: string): Promise<Model> {
  const [parsed] = parseKeys(meta, [key]);
  try {
    return (await meta.model.objects.get({ pk: parsed } as never)) as unknown as Model;
  } catch (error) {
    if (error instanceof NoMatch || error instanceof ValidationError) throw new HttpError(404, `No ${meta.name} with key ${JSON.stringify(key)}`);
    throw error;
  }
}

/** The confirmation page of a delete: what the rows take with them, and the button that does it. */
async function confirmation(view: View, keys: readonly unknown[], action: string): Promise<SafeHtml> {
  const { meta } = view;
  const cascade = await cascadeOf(meta.database, meta, keys, label);
  const blocked = cascade.some((entry) => entry.effect === "blocks the delete");
  return html`<h1>Delete ${keys.length} ${meta.name} ${keys.length === 1 ? "row" : "rows"}?</h1>
<p>Rows: ${keys.map(String).join(", ")}</p>
${
  cascade.length === 0
    ? html`<p>Nothing else refers to ${keys.length === 1 ? "it" : "them"}.</p>`
    : html`<p>This also affects:</p><ul class="cascade">${cascade.map(
        (entry) => html`<li>${entry.count} ${entry.model} (through ${entry.via}) ${entry.effect}: ${entry.examples.join(", ")}${entry.count > entry.examples.length ? ", …" : ""}</li>`,
      )}</ul>`
}
${
  blocked
    ? html`<p class="error">A foreign key with ON DELETE RESTRICT refers to these rows: delete those first.</p>`
    : html`<form method="post" action="${action}">${csrfField(view.token)}${keys.map((key) => html`<input type="hidden" name="pk" value="${String(key)}">`)}
<input type="hidden" name="action" value="delete_selected"><button name="confirm" value="yes">Yes, delete</button> <a href="${view.base}/${meta.name}/">No, go back</a></form>`
}`;
}

async function bulkDelete(view: View): Promise<SafeHtml> {
  const { meta, form } = view;
  if (form!.get("action")?.[0] !== "delete_selected") throw new HttpError(400, "Unknown action");
  if (!view.may(meta, "delete")) throw new HttpError(403, `You may not delete ${meta.name} rows`);
  const keys = parseKeys(meta, form!.get("pk") ?? []);
  if (keys.length === 0) throw new HttpError(400, "Select rows to delete first");
  if (form!.get("confirm")?.[0] !== "yes") return confirmation(view, keys, `${view.base}/${meta.name}/`);
  await deleteRows(view, keys);
  return html`<p class="notice">Deleted ${keys.length} ${meta.name} rows.</p><p><a href="${view.base}/${meta.name}/">Back to ${meta.name}</a></p>`;
}

async function deleteRows(view: View, keys: readonly unknown[]): Promise<void> {
  const { meta } = view;
  await ensureAuditTable(meta.database);
  await meta.database.transaction(async () => {
    const rows = (await (meta.model.objects as unknown as QuerySet<Model>).filter({ pk__in: keys }).all()) as Model[];
    for (const row of rows) {
      await row.delete();
      await view.log.objects.create({ user: view.user, action: "delete", model: meta.name, objectKey: String(row.pk), changes: row.toJSON() } as never);
    }
  });
}

async function deleteOne(response: ServerResponse, view: View, row: Model): Promise<void> {
  const { meta } = view;
  if (!view.may(meta, "delete")) throw new HttpError(403, `You may not delete ${meta.name} rows`);
  if (!view.form) return send(response, 200, page(`Delete ${label(meta, row)}`, view.base, view.user, await confirmation(view, [row.pk], `${view.base}/${meta.name}/`)));
  throw new HttpError(405, "Confirm the delete from its confirmation page");
}

interface EditResult {
  readonly status: number;
  readonly body: SafeHtml;
  readonly redirect?: string;
}

/** The form of a row (or of a new one, `row` undefined); on POST, saves it in a transaction, or shows its errors. */
async function edit(view: View, row: Model | undefined): Promise<EditResult> {
  const { meta, form } = view;
  const editable = row ? view.may(meta, "change") && meta.name !== AUDIT_MODEL : view.may(meta, "add");
  const errors = new Map<string, string[]>();
  const fields = meta.fields.filter((field) => !(field.primaryKey && field.generated));
  const values = new Map<string, unknown>();
  const relations = new Map<string, string[]>();
  if (form) {
    if (!editable) throw new HttpError(403, `You may not change ${meta.name} rows`);
    for (const field of fields) {
      try {
        const value = parseInput(field, form.get(field.name)?.at(-1));
        if (value !== undefined) values.set(field.name, value);
      } catch (error) {
        if (!(error instanceof FormProblem)) throw error;
        errors.set(field.name, [`${field.name} ${error.message}`]);
      }
    }
    for (const relation of meta.manyToMany) relations.set(relation.name, form.get(relation.name) ?? []);
    if (errors.size === 0) {
      try {
        const saved = await save(view, row, values, relations);
        return { status: 303, body: html``, redirect: `${view.base}/${meta.name}/${encodeURIComponent(String(saved.pk))}?saved=1` };
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        for (const problem of error.errors) {
          const name = problem.field ?? "";
          errors.set(name, [...(errors.get(name) ?? []), problem.message]);
        }
      }
    }
  }
  const current = (field: Field) => (values.has(field.name) ? values.get(field.name) : row ? (row as unknown as Record<string, unknown>)[field.name] : field.defaultValue());
  const inputs = fields.map(
    (field) => html`<label for="field-${field.name}">${field.name}${field.allowNull ? "" : " *"}</label>
${fieldInput(field, heldKey(field, current(field)), view.base, editable)}
${(errors.get(field.name) ?? []).map((message) => html`<div class="error" data-field="${field.name}">${message}</div>`)}`,
  );
  const selects = await Promise.all(meta.manyToMany.map((relation) => manyToManySelect(row, relation, relations.get(relation.name), editable)));
  const general = errors.get("") ?? [];
  const saved = view.url.searchParams.get("saved") ? html`<p class="notice">Saved.</p>` : html``;
  const title = row ? label(meta, row) : `Add ${meta.name}`;
  const body = html`<h1>${title}</h1>${saved}${general.map((message) => html`<p class="error">${message}</p>`)}
<form method="post" class="edit">${csrfField(view.token)}
${row ? html`<p>${meta.pk.name}: ${String(row.pk)}</p>` : html``}${inputs}${selects}
${editable ? html`<p><button type="submit">Save</button></p>` : html``}</form>
${row && view.may(meta, "delete") && meta.name !== AUDIT_MODEL ? html`<p><a href="${view.base}/${meta.name}/${encodeURIComponent(String(row.pk))}/delete">Delete</a></p>` : html``}
<p><a href="${view.base}/${meta.name}/">Back to ${meta.name}</a></p>${raw(PICKER_SCRIPT)}`;
  return { status: errors.size > 0 ? 400 : 200, body };
}

/** A foreign key shows its key, not a stub object; a loaded related row likewise. */
function heldKey(field: Field, value: unknown): unknown {
  if (!(field instanceof ForeignKeyField) || value === null || value === undefined) return value;
  return typeof value === "object" ? (value as Model).pk : value;
}

/** The most options a many-to-many select lists: beyond it, the picker's search is the way. */
const MAX_OPTIONS = 500;

async function manyToManySelect(row: Model | undefined, relation: ManyToManyField, sent: readonly string[] | undefined, editable: boolean): Promise<SafeHtml> {
  const target = relation.link!.targetKey.targetMeta;
  const chosen = new Set(sent ?? (row ? ((await (row as unknown as Record<string, QuerySet<Model>>)[relation.name]!.valuesList("pk", { flat: true }).all()) as unknown[]).map(String) : []));
  const options = (await (target.model.objects as unknown as QuerySet<Model>).orderBy("pk" as never).limit(MAX_OPTIONS).all()) as Model[];
  return html`<label for="field-${relation.name}">${relation.name}</label>
<select multiple size="8" name="${relation.name}" id="field-${relation.name}" ${editable ? html`` : html`disabled`}>${options.map(
    (option) => html`<option value="${String(option.pk)}" ${chosen.has(String(option.pk)) ? html`selected` : html``}>${label(target, option)}</option>`,
  )}</select>`;
}

/** Saves a row's fields and many-to-many choices in one transaction, with its audit entry. */
async function save(view: View, row: Model | undefined, values: Map<string, unknown>, relations: Map<string, string[]>): Promise<Model> {
  const { meta } = view;
  await ensureAuditTable(meta.database);
  return meta.database.transaction(async () => {
    const before = row?.toJSON() as Record<string, unknown> | undefined;
    const target = row ?? (new meta.model() as unknown as Model);
    const record = target as unknown as Record<string, unknown>;
    const problems: ValidationError[] = [];
    for (const [name, value] of values) {
      try {
        record[name] = value;
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        problems.push(error);
      }
    }
    if (problems.length > 0) throw ValidationError.of(meta.name, problems);
    await target.save();
    for (const [name, keys] of relations) {
      const relation = meta.manyToMany.find((field) => field.name === name)!;
      const manager = record[name] as { set(items: readonly unknown[]): Promise<void> };
      await manager.set(parseKeys(relation.link!.targetKey.targetMeta, keys));
    }
    const after = target.toJSON() as Record<string, unknown>;
    const changes = Object.fromEntries(
      Object.keys(after)
        .filter((name) => !before || JSON.stringify(before[name]) !== JSON.stringify(after[name]))
        .map((name) => [name, before ? [before[name] ?? null, after[name] ?? null] : after[name] ?? null]),
    );
    for (const [name, keys] of relations) changes[name] = keys;
    await view.log.objects.create({ user: view.user, action: row ? "change" : "add", model: meta.name, objectKey: String(target.pk), changes } as never);
    return target;
  });
}

/** The picker: rows of the related model whose text fields contain the term, at most 20, by one indexed-or-not LIKE. */
async function lookup(meta: ModelMeta, term: string): Promise<Array<{ key: string; label: string }>> {
  const rows = (await (meta.model.objects as unknown as QuerySet<Model>).search(term).orderBy("pk" as never).limit(20).all()) as Model[];
  return rows.map((row) => ({ key: String(row.pk), label: label(meta, row) }));
}

/** The foreign-key picker's few lines of script: it fills the key input from a search of the related model. */
const PICKER_SCRIPT = `<script>
for (const search of document.querySelectorAll("input.picker")) {
  const input = document.getElementById(search.dataset.for);
  const results = search.nextElementSibling;
  let timer;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const response = await fetch(input.dataset.picker + "?q=" + encodeURIComponent(search.value));
      const rows = await response.json();
      results.replaceChildren(...rows.map((row) => {
        const link = document.createElement("a");
        link.href = "#";
        link.textContent = row.label;
        link.addEventListener("click", (event) => { event.preventDefault(); input.value = row.key; results.replaceChildren(); });
        return link;
      }));
    }, 150);
  });
}
</script>`;
