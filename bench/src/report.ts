/**
 * Writes results/bench.{md,json,svg} (a full run) or results/bench-quick.{md,json,svg} (--quick):
 * per workload and database the median and p95 latency per operation, ops/s and the ratio of the
 * median to the raw driver's; allocation per get-by-pk; each tool's status, with the error for
 * any that could not run. The SVG is drawn by hand: one panel per database, log-scale ratio bars.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RESULTS_DIR } from "./config.js";
import type { Summary } from "./stats.js";

export interface ToolStatus { db: string; tool: string; status: "ok" | "unavailable"; version?: string; error?: string; setupMs?: number }
export interface WorkloadResult extends Partial<Summary> { db: string; workload: string; tool: string; ratio?: number; error?: string }
export interface AllocResult { db: string; tool: string; bytesPerOp: number; samples: number; error?: string }
export interface BenchResults {
  meta: {
    mode: "quick" | "full"; startedAt: string; node: string; platform: string; cpus: number; durationSec: number;
    /** How idle vCPUs behaved during the run (see idle-polling.ts); absent in results from before it was recorded. */
    idleCpus?: string;
    plans: unknown; dbs: string[]; tools: string[]; workloads: { key: string; title: string }[];
  };
  status: ToolStatus[];
  results: WorkloadResult[];
  alloc: AllocResult[];
}

export const DB_LABEL: Record<string, string> = { sqlite: "SQLite (file)", postgresql: "PostgreSQL", mysql: "MariaDB" };
const COLORS: Record<string, string> = {
  raw: "#555555", quarry: "#d62728", drizzle: "#2ca02c", kysely: "#1f77b4", sequelize: "#9467bd",
  typeorm: "#ff7f0e", mikroorm: "#8c564b", prisma: "#17becf",
};

