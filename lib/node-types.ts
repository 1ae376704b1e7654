// The Node APIs quarry's public types mention, declared here so that quarry's .d.ts needs neither @types/node nor the
// DOM library in a project's `types` (TypeScript 7 no longer includes every @types package by default).

/** `util.inspect.custom`: the same symbol Node's util module uses, named without importing node:util. */
export const inspectCustom: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;

/** The part of an AbortSignal quarry uses: Node's and the DOM's AbortSignal both fit it. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** The event methods of an EventEmitter whose events are typed by `Events` (event name: listener arguments). */
export interface TypedEmitter<Events extends { [E in keyof Events]: unknown[] }> {
  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this;
  addListener<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this;
  prependListener<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this;
  once<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this;
  off<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this;
  removeListener<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this;
  removeAllListeners(event?: keyof Events): this;
  emit<E extends keyof Events>(event: E, ...args: Events[E]): boolean;
  listenerCount(event: keyof Events): number;
  listeners<E extends keyof Events>(event: E): Array<(...args: Events[E]) => void>;
}
