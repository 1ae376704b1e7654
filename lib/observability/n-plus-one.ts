import { OrmError } from "../errors.js";
import { ScopeSlot, type Scope } from "../scope.js";
import { callSiteKey, captureStack, userCallSite } from "./call-site.js";

/**
 * What repeated: a foreign key's stub loaded one at a time (`track.album.load()`), a reverse relation
 * queried per row (`album.tracks.all()`), a `get()` per row, or rows fetched eagerly that nothing read.
 */
export type NPlusOneKind = "load" | "reverse" | "get" | "unused";

/** One N+1 finding, as the detector reports it. */
export interface NPlusOneReport {
  readonly kind: NPlusOneKind;
  /** The model whose relation (or manager) was used: "Track" in `track.album.load()`. */
  readonly model: string;
  /** The relation, or for a get() the lookups it took ("pk"). */
  readonly relation: string;
  /** How many statements of this shape the call site sent in the scope (for "unused": how many eager loads). */
  readonly count: number;
  /** The first frame outside quarry: "file:line:column", with the function where V8 knows it. */
  readonly callSite: string | undefined;
  /** What removes the repetition: `Track.objects.selectRelated("album")`. */
  readonly fix: string;
  readonly message: string;
}

export type NPlusOneMode = "off" | "warn" | "throw" | ((report: NPlusOneReport) => void);

export interface NPlusOneOptions {
  /** Default: "warn" when NODE_ENV is "development" or "test", else "off". A function receives each report. */
  mode?: NPlusOneMode;
  /** Repeats of one shape from one call site before it is an N+1 (default 3). */
  threshold?: number;
  /** Relations never reported, as "Model.relation" ("Track.album"), or "Model" for all of a model's. */
  safelist?: readonly string[];
}

declare module "../scope.js" {
  interface ScopeOptions {
    /** N+1 detection for this scope, over the database's `nPlusOne` options. */
    nPlusOne?: NPlusOneOptions;
  }
}

/** Thrown by the lazy load that crossed the threshold, in "throw" mode. */
export class NPlusOneError extends OrmError {
  constructor(readonly report: NPlusOneReport) {
    super(report.message);
  }
}

/** Where warnings go: `console` unless the database was given a logger. */
export interface Logger {
  warn(message: string): void;
}

interface Tally {
  count: number;
  reported: boolean;
  last: number;
  /** The first repeat's stack: formatted (source-mapped) only if the tally is reported. */
  readonly stack: Error | undefined;
  readonly report: Omit<NPlusOneReport, "count" | "message" | "callSite">;
}

interface ScopeState {
  readonly tallies: Map<string, Tally>;
  /** "Model#key" of rows created in the scope: loading them back is no N+1. */
  readonly created: Set<string>;
  /** A stack per call site seen: formatting one is what a report costs, taking one per load would cost every load. */
  readonly stacks: Map<string | undefined, Error>;
  /** Rows created in the scope, whose reverse relations are new too. */
  readonly createdRows: WeakSet<object>;
  /** Each prefetchRelated of a reverse relation in the scope, and whether anything read its rows. */
  readonly eager: EagerLoad[];
}

interface EagerLoad {
  read: boolean;
  readonly callSite: string | undefined;
  readonly model: string;
  readonly relation: string;
}

/** A lazy load seen where its caller ran, told to the detector once it is known to have gone out alone. */
export interface PendingLoad {
  readonly scope: Scope | undefined;
  /** The call site to count by (see callSiteKey). */
  readonly site: string | undefined;
  /** The first stack seen at the site in this scope, to name it from if it is reported (later repeats skip taking one). */
  readonly stack: Error | undefined;
}

const newState = (): ScopeState => ({ tallies: new Map(), stacks: new Map(), created: new Set(), createdRows: new WeakSet(), eager: [] });
/** The rows one owner got from a prefetch, to the prefetch: reading them marks it used. */
const eagerRows = new WeakMap<readonly object[], EagerLoad>();
const perScope = new ScopeSlot<ScopeState>("nPlusOne", newState);

/** Outside any scope counts are process-wide: a call site's count starts again after this long without a repeat. */
const UNSCOPED_WINDOW_MS = 1000;

