/**
 * One tool on one workload in a loop, for a CPU profile or a steadier A/B than the interleaved run:
 * it seeds its own database, runs the workload for --seconds (every answer checked), prints the median
 * per op, and drops the database. With --cpu-prof, the profile shows where a tool spends its time.
 *
 *   npm run profile -- --db mysql --tool quarry --workload filter-order-limit --seconds 10
 *   node --cpu-prof --cpu-prof-dir=.prof --import tsx src/profile.ts --db sqlite --tool quarry
 */
import { dbConfig } from "./config.js";
import { loadDataset } from "./data.js";
import { createSchemaAndSeed, deleteInserted, dropDatabase } from "./schema.js";
import { summarize } from "./stats.js";
import { pollIdleCpus } from "./idle-polling.js";
import { dialectOption, flag, loadAdapter, option, workloadOption } from "./cli.js";

async function main(): Promise<void> {
  console.log(pollIdleCpus(flag("no-idle-polling")));
  const dialect = dialectOption();
  const tools = option("tool", "quarry").split(",");
  const workload = workloadOption("get-by-pk");
  const seconds = Number(option("seconds", "5"));
  const cfg = dbConfig(dialect);
  const data = loadDataset();
  const admin = await createSchemaAndSeed(cfg, data);
  try {
    for (const tool of tools) {
      const adapter = await loadAdapter(tool);
      await adapter.setup(cfg);
      const samples: number[] = [];
      const deadline = performance.now() + seconds * 1000;
      for (let i = 0; performance.now() < deadline; i++) {
        const args = workload.args(i, data);
        const prepared = workload.prepare ? await workload.prepare(adapter, args) : undefined;
        const t0 = process.hrtime.bigint();
        const result = await workload.run(adapter, args, prepared);
        samples.push(Number(process.hrtime.bigint() - t0));
        workload.check(result, args, data);
        if (workload.afterOp) await workload.afterOp(admin, args);
        else if (workload.afterBatch && i % 1000 === 999) await deleteInserted(admin);
      }
      await deleteInserted(admin);
      await workload.afterAll?.(admin, data);
      await adapter.teardown();
      const s = summarize(samples.slice(Math.floor(samples.length / 5))); // the first fifth warms the JIT
      console.log(`${dialect} ${workload.key} ${tool}: median ${(s.medianMs * 1000).toFixed(1)} µs, p95 ${(s.p95Ms * 1000).toFixed(1)} µs, n ${s.n}`);
    }
  } finally {
    await admin.close();
    await dropDatabase(cfg);
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
