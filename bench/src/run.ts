/**
 * The harness. For each database: create and seed it through the raw driver, set up every tool,
 * measure allocation per get-by-pk, then run each workload on all tools interleaved (round-robin
 * batches, each tool after every other equally often: turns.ts) in this one process, checking every
 * answer. Results go to results/ as Markdown, JSON and an SVG chart (see report.ts).
 *
 *   npm run bench                      full run
 *   npm run bench -- --quick           a short run (under 2 minutes)
 *   npm run bench -- --db sqlite,postgresql --only raw,drizzle --workloads get-by-pk,fk-loads
 *   npm run bench -- --db sqlite --only raw,quarry,quarry@../.exp/main/index.js   (another build beside this one)
 *   npm run bench -- --no-idle-polling  leave the machine's idle vCPUs halting at once (see idle-polling.ts)
 */
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import { DIALECTS, dbConfig, type Dialect } from "./config.js";
import { loadDataset, type Dataset } from "./data.js";
import { turnOrder } from "./turns.js";
import { createSchemaAndSeed, dropDatabase, resetWrites, type AdminConn } from "./schema.js";
import { WORKLOADS, type Cost, type Workload } from "./workloads.js";
import type { Adapter } from "./adapters/types.js";
import { summarize, median } from "./stats.js";
import { pollIdleCpus } from "./idle-polling.js";
import { loadAdapter } from "./cli.js";
import { writeReport, type AllocResult, type BenchResults, type ToolStatus, type WorkloadResult } from "./report.js";

export const TOOLS = ["raw", "quarry", "drizzle", "kysely", "sequelize", "typeorm", "mikroorm", "prisma"] as const;

/**
 * collectFirst: a forced full GC (and its sweeping) before each batch, so that no tool's single timed op pays for the
 * garbage the tool before it left (a bulk insert of the slowest peers leaves hundreds of MB).
 * Fast workloads take the median of thousands of ops, which a collection's pause does not move.
 */
interface Plan { warmupMs: number; warmupMinOps: number; rounds: number; batchMs: number; minOps: number; maxOps: number; collectFirst: boolean }
const PLANS: Record<"quick" | "full", Record<Cost, Plan>> = {
  quick: {
    fast: { warmupMs: 25, warmupMinOps: 3, rounds: 3, batchMs: 35, minOps: 3, maxOps: 5000, collectFirst: false },
    bulk: { warmupMs: 0, warmupMinOps: 0, rounds: 1, batchMs: 0, minOps: 1, maxOps: 1, collectFirst: true },
  },
  // Many short rounds rather than a few long ones: the machine's speed drifts over seconds, and
  // the more often the tools take turns, the more evenly a slow spell falls on all of them.
  // 48 and 24: whole cycles of turnOrder for the eight tools, so each tool follows every other equally often (15
  // bulk rounds, one cycle and seven rounds, did not; their medians moved by ±0.06 from run to run).
  full: {
    fast: { warmupMs: 300, warmupMinOps: 20, rounds: 48, batchMs: 50, minOps: 5, maxOps: 100_000, collectFirst: false },
    bulk: { warmupMs: 0, warmupMinOps: 1, rounds: 24, batchMs: 0, minOps: 1, maxOps: 1, collectFirst: true },
  },
};

function parseArgs(argv: string[]) {
  const opts = { quick: false, dbs: [...DIALECTS] as Dialect[], tools: [...TOOLS] as string[], workloads: WORKLOADS.map((w) => w.key), keep: false, noIdlePolling: false };
  const list = (v: string | undefined, flag: string) => {
    if (!v) throw new Error(`${flag} needs a comma-separated list`);
    return v.split(",").map((s) => s.trim()).filter(Boolean);
  };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? argv[++k];
    if (flag === "--quick") opts.quick = true;
    else if (flag === "--keep") opts.keep = true;
    else if (flag === "--no-idle-polling") opts.noIdlePolling = true;
    else if (flag === "--db") opts.dbs = list(value(), flag).map((d) => (d === "mariadb" ? "mysql" : d === "postgres" ? "postgresql" : d)) as Dialect[];
    else if (flag === "--only") opts.tools = list(value(), flag);
    else if (flag === "--workloads") opts.workloads = list(value(), flag);
    else if (flag === "--help" || flag === "-h") {
      console.log("usage: npm run bench -- [--quick] [--db sqlite,postgresql,mysql] [--only raw,quarry,...] [--workloads get-by-pk,...] [--keep] [--no-idle-polling]");
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  for (const d of opts.dbs) if (!DIALECTS.includes(d)) throw new Error(`unknown database ${d}: one of ${DIALECTS.join(", ")}`);
  for (const t of opts.tools) if (!(TOOLS as readonly string[]).includes(t.split("@")[0]!)) throw new Error(`unknown tool ${t}: one of ${TOOLS.join(", ")}`);
  for (const w of opts.workloads) if (!WORKLOADS.some((x) => x.key === w)) throw new Error(`unknown workload ${w}: one of ${WORKLOADS.map((x) => x.key).join(", ")}`);
  // raw is the floor every ratio is taken against.
  if (!opts.tools.includes("raw")) opts.tools.unshift("raw");
  return opts;
}

const errorText = (e: unknown): string => {
  const err = e as { message?: string; code?: string };
  const msg = err?.message ?? String(e);
  return (err?.code && !msg.includes(err.code) ? `${err.code}: ${msg}` : msg).replace(/\s+/g, " ").trim().slice(0, 600);
};

const gc = (globalThis as { gc?: (options?: { type: "minor" | "major" }) => void }).gc ?? (() => {});
/**
 * A full collection, then a pause: V8 sweeps what it freed on helper threads after gc() returns, and on two
 * cores that work would run inside the timed op (SQLite's raw bulk insert measured 43 ms right after gc(),
 * 25 ms after this pause).
 */
const COLLECTION_PAUSE_MS = 100;
async function collect(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, COLLECTION_PAUSE_MS));
}
const log = (s: string) => process.stdout.write(s + "\n");

