/**
 * What a scope is opened with. Empty here: a feature that reads options adds its key by declaration
 * merging (`declare module "../scope.js" { interface ScopeOptions { nPlusOne?: NPlusOneOptions } }`), so
 * `database.scope(fn, { nPlusOne: ... })` is typed without this file knowing the feature.
 */
export interface ScopeOptions {}

/**
 * A feature's slot of per-scope state: `create` makes its value the first time a scope is asked for it.
 * Made once per feature, at module level (`const stickiness = new ScopeSlot("replicas", () => ({ wrote: false }))`).
 * Slots are told apart by identity, so two features cannot collide even under one name.
 */
export class ScopeSlot<T> {
  constructor(
    /** For messages and inspection only. */
    readonly name: string,
    readonly create: (scope: Scope) => T,
  ) {}
}

/**
 * A unit of work larger than one statement (an HTTP request, a job, a script's step), opened with
 * `database.scope(fn, options?)`: everything `fn` starts, at any async depth, finds it as
 * `database.currentScope`. It holds the options it was opened with and each feature's state.
 * A scope opened inside another is its child: it sees its parents' options under its own, has state of its
 * own, and reaches the outer scopes through `parent` (a feature whose state must cover the whole request
 * reads `root`).
 */
export class Scope {
  readonly options: Readonly<ScopeOptions>;
  readonly parent: Scope | undefined;
  readonly #state = new Map<ScopeSlot<unknown>, unknown>();

  constructor(options: ScopeOptions = {}, parent?: Scope) {
    this.parent = parent;
    this.options = Object.freeze(parent ? { ...parent.options, ...options } : { ...options });
  }

  /** The outermost scope this one is nested in (itself when it is not nested). */
  get root(): Scope {
    let scope: Scope = this;
    while (scope.parent) scope = scope.parent;
    return scope;
  }

  /** The slot's state in this scope, made by the slot's `create` on first use. */
  get<T>(slot: ScopeSlot<T>): T {
    if (this.#state.has(slot)) return this.#state.get(slot) as T;
    const value = slot.create(this);
    this.#state.set(slot, value);
    return value;
  }

  /** Whether the slot's state has been made in this scope (a feature that only reports need not create it). */
  has(slot: ScopeSlot<unknown>): boolean {
    return this.#state.has(slot);
  }
}
