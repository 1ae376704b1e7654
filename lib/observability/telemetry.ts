import { createRequire } from "node:module";
import { join } from "node:path";
import type { Attributes, Histogram, Span, Tracer } from "@opentelemetry/api";
import type { Database, QueryEvent, TransactionEvent } from "../database.js";
import type { Transaction } from "../transaction.js";

/** `new orm.Database(url, { telemetry })`: OpenTelemetry spans and metrics, on when `@opentelemetry/api` is installed. */
export interface TelemetryOptions {
  /** Record each statement's bound values as `db.query.parameter.<index>`. Off by default: values may be personal data. */
  queryValues?: boolean;
}

type OpenTelemetryApi = typeof import("@opentelemetry/api");

let api: OpenTelemetryApi | null | undefined;

/**
 * The application's `@opentelemetry/api`, or null when it is not installed. Loaded synchronously so the first
 * statement is traced too; the API keeps its providers on a global, so this copy sees the SDK the app registered.
 */
function openTelemetry(): OpenTelemetryApi | null {
  if (api !== undefined) return api;
  const require = createRequire(import.meta.url ?? join(process.cwd(), "quarry.js"));
  try {
    api = require("@opentelemetry/api") as OpenTelemetryApi;
  } catch {
    api = null;
  }
  return api;
}

/** quarry's dialect name as the conventions' `db.system.name`. */
const SYSTEM_NAMES = { sqlite: "sqlite", postgresql: "postgresql", mysql: "mysql" } as const;

/**
 * Whether an application registered an SDK: the API alone hands out spans that record nothing (an invalid
 * context) and a meter provider of no-ops, and listening for them would only slow every statement down.
 */
function registered(otel: OpenTelemetryApi): boolean {
  const tracers = otel.trace.getTracerProvider();
  const tracing = tracers instanceof otel.ProxyTracerProvider ? tracers.getDelegate() : tracers;
  return tracing.constructor.name !== "NoopTracerProvider" || otel.metrics.getMeterProvider().constructor.name !== "NoopMeterProvider";
}

/**
 * Turns a database's "query" and "transaction" events into client spans and the `db.client.operation.duration`
 * histogram, on OpenTelemetry's stable database conventions. Returns false when the API is not installed or no
 * SDK is registered yet.
 */
export function instrument(database: Database, options: TelemetryOptions = {}): boolean {
  const loaded = openTelemetry();
  if (!loaded || !registered(loaded)) return false;
  const otel: OpenTelemetryApi = loaded;
  const tracer: Tracer = otel.trace.getTracer("quarry");
  // The metrics API has no stand-in that later forwards to the provider an app registers: ask again when it changes.
  let meterProvider: unknown;
  let histogram: Histogram | undefined;
  const duration = (): Histogram => {
    const provider = otel.metrics.getMeterProvider();
    if (provider !== meterProvider || !histogram) {
      meterProvider = provider;
      histogram = provider.getMeter("quarry").createHistogram("db.client.operation.duration", {
        description: "Duration of database client operations.",
        unit: "s",
        advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10] },
      });
    }
    return histogram;
  };
  const connection = connectionAttributes(database);
  const transactionSpans = new WeakMap<Transaction, Span>();

  /** The span's parent: the statement's transaction (or savepoint), else whatever is active where it was issued. */
  const parentContext = (transaction: Transaction | undefined) => {
    const span = transaction && transactionSpans.get(transaction);
    return span ? otel.trace.setSpan(otel.context.active(), span) : otel.context.active();
  };

  database.on("transaction", (event: TransactionEvent) => {
    if (event.phase === "begin") {
      const name = event.transaction.parent ? "SAVEPOINT" : "TRANSACTION";
      const span = tracer.startSpan(name, { kind: otel.SpanKind.CLIENT, attributes: connection }, parentContext(event.transaction.parent));
      transactionSpans.set(event.transaction, span);
      return;
    }
    const span = transactionSpans.get(event.transaction);
    if (!span) return;
    span.setAttribute("quarry.transaction.outcome", event.phase);
    if (event.error) failed(span, event.error);
    span.end();
    transactionSpans.delete(event.transaction);
  });

  database.on("query", (event: QueryEvent) => {
    // A replica's statement, reported here too: the replica's own instrumentation records it, with its address.
    if (event.replica) return;
    const end = performance.timeOrigin + performance.now();
    const attributes = statementAttributes(event, connection);
    if (options.queryValues) event.values.forEach((value, index) => (attributes[`db.query.parameter.${index}`] = String(value)));
    const span = tracer.startSpan(
      (attributes["db.query.summary"] as string | undefined) ?? SYSTEM_NAMES[database.dialect.name],
      { kind: otel.SpanKind.CLIENT, startTime: end - event.durationMs, attributes },
      parentContext(database.currentTransaction),
    );
    if (event.error) failed(span, event.error);
    span.end(end);
    const measured: Attributes = { ...connection };
    for (const key of ["db.operation.name", "db.collection.name", "error.type", "db.response.status_code"]) {
      if (attributes[key] !== undefined) measured[key] = attributes[key];
    }
    duration().record(event.durationMs / 1000, measured);
  });

  function failed(span: Span, error: Error): void {
    span.setAttribute("error.type", error.name || "Error");
    span.recordException(error);
    span.setStatus({ code: otel.SpanStatusCode.ERROR, message: error.message });
  }
  return true;
}

/** What every span and measurement of this database shares: the system, the namespace and the server. */
function connectionAttributes(database: Database): Attributes {
  const { url } = database;
  const attributes: Attributes = { "db.system.name": SYSTEM_NAMES[database.dialect.name] };
  if (url.dialect === "sqlite") return attributes;
  // PostgreSQL's namespace is the database and the schema (search_path) statements run in, joined by "|".
  attributes["db.namespace"] = url.dialect === "postgresql" && url.params.schema ? `${url.database}|${url.params.schema}` : url.database;
  attributes["server.address"] = url.host;
  attributes["server.port"] = url.port ?? (url.dialect === "postgresql" ? 5432 : 3306);
  return attributes;
}

/** A statement's own attributes: its text, and what quarry knows it is (or, for raw SQL, its leading keyword). */
function statementAttributes(event: QueryEvent, connection: Attributes): Attributes {
  const attributes: Attributes = { ...connection, "db.query.text": event.sql };
  const about = event.about;
  if (about) {
    attributes["db.operation.name"] = about.operation;
    attributes["db.collection.name"] = about.table;
    attributes["db.query.summary"] = `${about.operation} ${about.table}`;
    if (about.batchSize !== undefined && about.batchSize > 1) attributes["db.operation.batch.size"] = about.batchSize;
  } else {
    const keyword = /^\s*([A-Za-z]+)/.exec(event.sql)?.[1]?.toUpperCase();
    if (keyword) attributes["db.operation.name"] = attributes["db.query.summary"] = keyword;
  }
  if (event.error) {
    attributes["error.type"] = event.error.name || "Error";
    const code = (event.error.cause as { code?: unknown } | undefined)?.code;
    if (typeof code === "string" || typeof code === "number") attributes["db.response.status_code"] = String(code);
  }
  return attributes;
}
