/** Command-line options of the one-workload tools (profile, cpu): `--name value`. */
import path from "node:path";
import { BENCH_DIR, type Dialect } from "./config.js";
import { WORKLOADS, type Workload } from "./workloads.js";
import type { Adapter } from "./adapters/types.js";

/** `--name` given, as a bare flag. */
export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

export function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

/** `--db`, taking mariadb and postgres as aliases. */
export function dialectOption(): Dialect {
  return option("db", "sqlite").replace(/^mariadb$/, "mysql").replace(/^postgres$/, "postgresql") as Dialect;
}

export function workloadOption(fallback: string): Workload<any, any> {
  const workload = WORKLOADS.find((w) => w.key === option("workload", fallback));
  if (!workload) throw new Error(`unknown workload: one of ${WORKLOADS.map((w) => w.key).join(", ")}`);
  return workload;
}

/**
 * A tool's adapter, by its file name under adapters/. `quarry@<path>` loads quarry from another build (a path
 * relative to bench/), so that two builds can be measured side by side in one process.
 */
export async function loadAdapter(tool: string): Promise<Adapter> {
  const [name, entry] = tool.split("@");
  const Adapter = ((await import(`./adapters/${name}.js`)) as { default: new (entry?: string) => Adapter }).default;
  return new Adapter(entry === undefined ? undefined : path.resolve(BENCH_DIR, entry));
}