interface Live { tool: string; adapter: Adapter }

/** Bytes of JS heap allocated per get-by-pk, from batches during which no GC ran (GCProfiler says). */
async function measureAlloc(adapter: Adapter, quick: boolean): Promise<{ bytesPerOp: number; samples: number }> {
  const ids = Array.from({ length: 64 }, (_, k) => 1 + ((k * 7919) % 10_000));
  for (let k = 0; k < (quick ? 50 : 300); k++) await adapter.getByPk(ids[k % ids.length]!);
  const perOp: number[] = [];
  let batch = 20;
  for (let attempt = 0; attempt < (quick ? 12 : 40) && perOp.length < (quick ? 5 : 20); attempt++) {
    gc();
    const profiler = new v8.GCProfiler();
    profiler.start();
    const before = process.memoryUsage().heapUsed;
    for (let k = 0; k < batch; k++) await adapter.getByPk(ids[k % ids.length]!);
    const after = process.memoryUsage().heapUsed;
    const gcs = profiler.stop()?.statistics.length ?? 0;
    if (gcs === 0) perOp.push((after - before) / batch);
    else if (batch > 2) batch = Math.floor(batch / 2);
  }
  return { bytesPerOp: perOp.length ? Math.round(median(perOp)) : NaN, samples: perOp.length };
}

