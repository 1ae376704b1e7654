import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const library = resolve(import.meta.dirname, "../../lib/index.ts");
// Scripts run from other directories, so tsx is named by its location.
const tsx = pathToFileURL(resolve(import.meta.dirname, "../../node_modules/tsx/dist/loader.mjs")).href;

/** Runs a TypeScript script ("quarry" imports lead to lib/) in a child process; resolves with its output once it exits by itself. */
export async function runScript(directory: string, source: string, env: Record<string, string> = {}): Promise<string> {
  const file = join(directory, `script-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(file, source.replaceAll('from "quarry"', `from ${JSON.stringify(library)}`));
  // The timeout only ends a script that would never exit, which fails the test.
  const { stdout } = await run(process.execPath, ["--import", tsx, file], { cwd: directory, env: { ...process.env, ...env }, timeout: 60_000 });
  return stdout;
}

export const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8");

/** The first ```ts block after the README heading `heading`. */
export function readmeBlock(heading: string): string {
  return readme.slice(readme.indexOf(heading)).match(/```ts\n([\s\S]*?)```/)![1]!;
}
