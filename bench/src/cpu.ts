/**
 * Client CPU per operation: what a tool costs the Node process, apart from the database's own time,
 * which dominates a latency and varies from run to run. The tools take turns in short blocks (in
 * turnOrder's balanced order) on one seeded database, so drift on a shared machine falls on all of
 * them; each block's CPU (process.cpuUsage around each operation, not its preparation or its check)
 * and wall time per operation are kept, and the medians printed. Every block's first answer is checked.
 *
 *   npm run cpu -- --db mysql --tool raw,quarry,kysely --workload filter-order-limit [--rounds 200 --block 100]
 *   npm run cpu -- --db mysql --tool raw,raw,raw,raw --workload filter-order-limit   (the noise floor: one code, four pools)
 */
import { dbConfig } from "./config.js";
import { loadDataset } from "./data.js";
import { createSchemaAndSeed, deleteInserted, dropDatabase } from "./schema.js";
import type { Adapter } from "./adapters/types.js";
import { turnOrder } from "./turns.js";
import { pollIdleCpus } from "./idle-polling.js";
import { dialectOption, flag, loadAdapter, option, workloadOption } from "./cli.js";

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[samples.length >> 1]!;
const WARMUP_ROUNDS = 2;

async function main(): Promise<void> {
  console.log(pollIdleCpus(flag("no-idle-polling")));
  const dialect = dialectOption();
  const tools = option("tool", "raw,quarry").split(",");
  const workload = workloadOption("get-by-pk");
  const rounds = Number(option("rounds", "200"));
  const block = Number(option("block", "100"));
  const cfg = dbConfig(dialect);
  const data = loadDataset();
  const admin = await createSchemaAndSeed(cfg, data);
  const adapters: Adapter[] = [];
  try {
    for (const tool of tools) {
      const adapter = await loadAdapter(tool);
      await adapter.setup(cfg);
      adapters.push(adapter);
    }
    const cpu = tools.map(() => [] as number[]);
    const wall = tools.map(() => [] as number[]);
    let op = 0;
    for (let round = 0; round < rounds + WARMUP_ROUNDS; round++) {
      for (const index of turnOrder(adapters.map((_, index) => index), round)) {
        // As in the run: each block's scavenges collect its own tool's garbage (see run.ts).
        (globalThis as { gc?: (options: { type: "minor" }) => void }).gc?.({ type: "minor" });
        let micros = 0;
        let millis = 0;
        for (let n = 0; n < block; n++, op++) {
          const args = workload.args(op, data);
          const prepared = workload.prepare ? await workload.prepare(adapters[index]!, args) : undefined;
          const startedCpu = process.cpuUsage();
          const started = performance.now();
          const result = await workload.run(adapters[index]!, args, prepared);
          millis += performance.now() - started;
          const used = process.cpuUsage(startedCpu);
          micros += used.user + used.system;
          if (n === 0) workload.check(result, args, data);
          if (workload.afterOp) await workload.afterOp(admin, args);
          else if (workload.afterBatch && op % 1000 === 999) await deleteInserted(admin);
        }
        if (round >= WARMUP_ROUNDS) {
          cpu[index]!.push(micros / block);
          wall[index]!.push((millis * 1000) / block);
        }
      }
    }
    tools.forEach((tool, k) => {
      // A tool named twice is two instances, each with its own connections: what they differ by is noise.
      const label = tools.indexOf(tool) === tools.lastIndexOf(tool) ? tool : `${tool} #${tools.slice(0, k + 1).filter((t) => t === tool).length}`;
      console.log(`${dialect} ${workload.key} ${label}: cpu ${median(cpu[k]!).toFixed(1)} µs/op, wall ${median(wall[k]!).toFixed(1)} µs/op`);
    });
    await deleteInserted(admin);
    await workload.afterAll?.(admin, data);
  } finally {
    for (const adapter of adapters) await adapter.teardown();
    await admin.close();
    await dropDatabase(cfg);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