async function runWorkload(w: Workload, tools: Live[], plan: Plan, admin: AdminConn, data: Dataset, dialect: Dialect): Promise<WorkloadResult[]> {
  // A tool without the feature a workload measures sits it out: its cell reads "–".
  const live = w.supports ? tools.filter((l) => w.supports!(l.adapter)) : tools;
  const samples = new Map<string, number[]>(live.map((l) => [l.tool, []]));
  const failed = new Map<string, string>();
  let i = 0; // global op counter: consecutive ops (of any tool) touch different rows

  const batch = async ({ tool, adapter }: Live, ms: number, minOps: number, maxOps: number, record: boolean) => {
    const start = performance.now();
    let ops = 0;
    let last: unknown;
    try {
      while (ops < maxOps && (ops < minOps || performance.now() - start < ms)) {
        const args = w.args(i++, data);
        const prepared = w.prepare ? await w.prepare(adapter, args) : undefined;
        const t0 = process.hrtime.bigint();
        const result = await w.run(adapter, args, prepared);
        const t1 = process.hrtime.bigint();
        ops++;
        last = args;
        w.check(result, args, data);
        if (record) samples.get(tool)!.push(Number(t1 - t0));
        if (w.afterOp) await w.afterOp(admin, args);
      }
      if (w.afterBatch) await w.afterBatch(admin, ops, last);
    } catch (e) {
      failed.set(tool, errorText(e));
      log(`    ${tool}: FAILED ${errorText(e)}`);
      if (w.afterOp || w.afterBatch) await resetWrites(admin);
    }
  };

  const running = () => live.filter((l) => !failed.has(l.tool));
  for (const l of running()) if (plan.warmupMinOps > 0) await batch(l, plan.warmupMs, plan.warmupMinOps, plan.maxOps, false);
  for (let r = 0; r < plan.rounds; r++) {
    for (const l of turnOrder(running(), r)) {
      if (failed.has(l.tool)) continue;
      if (plan.collectFirst) await collect();
      // The young generation emptied first (~0.3 ms), so that the batch's scavenges collect its own tool's garbage,
      // not what the tool before it left: a peer that allocates ten times more charged its scavenges to whoever
      // ran next. (What was promoted before still falls where it falls.)
      else gc({ type: "minor" });
      await batch(l, plan.batchMs, plan.minOps, plan.maxOps, true);
    }
  }
  if (w.afterAll) await w.afterAll(admin, data);
  gc();

  const rawMedian = samples.get("raw")?.length && !failed.has("raw") ? summarize(samples.get("raw")!).medianMs : NaN;
  return live.map(({ tool }) => {
    const error = failed.get(tool);
    const s = samples.get(tool)!;
    if (error || s.length === 0) return { db: dialect, workload: w.key, tool, error: error ?? "no samples" };
    const sum = summarize(s);
    return { db: dialect, workload: w.key, tool, ...sum, ratio: sum.medianMs / rawMedian };
  });
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const mode = opts.quick ? "quick" : "full";
  const started = Date.now();
  log(`quarry bench (${mode}): databases ${opts.dbs.join(", ")}; tools ${opts.tools.join(", ")}`);
  if (!(globalThis as { gc?: unknown }).gc) log("note: run with node --expose-gc (npm run bench does) for steadier numbers");
  const idleCpus = pollIdleCpus(opts.noIdlePolling);
  log(idleCpus);
  const data = loadDataset();
  const workloads = WORKLOADS.filter((w) => opts.workloads.includes(w.key));
  const results: BenchResults = {
    meta: {
      mode, startedAt: new Date(started).toISOString(), node: process.version, platform: `${process.platform} ${process.arch}`,
      cpus: (await import("node:os")).cpus().length, idleCpus, plans: PLANS[mode], dbs: opts.dbs, tools: opts.tools,
      workloads: workloads.map((w) => ({ key: w.key, title: w.title })), durationSec: 0,
    },
    status: [], results: [], alloc: [],
  };

  for (const dialect of opts.dbs) {
    const cfg = dbConfig(dialect);
    log(`\n== ${dialect} ==`);
    let admin: AdminConn;
    try {
      admin = await createSchemaAndSeed(cfg, data);
    } catch (e) {
      log(`  cannot create/seed the ${dialect} database: ${errorText(e)}`);
      for (const tool of opts.tools) results.status.push({ db: dialect, tool, status: "unavailable", error: `database: ${errorText(e)}` });
      continue;
    }
    const live: Live[] = [];
    for (const tool of opts.tools) {
      const st: ToolStatus = { db: dialect, tool, status: "ok" };
      const t0 = performance.now();
      let adapter: Adapter | undefined;
      try {
        adapter = await loadAdapter(tool);
        await adapter.setup(cfg);
        // A first query proves the tool really works here before it enters the run.
        await adapter.getByPk(1);
        st.version = adapter.version();
        live.push({ tool, adapter });
      } catch (e) {
        st.status = "unavailable";
        st.error = errorText(e);
        await adapter?.teardown().catch(() => {});
      }
      st.setupMs = Math.round(performance.now() - t0);
      results.status.push(st);
      log(`  ${tool}: ${st.status === "ok" ? `ok (${st.version}, setup ${st.setupMs} ms)` : `unavailable (${st.error})`}`);
    }

    if (workloads.some((w) => w.key === "get-by-pk")) {
      log("  allocation per get-by-pk:");
      for (const { tool, adapter } of live) {
        try {
          const a = await measureAlloc(adapter, opts.quick);
          results.alloc.push({ db: dialect, tool, ...a } satisfies AllocResult);
          log(`    ${tool}: ${Number.isNaN(a.bytesPerOp) ? "n/a (a GC ran in every batch)" : `${(a.bytesPerOp / 1024).toFixed(1)} KiB`}`);
        } catch (e) {
          results.alloc.push({ db: dialect, tool, bytesPerOp: NaN, samples: 0, error: errorText(e) });
        }
      }
    }

    for (const w of workloads) {
      const t0 = performance.now();
      const rows = await runWorkload(w, live, PLANS[mode][w.cost], admin, data, dialect);
      results.results.push(...rows);
      const raw = rows.find((r) => r.tool === "raw");
      log(`  ${w.title} (${((performance.now() - t0) / 1000).toFixed(1)} s): ` + rows.map((r) =>
        r.error ? `${r.tool} ERROR` : `${r.tool} ${r.medianMs!.toFixed(3)}ms${raw && r !== raw ? ` x${r.ratio!.toFixed(1)}` : ""}`).join(", "));
    }

    for (const { tool, adapter } of live) {
      try { await adapter.teardown(); } catch (e) { log(`  ${tool}: teardown failed: ${errorText(e)}`); }
    }
    await admin.close();
    if (!opts.keep) await dropDatabase(cfg);
  }

  results.meta.durationSec = Math.round((Date.now() - started) / 100) / 10;
  const files = await writeReport(results);
  log(`\ndone in ${results.meta.durationSec} s; wrote ${files.join(", ")}`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
