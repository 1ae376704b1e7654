import type { IncomingMessage, ServerResponse } from "node:http";
import type { Database } from "../database.js";
import type { ScopeOptions } from "../scope.js";
import type { Transaction, TransactionOptions } from "../transaction.js";
import { holdResponse, type Gate } from "./response-gate.js";

export interface AtomicRequestsOptions {
  /** Run each request in a transaction (the default), with these options, or not (`false`: a scope only). */
  transaction?: boolean | Pick<TransactionOptions, "isolation">;
  /** The options of each request's scope (`database.scope(fn, options)`). */
  scope?: ScopeOptions;
  /**
   * Whether a response with this status commits the request's transaction; otherwise it rolls back.
   * Default: below 400, so an error response (the error handler's 500, a 4xx) undoes what the request wrote.
   */
  commitsOn?: (status: number) => boolean;
}

/** What Express (4 and 5) and node:http call a middleware with; Express's Request and Response fit it. */
export type Middleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * An Express middleware that runs each request in `database.scope()` and, unless told not to, in a transaction
 * of its own: every query the later handlers make, at any async depth, runs in it. The transaction ends
 * before the client hears anything: the response is held back until COMMIT (or ROLLBACK, for an error
 * status) is done, so a client that reads after it sees what the request wrote, and a failed COMMIT becomes
 * an error response (passed to `next(error)`) rather than a false success. A client that goes away before
 * the response began rolls the transaction back at once and gives its connection back; the handler's later
 * queries fail with TransactionError.
 */
export function atomicRequests(database: Database, options: AtomicRequestsOptions = {}): Middleware {
  const transactionOptions = options.transaction ?? true;
  const commitsOn = options.commitsOn ?? ((status: number) => status < 400);
  return (_request, response, next) => {
    // The request's scope lasts until its response is done (not until next() returns): what it reports at its end,
    // such as the N+1 detector's findings, covers the whole request.
    const done = new Promise<void>((resolve) => response.once("close", resolve));
    if (transactionOptions === false) {
      void database.scope(() => {
        next();
        return done;
      }, options.scope);
      return;
    }
    void database.scope(async () => {
      let tx: Transaction | undefined;
      let gate: Gate | undefined;
      let left = false;
      // "close" before the response began: the client went away (it may do so while BEGIN waits for a connection).
      response.once("close", () => {
        if (gate?.opened) return;
        left = true;
        void tx?.rollback();
      });
      try {
        tx = await database.begin(transactionOptions === true ? {} : transactionOptions);
      } catch (error) {
        next(error);
        return;
      }
      if (left) return tx.rollback();
      const transaction = tx;
      gate = holdResponse(
        response,
        async (status) => {
          // A transaction rolled back because the client left has nothing more to do.
          if (!transaction.active) return;
          if (commitsOn(status)) await transaction.commit();
          else await transaction.rollback();
        },
        next,
      );
      transaction.run(() => next());
      await done;
    }, options.scope);
  };
}
