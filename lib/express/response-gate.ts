import type { ServerResponse } from "node:http";

/** The ServerResponse methods that put something on the wire (writeHead only buffers, but fixes the status). */
const SENDING = ["writeHead", "write", "end", "flushHeaders"] as const;
type Sending = (typeof SENDING)[number];

export interface Gate {
  /** Whether the handler has begun its response (and so `settle` has been called). */
  readonly opened: boolean;
}

/**
 * Holds back what a handler sends on `response` until `settle(status)` has run: the first writeHead, write,
 * end or flushHeaders calls it with the status the response will have, and is queued with whatever follows.
 * When settle resolves, the queued calls go out in order and the response's methods are its own again.
 * When it rejects, the queued calls are dropped (nothing has reached the client) and `failed` gets the error,
 * to send an error response instead.
 */
export function holdResponse(
  response: ServerResponse,
  settle: (status: number) => Promise<void>,
  failed: (error: unknown) => void,
): Gate {
  const own = new Map<Sending, ServerResponse[Sending]>(SENDING.map((name) => [name, response[name]]));
  const queued: Array<{ name: Sending; args: unknown[] }> = [];
  const gate = { opened: false };
  const restore = () => {
    for (const [name, method] of own) Object.assign(response, { [name]: method });
  };
  const open = (status: number) => {
    gate.opened = true;
    settle(status).then(
      () => {
        restore();
        for (const { name, args } of queued.splice(0)) (own.get(name) as (...args: unknown[]) => unknown).apply(response, args);
      },
      (error: unknown) => {
        queued.length = 0;
        restore();
        failed(error);
      },
    );
  };
  for (const name of SENDING) {
    Object.assign(response, {
      [name](...args: unknown[]) {
        queued.push({ name, args });
        // writeHead(status, ...) decides the status before res.statusCode says it.
        if (!gate.opened) open(name === "writeHead" && typeof args[0] === "number" ? args[0] : response.statusCode);
        // write() reports no back-pressure while held: the queue is what the handler sent before COMMIT.
        return name === "write" ? true : response;
      },
    });
  }
  return gate;
}