function defaultMode(): NPlusOneMode {
  const environment = process.env.NODE_ENV;
  return environment === "development" || environment === "test" ? "warn" : "off";
}

/**
 * Counts lazy loads per scope and call site, and reports the repeated ones with the eager load that removes
 * them. The relation code tells it what it loads; it costs a mode check per lazy load when off.
 */
export class NPlusOneDetector {
  readonly #options: NPlusOneOptions;
  readonly #logger: Logger;
  readonly #currentScope: () => Scope | undefined;
  readonly #unscoped = newState();
  /** The database's own mode, settled once: reading process.env on every lazy load would cost more than the check. */
  readonly #mode0: NPlusOneMode;

  constructor(options: NPlusOneOptions | undefined, logger: Logger, currentScope: () => Scope | undefined) {
    this.#options = options ?? {};
    this.#logger = logger;
    this.#currentScope = currentScope;
    this.#mode0 = this.#options.mode ?? defaultMode();
    for (const entry of this.#options.safelist ?? []) {
      if (typeof entry !== "string" || !/^\w+(\.\w+)?$/.test(entry)) throw new TypeError(`nPlusOne.safelist entries look like "Track.album" or "Track", got ${JSON.stringify(entry)}`);
    }
  }

  #mode(scope: Scope | undefined): NPlusOneMode {
    return scope?.options.nPlusOne?.mode ?? this.#mode0;
  }

  #settings(scope: Scope | undefined): Required<Omit<NPlusOneOptions, "safelist">> & { safelist: readonly string[] } {
    const own = scope?.options.nPlusOne;
    return {
      mode: this.#mode(scope),
      threshold: own?.threshold ?? this.#options.threshold ?? 3,
      safelist: [...(this.#options.safelist ?? []), ...(own?.safelist ?? [])],
    };
  }

  /** Scopes open right now that turn detection on themselves: while there are none, "off" needs no scope lookup. */
  #overrides = 0;

  /** Whether anything is counted where the caller runs: checked before any work is done for a report. */
  get active(): boolean {
    if (this.#mode0 === "off" && this.#overrides === 0) return false;
    return this.#mode(this.#currentScope()) !== "off";
  }

  /** A scope was opened; `scopeEnded` must follow. */
  scopeStarted(scope: Scope): void {
    const own = scope.options.nPlusOne?.mode;
    if (own !== undefined && own !== "off") this.#overrides++;
  }

  /**
   * One lazy load of `relation` on `model` (a statement the caller is about to send), with the eager load that
   * would have made it unnecessary. `target` names the row loaded ("Album#1") or `owner` the row whose reverse
   * relation is read: rows created in the scope are skipped.
   */
  lazyLoad(
    kind: Exclude<NPlusOneKind, "unused">,
    model: string,
    relation: string,
    fix: string,
    row?: { target?: string; owner?: object },
    pending: PendingLoad = this.#pendingIn(this.#currentScope()),
  ): void {
    const { scope } = pending;
    const settings = this.#settings(scope);
    if (settings.mode === "off" || settings.safelist.includes(model) || settings.safelist.includes(`${model}.${relation}`)) return;
    const state = scope ? scope.root.get(perScope) : this.#unscoped;
    if ((row?.target && state.created.has(row.target)) || (row?.owner && state.createdRows.has(row.owner))) return;
    const key = `${kind}\u0000${model}\u0000${relation}\u0000${pending.site}`;
    const now = Date.now();
    let tally = state.tallies.get(key);
    if (!tally || (!scope && now - tally.last > UNSCOPED_WINDOW_MS)) {
      state.tallies.set(key, (tally = { count: 0, reported: false, last: now, stack: pending.stack, report: { kind, model, relation, fix } }));
    }
    tally.count++;
    tally.last = now;
    if (tally.count < settings.threshold || tally.reported) return;
    // In a scope a warning waits for its end, to give the whole count; "throw" stops the repetition at once.
    if (scope && settings.mode !== "throw") return;
    tally.reported = true;
    this.#report(settings.mode, describeTally(tally));
  }

  /** A row created where the caller runs: loading it back, or reading its new reverse relations, is not an N+1. */
  created(model: string, key: unknown, row: object): void {
    const scope = this.#currentScope();
    if (!scope || this.#mode(scope) === "off") return;
    const state = scope.root.get(perScope);
    state.created.add(`${model}#${String(key)}`);
    state.createdRows.add(row);
  }

  /** Where a lazy load was asked for, to report later (see `lazyLoad`) if it goes out alone; undefined when off. */
  pending(): PendingLoad | undefined {
    if (this.#mode0 === "off" && this.#overrides === 0) return undefined;
    const scope = this.#currentScope();
    return this.#mode(scope) === "off" ? undefined : this.#pendingIn(scope);
  }

  #pendingIn(scope: Scope | undefined): PendingLoad {
    const site = callSiteKey();
    const stacks = (scope ? scope.root.get(perScope) : this.#unscoped).stacks;
    let stack = stacks.get(site);
    if (!stack) stacks.set(site, (stack = captureStack()));
    return { scope, site, stack };
  }

  /** prefetchRelated loaded `model.relation` in the scope, each owner's rows in one of `rows`: reading any marks it used. */
  eagerLoaded(model: string, relation: string, rows: Iterable<readonly object[]>, stack: Error): void {
    const scope = this.#currentScope();
    if (!scope || this.#mode(scope) === "off") return;
    const load: EagerLoad = { read: false, callSite: userCallSite(stack), model, relation };
    scope.root.get(perScope).eager.push(load);
    for (const owned of rows) eagerRows.set(owned, load);
  }

  /** An owner's prefetched rows were read. */
  read(rows: readonly object[]): void {
    const load = eagerRows.get(rows);
    if (load) load.read = true;
  }

  /**
   * At the end of a root scope: the repetitions counted in it, and the eager loads nothing read. "throw" warns
   * here instead: the scope's work is over, and its caller (a request already answered) has nothing left to fail.
   */
  scopeEnded(scope: Scope): void {
    const own = scope.options.nPlusOne?.mode;
    if (own !== undefined && own !== "off") this.#overrides--;
    if (scope.parent || !scope.has(perScope)) return;
    const settings = this.#settings(scope);
    if (settings.mode === "off") return;
    const mode = settings.mode === "throw" ? "warn" : settings.mode;
    const state = scope.get(perScope);
    for (const tally of state.tallies.values()) {
      if (tally.count >= settings.threshold && !tally.reported) this.#report(mode, describeTally(tally));
    }
    const unused = new Map<string, { load: EagerLoad; count: number }>();
    for (const load of state.eager) {
      if (load.read || settings.safelist.includes(load.model) || settings.safelist.includes(`${load.model}.${load.relation}`)) continue;
      const key = `${load.model}.${load.relation}\u0000${load.callSite}`;
      const seen = unused.get(key);
      if (seen) seen.count++;
      else unused.set(key, { load, count: 1 });
    }
    for (const { load, count } of unused.values()) {
      const fix = `remove prefetchRelated("${load.relation}")`;
      this.#report(mode, describe({ kind: "unused", model: load.model, relation: load.relation, callSite: load.callSite, fix }, count));
    }
  }

  #report(mode: NPlusOneMode, report: NPlusOneReport): void {
    if (typeof mode === "function") mode(report);
    else if (mode === "throw") throw new NPlusOneError(report);
    else if (mode === "warn") this.#logger.warn(report.message);
  }
}

function describeTally(tally: Tally): NPlusOneReport {
  return describe({ ...tally.report, callSite: tally.stack && userCallSite(tally.stack) }, tally.count);
}

function describe(report: Omit<NPlusOneReport, "count" | "message">, count: number): NPlusOneReport {
  const where = report.callSite ? ` at ${report.callSite}` : "";
  const what =
    report.kind === "load"
      ? `${count} separate loads of ${report.model}.${report.relation}${where}, one query each`
      : report.kind === "reverse"
        ? `${count} queries of ${report.model}.${report.relation}${where}, one per ${report.model}`
        : report.kind === "get"
          ? `${count} get() calls on ${report.model} by ${report.relation}${where}, one query each`
          : `${report.model}.${report.relation} was prefetched${where} (${count}x) but never read`;
  return { ...report, count, message: `[quarry] N+1: ${what}. Fix: ${report.fix}.` };
}
