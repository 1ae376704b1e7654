import type { Reporter, RunnerTask, RunnerTestFile } from "vitest";

/**
 * Prints the plain closing line CI reads: "N passed, N failed" (and skipped, which should stay 0). A test that never
 * ran because its file's or block's setup failed (a database server down: beforeAll could not connect) counts as
 * failed, not skipped, and each such setup failure is named once above the line.
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    let notRun = 0;
    const setupFailures: string[] = [];
    const visit = (task: RunnerTask, setupFailed: boolean) => {
      if (task.type === "suite") {
        const own = task.result?.errors ?? [];
        if (own.length > 0) setupFailures.push(`${task.name}: ${firstLine(own[0]?.message)}`);
        task.tasks.forEach((child) => visit(child, setupFailed || own.length > 0));
        return;
      }
      const state = task.result?.state;
      if (state === "pass") counts.passed++;
      else if (state === "fail") counts.failed++;
      // Vitest marks what a failed beforeAll kept from running as skipped.
      else if (setupFailed && task.mode !== "todo") {
        counts.failed++;
        notRun++;
      } else counts.skipped++;
    };
    for (const file of files) {
      if (file.result?.state === "fail" && file.tasks.length === 0) {
        counts.failed++;
        setupFailures.push(`${file.name}: ${firstLine(file.result.errors?.[0]?.message)}`);
      } else visit(file, false);
    }
    counts.failed += errors.length;
    const reasons = setupFailures.map((failure) => `setup failed: ${failure}\n`).join("");
    const because = notRun > 0 ? ` (${notRun} not run: their setup failed)` : "";
    process.stdout.write(`\n${reasons}${counts.passed} passed, ${counts.failed} failed${because}, ${counts.skipped} skipped\n`);
  }
}

function firstLine(message: string | undefined): string {
  return (message ?? "unknown error").split("\n")[0]!;
}
