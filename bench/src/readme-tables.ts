/**
 * Prints the tables of the README's "Performance" section from a run's JSON (results/bench.json unless
 * a path is given): per database, each workload's median as a multiple of the raw driver's, the fastest
 * ORM in bold and whether it is quarry; then the allocation per get-by-pk.
 *
 *   npm run readme-tables [-- results/bench.json]
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { RESULTS_DIR } from "./config.js";
import { DB_LABEL, type BenchResults } from "./report.js";

const file = process.argv[2] ?? path.join(RESULTS_DIR, "bench.json");
const run = JSON.parse(readFileSync(file, "utf8")) as BenchResults;

const ratio = (r: number, digits = 2) => (r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(digits)}×`);
const milliseconds = (ms: number) => `${ms >= 10 ? ms.toFixed(0) : ms >= 0.1 ? ms.toFixed(2) : ms.toFixed(3)} ms`;

const out: string[] = [];
for (const db of run.meta.dbs) {
  const tools = run.meta.tools.filter((tool) => run.status.some((s) => s.db === db && s.tool === tool && s.status === "ok"));
  const orms = tools.filter((tool) => tool !== "raw");
  out.push(`**${DB_LABEL[db] ?? db}** — median per operation, as a multiple of the raw driver's (lower is better; bold: the fastest ORM)`, "");
  out.push(`| workload | ${tools.join(" | ")} | quarry fastest? |`, `| --- |${tools.map(() => " ---: |").join("")} --- |`);
  for (const workload of run.meta.workloads) {
    const result = (tool: string) => run.results.find((x) => x.db === db && x.workload === workload.key && x.tool === tool && !x.error);
    const measured = orms.filter((tool) => result(tool)?.ratio !== undefined);
    const fastest = measured.reduce<string | undefined>((best, tool) => (best === undefined || result(tool)!.ratio! < result(best)!.ratio! ? tool : best), undefined);
    // A peer level with the fastest to two places: the row shows three, so that the bold one is seen to be ahead.
    const level = fastest !== undefined && measured.some((tool) => tool !== fastest && ratio(result(tool)!.ratio!) === ratio(result(fastest)!.ratio!));
    // A tool that sat the workload out (it lacks the feature) has no result at all; one that failed has an error.
    const ran = (tool: string) => run.results.some((x) => x.db === db && x.workload === workload.key && x.tool === tool);
    const cells = tools.map((tool) => {
      const x = result(tool);
      if (!ran(tool)) return "–";
      if (!x || x.medianMs === undefined) return "error";
      if (tool === "raw") return milliseconds(x.medianMs);
      const text = ratio(x.ratio!, level ? 3 : 2);
      return tool === fastest ? `**${text}**` : text;
    });
    out.push(`| ${workload.title} | ${cells.join(" | ")} | ${fastest === "quarry" ? "yes" : `no: ${fastest ?? "–"}`} |`);
  }
  out.push("");
}

// A run of some workloads only (without get-by-pk) measured no allocation.
if (run.alloc.length === 0) {
  console.log(out.join("\n"));
  process.exit(0);
}
out.push("**Allocation per get-by-pk** (JS heap bytes per call, median over GC-free batches)", "");
out.push(`| tool | ${run.meta.dbs.map((db) => DB_LABEL[db] ?? db).join(" | ")} |`, `| --- |${run.meta.dbs.map(() => " ---: |").join("")}`);
for (const tool of run.meta.tools) {
  const cells = run.meta.dbs.map((db) => {
    const alloc = run.alloc.find((x) => x.db === db && x.tool === tool && !x.error);
    const raw = run.alloc.find((x) => x.db === db && x.tool === "raw" && !x.error);
    if (!alloc) return "–";
    const kib = `${(alloc.bytesPerOp / 1024).toFixed(1)} KiB`;
    return tool === "raw" || !raw ? kib : `${kib} (${(alloc.bytesPerOp / raw.bytesPerOp).toFixed(1)}×)`;
  });
  out.push(`| ${tool} | ${cells.join(" | ")} |`);
}
console.log(out.join("\n"));
