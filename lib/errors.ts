/** Every error quarry raises extends OrmError, so `catch (e) { if (e instanceof orm.OrmError) ... }` works. */
export class OrmError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** `get()` found no row, or `load()` found its row deleted. */
export class NoMatch extends OrmError {}

/** `get()` found more than one row. */
export class MultipleMatches extends OrmError {}

/** One reason a value was refused: the field (where one is to blame) and the message. */
export interface ValidationProblem {
  readonly field: string | undefined;
  readonly message: string;
}

/**
 * A value does not fit its field: wrong type, null where not allowed, too long, out of range, refused by a
 * validator or by the model's clean(). `errors` lists every failing field (one entry when one failed);
 * `field` is the first of them.
 */
export class ValidationError extends OrmError {
  readonly errors: readonly ValidationProblem[];

  constructor(
    message: string,
    readonly model?: string,
    readonly field?: string,
    errors?: readonly ValidationProblem[],
  ) {
    super(message);
    this.errors = errors ?? [{ field, message }];
  }

  /** One error for several problems: its message joins theirs; one problem alone is thrown as it was. */
  static of(model: string, errors: readonly ValidationError[]): ValidationError {
    if (errors.length === 1) return errors[0]!;
    const problems = errors.flatMap((error) => error.errors);
    const fields = [...new Set(problems.map((problem) => problem.field).filter((field) => field !== undefined))];
    return new ValidationError(
      `${model} has ${problems.length} problems (${fields.join(", ")}): ${problems.map((problem) => problem.message).join("; ")}`,
      model,
      problems[0]!.field,
      problems,
    );
  }
}

/** A field, lookup, relation path or ordering names something the model does not have. */
export class UnknownFieldError extends OrmError {}

/** A declared field was read before it was loaded (a sparse foreign-key stub, or `only()`/`defer()`). */
export class UnloadedFieldError extends OrmError {}

/** The database refused a statement; the driver's error is the `cause`. */
export class DatabaseError extends OrmError {}

/** What a "no such table" error adds: the step a new program most often forgets. */
export function missingTableHint(message: string): string {
  return `${message} (the tables are made by \`await database.createAll()\` once the models are defined, or by your migrations)`;
}

/** Which kind of constraint a write broke. */
export type IntegrityKind = "unique" | "foreignKey" | "notNull" | "check";

/** What the database said about a constraint violation, as far as it said it. */
export interface IntegrityDetails {
  readonly kind?: IntegrityKind;
  /** The constraint's (or unique index's) name. */
  readonly constraint?: string;
  /** The table whose constraint it is (for a foreign key blocking a delete, the referencing table). */
  readonly table?: string;
  readonly columns?: readonly string[];
  /** The model whose constraint it is, and its field names for the columns. */
  readonly model?: string;
  readonly fields?: readonly string[];
}

/**
 * The database refused a write: unique, foreign-key, NOT NULL or check constraint. `kind` says which,
 * `constraint` names it, `fields` (the model's field names) and `columns` say where, each where the database
 * reports it: "username taken" and "email taken" are told apart by `fields` or `constraint`, on every database.
 */
export class IntegrityError extends DatabaseError {
  readonly kind: IntegrityKind | undefined;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly columns: readonly string[];
  readonly model: string | undefined;
  readonly fields: readonly string[];

  constructor(message: string, options: { cause?: unknown } & IntegrityDetails = {}) {
    super(message, { cause: options.cause });
    this.kind = options.kind;
    this.constraint = options.constraint;
    this.table = options.table;
    this.columns = options.columns ?? [];
    this.model = options.model;
    this.fields = options.fields ?? [];
  }
}

/** The database could not be reached, or the connection was lost. */
export class ConnectionError extends OrmError {}

/**
 * A statement was stopped before it finished: its AbortSignal fired (`cause` is the signal's reason, or the
 * database's error), or the database cancelled it. It was cancelled on the server; its connection is either
 * usable again or closed, never left half-open.
 */
export class QueryCancelledError extends OrmError {}

/** A statement ran past its time limit (`statementTimeoutMs`, or the per-call `timeoutMs`) and was cancelled on the server. */
export class StatementTimeoutError extends QueryCancelledError {}

/** A transaction failed as a whole; `retryable` is true for serialization failures and deadlocks. */
export class TransactionError extends DatabaseError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The database aborted the transaction because it could not be serialized with a concurrent one
 * (PostgreSQL 40001, MariaDB "record has changed since last read"). Retrying the whole transaction is safe.
 */
export class SerializationError extends TransactionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}

/** The database broke a deadlock by aborting this transaction (PostgreSQL 40P01, MySQL 1213). Retry it. */
export class DeadlockError extends TransactionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}

/** A lock was not granted in time (PostgreSQL 55P03, MySQL 1205, SQLite SQLITE_BUSY). Retry the transaction. */
export class LockTimeoutError extends TransactionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}
