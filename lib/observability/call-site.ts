import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * quarry's own code: this file's folder's parent, `lib/` when run from source, `dist/` when built (one file).
 * A frame there, in Node's internals or in dataloader is never the user's.
 */
const OWN_DIRECTORY = ownDirectory();

function ownDirectory(): string | undefined {
  const url = (import.meta as { url?: string }).url;
  if (!url) return undefined;
  const here = dirname(fileURLToPath(url));
  return here.endsWith(`${sep}observability`) ? dirname(here) + sep : here + sep;
}

/** How deep a stack is taken when a call site is wanted: deep enough to get past quarry's own frames, no deeper (each frame costs). */
const DEPTH = 20;

/** The stack where quarry was called, to be read only if needed: V8 formats it lazily. */
export function captureStack(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = DEPTH;
  const stack = new Error();
  Error.stackTraceLimit = limit;
  return stack;
}

/**
 * Where the user's code called quarry, as "file:line:column" of the generated code: cheap enough for every lazy
 * load (V8's frames are read as objects, no text is formatted), to count repeats by; `userCallSite` of a stack
 * taken at the same moment gives the same place as a person reads it (source-mapped) when there is one to report.
 */
export function callSiteKey(): string | undefined {
  const { prepareStackTrace, stackTraceLimit } = Error;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    Error.prepareStackTrace = (_, frames) => frames;
    Error.stackTraceLimit = DEPTH;
    Error.captureStackTrace(holder, callSiteKey);
    for (const frame of holder.stack ?? []) {
      const file = frame.getFileName();
      if (!file || isInternalFile(file)) continue;
      return `${file}:${frame.getLineNumber()}:${frame.getColumnNumber()}`;
    }
    return undefined;
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** The first frame of `stack` outside quarry, Node and dataloader, as "file:line:column" (or "function (file:line:column)"). */
export function userCallSite(stack: Error): string | undefined {
  for (const line of (stack.stack ?? "").split("\n").slice(1)) {
    const frame = line.trim().replace(/^at (async )?/, "");
    const location = /\(([^()]+)\)$/.exec(frame)?.[1] ?? frame;
    if (isInternal(location)) continue;
    return frame.startsWith("file://") ? fileURLToPath(frame) : frame.replace(/\(file:\/\/([^()]+)\)$/, (_, path: string) => `(${fileURLToPath(`file://${path}`)})`);
  }
  return undefined;
}

/** By file name (V8 hands out few): whether it is quarry's, Node's or dataloader's. */
const internalFiles = new Map<string, boolean>();

function isInternalFile(file: string): boolean {
  let internal = internalFiles.get(file);
  if (internal === undefined) internalFiles.set(file, (internal = isInternal(file)));
  return internal;
}

function isInternal(location: string): boolean {
  const path = location.startsWith("file://") ? fileURLToPath(location.replace(/:\d+:\d+$/, "")) : location;
  if (path.startsWith("node:") || path.startsWith("internal/") || path === "<anonymous>" || path.startsWith("new Promise")) return true;
  if (path.includes(`${sep}node_modules${sep}dataloader${sep}`)) return true;
  if (OWN_DIRECTORY) return path.startsWith(OWN_DIRECTORY);
  return path.includes(join("node_modules", "quarry") + sep);
}
