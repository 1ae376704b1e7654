import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as orm from "../../lib/index.js";

/**
 * A MariaDB server of the test's own (its own data directory and loopback port), for what must never be done to the
 * shared one: lowering server limits, killing and restarting it.
 */
export interface OwnMariadb {
  /** mysql://root@127.0.0.1:<port>/test */
  readonly url: string;
  /** SIGKILL, as a crash or an OOM kill would: no clean shutdown, InnoDB recovers at the next start. */
  crash(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 0;
}

export async function startOwnMariadb(settings: string[] = []): Promise<OwnMariadb> {
  const dir = mkdtempSync(join(tmpdir(), "quarry-mariadb-"));
  const data = join(dir, "data");
  const install = spawnSync(
    "mariadb-install-db",
    ["--no-defaults", `--datadir=${data}`, "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"],
    { encoding: "utf8" },
  );
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `mysql://root@127.0.0.1:${port}/test`;

  const start = async () => {
    child = spawn(
      "mariadbd",
      [
        "--no-defaults",
        `--datadir=${data}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--socket=${join(dir, "sock")}`,
        `--pid-file=${join(dir, "pid")}`,
        `--log-error=${join(dir, "error.log")}`,
        "--user=root",
        "--skip-log-bin",
        "--innodb-buffer-pool-size=32M",
        ...settings,
      ],
      { stdio: "ignore" },
    );
    const admin = new orm.Database(`mysql://root@127.0.0.1:${port}/`, { connectTimeoutMs: 1_000 });
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.execute(orm.raw("CREATE DATABASE IF NOT EXISTS test"));
          return;
        } catch (error) {
          if (attempt > 120) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    } finally {
      await admin.disconnect();
    }
  };
  const exited = (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      running.once("exit", () => resolve());
      running.kill(signal);
    });
  };
  await start();
  return {
    url,
    start,
    crash: () => exited("SIGKILL"),
    stop: async () => {
      await exited("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
