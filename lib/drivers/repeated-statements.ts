import type { CompiledQuery } from "./driver.js";

/** Statements prepared per pool; past it, statements go unprepared (each holds server memory on every connection). */
const MAX_PREPARED = 1000;
/** After the server refuses to prepare one more statement (a cap, or memory), new texts go unprepared this long. */
export const PREPARE_PAUSE_MS = 60_000;
/** Texts sent once, remembered so that their second use prepares them (one-off statements never are). */
const MAX_TRACKED_TEXTS = 5000;
/** Longer texts (a bulk INSERT of thousands of rows) are not worth keeping on the server. */
const MAX_PREPARED_LENGTH = 8192;

/**
 * Which statements to send as server-side prepared statements: the parameterised ones a program sends
 * repeatedly (the ORM's own, whose text repeats for every query of a shape). Each gets a name at its
 * second use. Statements without parameters never do: they keep the simple protocol, which allows
 * several statements in one text.
 */
export class RepeatedStatements {
  /** Text -> its name, or "" while it was sent only once. */
  readonly #names = new Map<string, string>();
  /** Texts never to prepare again (their table changed shape under the prepared plan). */
  readonly #unprepared = new Set<string>();
  #count = 0;
  /** Until when no new text is prepared: the server refused to hold more prepared statements. */
  #pausedUntil = 0;

  /** The statement's name if it is to be sent prepared, else undefined. */
  nameFor(query: CompiledQuery): string | undefined {
    if (query.values.length === 0 || query.text.length > MAX_PREPARED_LENGTH) return undefined;
    const known = this.#names.get(query.text);
    if (known) return known;
    if (known === "") {

      if (this.#count >= MAX_PREPARED) return undefined;
      const name = `quarry_${++this.#count}`;
      this.#names.set(query.text, name);
      return name;
    }
    if (this.#names.size < MAX_TRACKED_TEXTS && !this.#unprepared.has(query.text)) this.#names.set(query.text, "");
    return undefined;
  }

  /**
   * Prepares no new text for `ms` (those already prepared on a connection keep running prepared): the server is
   * out of room for them, and every client that shares it would otherwise fail.
   */
  pause(ms: number): void {
    this.#pausedUntil = Date.now() + ms;
  }

  /** False while paused: a connection then runs unprepared every text it has not prepared yet. */
  get preparing(): boolean {
    if (this.#pausedUntil === 0) return true;
    if (Date.now() < this.#pausedUntil) return false;
    this.#pausedUntil = 0;
    return true;
  }

  /** Sends this text unprepared from now on. */
  forget(text: string): void {
    this.#names.delete(text);
    this.#unprepared.add(text);
  }
}