const fmtMs = (ms?: number) => (ms === undefined || Number.isNaN(ms) ? "–" : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
const fmtOps = (n?: number) => (n === undefined || Number.isNaN(n) ? "–" : n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));
const fmtRatio = (r?: number) => (r === undefined || Number.isNaN(r) ? "–" : `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`);
const fmtKiB = (b: number) => (Number.isNaN(b) ? "–" : `${(b / 1024).toFixed(1)} KiB`);
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function markdown(r: BenchResults, svgName: string): string {
  const { meta } = r;
  const out: string[] = [];
  const find = (db: string, w: string, t: string) => r.results.find((x) => x.db === db && x.workload === w && x.tool === t);
  const status = (db: string, t: string) => r.status.find((s) => s.db === db && s.tool === t);
  out.push(`# quarry bench results (${meta.mode} run)`, "");
  out.push(`${meta.startedAt} · Node ${meta.node} · ${meta.platform} · ${meta.cpus} CPUs${meta.idleCpus ? ` (${meta.idleCpus})` : ""} · ${meta.durationSec} s in all.`);
  out.push("Each cell is the median latency of one operation; ratios are that median over the raw driver's on the same database.");
  out.push("All tools ran interleaved in one process (round-robin batches, in an order that balances which tool runs after which); every answer was checked.", "");
  out.push(`![ratio to raw](${svgName})`, "");

  out.push("## Tools", "", `| tool | ${meta.dbs.map((d) => DB_LABEL[d] ?? d).join(" | ")} |`, `| --- |${meta.dbs.map(() => " --- |").join("")}`);
  for (const t of meta.tools) {
    out.push(`| ${t} | ${meta.dbs.map((d) => {
      const s = status(d, t);
      if (!s) return "–";
      return cell(s.status === "ok" ? `${s.version} (setup ${s.setupMs} ms)` : `**unavailable**: ${s.error}`);
    }).join(" | ")} |`);
  }
  out.push("");

  for (const db of meta.dbs) {
    const tools = meta.tools.filter((t) => status(db, t)?.status === "ok");
    if (!tools.length) continue;
    out.push(`## ${DB_LABEL[db] ?? db}: ratio to raw (median)`, "", `| workload | ${tools.join(" | ")} |`, `| --- |${tools.map(() => " ---: |").join("")}`);
    for (const w of meta.workloads) {
      out.push(`| ${w.title} | ${tools.map((t) => {
        const x = find(db, w.key, t);
        return !x ? "–" : x.error ? "error" : t === "raw" ? `${fmtMs(x.medianMs)} ms` : fmtRatio(x.ratio);
      }).join(" | ")} |`);
    }
    out.push("", "(the raw column is its median in ms)", "");
  }

  out.push("## Details", "");
  for (const db of meta.dbs) {
    for (const w of meta.workloads) {
      const rows = meta.tools.map((t) => find(db, w.key, t)).filter((x): x is WorkloadResult => !!x);
      if (!rows.length) continue;
      out.push(`### ${DB_LABEL[db] ?? db} — ${w.title}`, "", "| tool | median ms | p95 ms | ops/s | × raw | n |", "| --- | ---: | ---: | ---: | ---: | ---: |");
      for (const x of rows) {
        out.push(x.error
          ? `| ${x.tool} | error: ${cell(x.error)} | | | | |`
          : `| ${x.tool} | ${fmtMs(x.medianMs)} | ${fmtMs(x.p95Ms)} | ${fmtOps(x.opsPerSec)} | ${fmtRatio(x.ratio)} | ${x.n} |`);
      }
      out.push("");
    }
  }

  if (r.alloc.length) {
    out.push("## Allocation per get-by-pk", "", "JS heap bytes allocated by one `get by primary key` (median over GC-free batches; ratio to raw).", "");
    out.push(`| tool | ${meta.dbs.map((d) => DB_LABEL[d] ?? d).join(" | ")} |`, `| --- |${meta.dbs.map(() => " ---: |").join("")}`);
    for (const t of meta.tools) {
      const cells = meta.dbs.map((d) => {
        const a = r.alloc.find((x) => x.db === d && x.tool === t);
        if (!a) return "–";
        if (a.error) return cell(`error: ${a.error}`);
        const raw = r.alloc.find((x) => x.db === d && x.tool === "raw");
        return t === "raw" || !raw ? fmtKiB(a.bytesPerOp) : `${fmtKiB(a.bytesPerOp)} (${fmtRatio(a.bytesPerOp / raw.bytesPerOp)})`;
      });
      if (cells.some((c) => c !== "–")) out.push(`| ${t} | ${cells.join(" | ")} |`);
    }
    out.push("");
  }

  const errors = r.results.filter((x) => x.error);
  if (errors.length) {
    out.push("## Errors", "");
    for (const x of errors) out.push(`- ${DB_LABEL[x.db] ?? x.db}, ${x.workload}, ${x.tool}: ${x.error}`);
    out.push("");
  }
  return out.join("\n");
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** One panel per database: per workload a group of horizontal bars (one per tool), log10 ratio axis. */
export function svgChart(r: BenchResults): string {
  const { meta } = r;
  const tools = meta.tools.filter((t) => t !== "raw" && r.results.some((x) => x.tool === t && x.ratio !== undefined));
  const ratios = r.results.filter((x) => x.tool !== "raw" && x.ratio !== undefined && Number.isFinite(x.ratio)).map((x) => x.ratio!);
  const maxRatio = Math.max(2, ...ratios);
  const minRatio = Math.min(1, ...ratios);
  const top = Math.pow(10, Math.ceil(Math.log10(maxRatio) * 4) / 4);
  // Below 1x (a peer beating raw, e.g. one JSON query against raw's two) gets room down to the smallest ratio.
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.05, minRatio)) * 4) / 4);
  const decades = Math.log10(top) - Math.log10(lo);
  const ticks = (decades > 2 ? [0.1, 0.5, 1, 10, 100, 1000, 10000] : [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100])
    .filter((t) => t >= lo && t <= top);
  const bar = 7, gap = 12, labelW = 270, panelW = 300, panelGap = 24, headerH = 70;
  const groupH = Math.max(1, tools.length) * bar + gap;
  const plotH = meta.workloads.length * groupH;
  const width = labelW + meta.dbs.length * (panelW + panelGap);
  const height = headerH + plotH + 40;
  const x = (ratio: number) => ((Math.log10(Math.max(lo, ratio)) - Math.log10(lo)) / (Math.log10(top) - Math.log10(lo))) * panelW;
  const s: string[] = [];
  s.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  s.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  s.push(`<text x="10" y="18" font-size="14" font-weight="bold">Median latency per operation, as a multiple of the raw driver (log scale; bars start at 1× = raw)</text>`);
  // legend
  let lx = 10;
  tools.forEach((t) => {
    s.push(`<rect x="${lx}" y="28" width="10" height="10" fill="${COLORS[t] ?? "#999"}"/><text x="${lx + 14}" y="37">${esc(t)}</text>`);
    lx += 24 + t.length * 7;
  });
  s.push(`<text x="${width - 10}" y="37" text-anchor="end" fill="#666">${esc(`${meta.mode} run, ${meta.startedAt.slice(0, 10)}, Node ${meta.node}`)}</text>`);
  meta.workloads.forEach((w, wi) => {
    const y = headerH + wi * groupH;
    if (wi % 2 === 0) s.push(`<rect x="0" y="${y - gap / 2}" width="${width}" height="${groupH}" fill="#f2f2f2"/>`);
    const label = w.title.length > 44 ? w.title.slice(0, 43) + "…" : w.title;
    s.push(`<text x="${labelW - 8}" y="${y + (groupH - gap) / 2}" text-anchor="end" dominant-baseline="middle">${esc(label)}</text>`);
  });
  meta.dbs.forEach((db, di) => {
    const px = labelW + di * (panelW + panelGap);
    s.push(`<text x="${px + panelW / 2}" y="${headerH - 12}" text-anchor="middle" font-weight="bold">${esc(DB_LABEL[db] ?? db)}</text>`);
    for (const t of ticks) {
      const tx = px + x(t);
      s.push(`<line x1="${tx}" y1="${headerH - 6}" x2="${tx}" y2="${headerH + plotH}" stroke="${t === 1 ? "#333" : "#ccc"}" stroke-width="1"/>`);
      s.push(`<text x="${tx}" y="${headerH + plotH + 14}" text-anchor="middle" fill="#444">${t}×</text>`);
    }
    meta.workloads.forEach((w, wi) => {
      tools.forEach((t, ti) => {
        const res = r.results.find((q) => q.db === db && q.workload === w.key && q.tool === t);
        const y = headerH + wi * groupH + ti * bar;
        if (!res) return;
        if (res.error || res.ratio === undefined || !Number.isFinite(res.ratio)) {
          s.push(`<text x="${px + 2}" y="${y + bar - 1}" font-size="7" fill="${COLORS[t] ?? "#999"}">${res.error ? "error" : "n/a"}</text>`);
          return;
        }
        const x0 = Math.min(x(1), x(res.ratio)), wdt = Math.max(1, Math.abs(x(res.ratio) - x(1)));
        s.push(`<rect x="${(px + x0).toFixed(1)}" y="${y}" width="${wdt.toFixed(1)}" height="${bar - 1}" fill="${COLORS[t] ?? "#999"}"><title>${esc(`${t}, ${w.title}, ${DB_LABEL[db] ?? db}: ${fmtRatio(res.ratio)} (${fmtMs(res.medianMs)} ms)`)}</title></rect>`);
      });
    });
    s.push(`<text x="${px + panelW / 2}" y="${headerH + plotH + 30}" text-anchor="middle" fill="#444">× raw (median)</text>`);
  });
  s.push("</svg>");
  return s.join("\n") + "\n";
}

export async function writeReport(r: BenchResults): Promise<string[]> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const base = r.meta.mode === "quick" ? "bench-quick" : "bench";
  const files = {
    json: path.join(RESULTS_DIR, `${base}.json`),
    md: path.join(RESULTS_DIR, `${base}.md`),
    svg: path.join(RESULTS_DIR, `${base}.svg`),
  };
  writeFileSync(files.json, JSON.stringify(r, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
  writeFileSync(files.svg, svgChart(r));
  writeFileSync(files.md, markdown(r, `${base}.svg`) + "\n");
  return Object.values(files).map((f) => path.relative(process.cwd(), f));
}

// `tsx src/report.ts results/bench.json` rewrites the Markdown and the SVG from a saved JSON file.
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const file = process.argv[2];
  if (!file) throw new Error("usage: tsx src/report.ts results/bench.json");
  const results = JSON.parse(readFileSync(file, "utf8"), (_k, v) => (v === null ? NaN : v)) as BenchResults;
  writeReport(results).then((files) => console.log(`wrote ${files.join(", ")}`));
}
