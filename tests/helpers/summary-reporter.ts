import type { Reporter, RunnerTask, RunnerTestFile } from "vitest";

/** Prints the plain closing line CI reads: "N passed, N failed" (and skipped, which should stay 0). */
export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (task: RunnerTask) => {
      if (task.type === "suite") {
        task.tasks.forEach(visit);
        return;
      }
      const state = task.result?.state;
      if (state === "pass") counts.passed++;
      else if (state === "fail") counts.failed++;
      else counts.skipped++;
    };
    for (const file of files) {
      if (file.result?.state === "fail" && file.tasks.length === 0) counts.failed++;
      file.tasks.forEach(visit);
    }
    counts.failed += errors.length;
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
