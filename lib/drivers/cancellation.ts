import { QueryCancelledError, StatementTimeoutError } from "../errors.js";
import type { Callback, CallbackConnection, CompiledQuery, QueryOptions, QueryResult } from "./driver.js";

/**
 * How long a cancelled statement may take to end after the server was asked to stop it. Past it (a silent
 * network, a server that never answers) the connection's socket is closed, which ends it on the client at once.
 */
export const CANCEL_GRACE_MS = 2_000;

/** The statement as an error message quotes it. */
export function excerpt(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
}

/**
 * Sends `query` on `connection`, stopped when `options.timeoutMs` passes or `options.signal` aborts: the server is
 * asked to cancel it, and if it has not ended CANCEL_GRACE_MS later its socket is closed. A connection whose
 * statement ended any other way than by that cancellation (it finished, or failed otherwise, while the cancel
 * request was on its way) is marked broken: the cancel could still land on its next statement.
 */
export function sendBounded(
  connection: CallbackConnection,
  query: CompiledQuery,
  options: QueryOptions,
  callback: Callback<QueryResult>,
): void {
  const { timeoutMs, signal } = options;
  if (signal?.aborted) {
    return callback(new QueryCancelledError(`The statement was not sent: its AbortSignal had already fired (${excerpt(query.text)})`, { cause: signal.reason }));
  }
  let stopped: "timeout" | "aborted" | undefined;
  let cancelled: Promise<void> = Promise.resolve();
  let grace: NodeJS.Timeout | undefined;
  const stop = (why: "timeout" | "aborted") => {
    if (stopped) return;
    stopped = why;
    cancelled = connection.cancelRunning().catch(() => {});
    grace = setTimeout(() => connection.destroySocket(), CANCEL_GRACE_MS);
  };
  // Infinity: the call lifted the database's limit.
  const timer = timeoutMs === undefined || timeoutMs === Infinity ? undefined : setTimeout(() => stop("timeout"), timeoutMs);
  const onAbort = () => stop("aborted");
  signal?.addEventListener("abort", onAbort, { once: true });
  connection.send(query, options, (error, result) => {
    clearTimeout(timer);
    clearTimeout(grace);
    signal?.removeEventListener("abort", onAbort);
    if (!stopped) return callback(error, result);
    if (!(error instanceof QueryCancelledError)) connection.broken ??= new Error("a cancel request was sent to its statement");
    const settle = () => {
      if (!error) return callback(null, result);
      callback(
        stopped === "timeout"
          ? new StatementTimeoutError(`The statement ran past its ${timeoutMs} ms limit and was cancelled on the server: ${excerpt(query.text)}`, { cause: error })
          : new QueryCancelledError(`The statement was cancelled by its AbortSignal: ${excerpt(query.text)}`, { cause: error }),
      );
    };
    // The connection is handed back once the cancel request is done: PostgreSQL signals the backend twice (its pid,
    // then its process group), and a second signal that came after the first had ended this statement cancelled the next one.
    void cancelled.then(settle);
  });
}
