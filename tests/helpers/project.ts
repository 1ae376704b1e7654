import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The built command, as `npx quarry` runs it: tests of the CLI need `npm run build` first (CI builds before testing). */
export const QUARRY_BIN = join(REPOSITORY, "dist/quarry-bin.js");

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A throwaway project folder whose `quarry` import resolves to this repository's build, as an installed package would. */
export class TempProject {
  readonly root = mkdtempSync(join(tmpdir(), "quarry-project-"));

  constructor() {
    mkdirSync(join(this.root, "node_modules"));
    symlinkSync(REPOSITORY, join(this.root, "node_modules/quarry"), "dir");
    this.write("package.json", `${JSON.stringify({ name: "quarry-test-project", private: true, type: "module" })}\n`);
  }

  write(path: string, text: string): this {
    mkdirSync(dirname(join(this.root, path)), { recursive: true });
    writeFileSync(join(this.root, path), text);
    return this;
  }

  read(path: string): string {
    return readFileSync(join(this.root, path), "utf8");
  }

  /** The files in a folder of the project, sorted; none when it does not exist. */
  files(folder: string): string[] {
    try {
      return readdirSync(join(this.root, folder)).sort();
    } catch {
      return [];
    }
  }

  remove(path: string): void {
    rmSync(join(this.root, path), { force: true, recursive: true });
  }

  /** `quarry <args>` in a real process, from `cwd` inside the project; stdin is `input` (or closed). */
  run(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<CommandResult> {
    return runProcess(process.execPath, [QUARRY_BIN, ...args], { cwd: join(this.root, options.cwd ?? "."), env: options.env, input: options.input });
  }

  destroy(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> | undefined; input?: string | undefined },
): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...process.env, ...options.env };
    delete env.QUARRY_DATABASE_URL;
    if (options.env?.QUARRY_DATABASE_URL) env.QUARRY_DATABASE_URL = options.env.QUARRY_DATABASE_URL;
    const child = spawn(command, args, { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}
