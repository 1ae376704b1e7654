import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A PostgreSQL server of the test's own (its own cluster directory and loopback port), for what must never be done
 * to the shared one: starting it under a memory limit.
 */
export interface OwnPostgresql {
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  /** The server's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** The server's programs: Debian's versioned directory where there is one, else the PATH's. */
function binary(name: string): string {
  const versioned = ["17", "16", "15", "14"].map((version) => `/usr/lib/postgresql/${version}/bin/${name}`);
  return versioned.find((path) => existsSync(path)) ?? name;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 0;
}

/** initdb and pg_ctl refuse to run as root: as root they run as the postgres user. */
function run(command: string, args: readonly string[]): void {
  const asRoot = process.getuid?.() === 0;
  execFileSync(asRoot ? "runuser" : command, asRoot ? ["-u", "postgres", "--", command, ...args] : [...args], { stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * Starts a cluster with these postgresql.conf lines; `addressSpaceKb` limits each server process's virtual memory
 * (`ulimit -v`), so that a backend that holds too much fails with "out of memory" as a starved server would.
 */
export async function startOwnPostgresql(settings: readonly string[] = [], addressSpaceKb?: number): Promise<OwnPostgresql> {
  const dir = mkdtempSync(join(tmpdir(), "quarry-postgresql-"));
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })), Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })));
  const data = join(dir, "data");
  run(binary("initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
  const port = await freePort();
  const conf = [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, "max_connections = 10", ...settings];
  writeFileSync(join(data, "postgresql.conf"), `${readFileSync(join(data, "postgresql.conf"), "utf8")}\n${conf.join("\n")}\n`);
  const logFile = join(dir, "log");
  const start = `${addressSpaceKb === undefined ? "" : `ulimit -v ${addressSpaceKb}; `}exec ${binary("pg_ctl")} -D ${data} -l ${logFile} -w -t 60 start`;
  run("bash", ["-c", start]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    log: () => readFileSync(logFile, "utf8"),
    async stop() {
      try {
        run(binary("pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
