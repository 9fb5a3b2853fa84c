/** Text rendering of kernel verification results (`br-criu verify-kernel`). */
import type { KernelVerification } from "./verify";

const COLUMNS = [
  "stack",
  "base config",
  "requested",
  "kept",
  "dropped",
  "changed",
  "arch-impossible",
  "result",
] as const;

export function verificationTable(results: readonly KernelVerification[]): string {
  const rows = results.map((r) => [
    r.stack,
    `${r.karch}/${r.baseConfig}`,
    String(r.requested),
    String(r.kept.length),
    String(r.dropped.length),
    String(r.changed.length),
    r.impossible.length === 0 ? "-" : r.impossible.map((i) => i.feature).join(","),
    r.failures.length === 0 ? "ok" : "FAIL",
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(COLUMNS), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function verificationDetails(result: KernelVerification, featureMatrix: readonly string[]): string {
  const lines = [
    `${result.stack}: kernel ${result.sourceVersion} (stack pins ${result.stackKernelVersion}), ARCH=${result.karch}, ${result.seconds.toFixed(1)} s, .config in ${result.outDir}`,
  ];
  lines.push("  CRIU feature matrix (name / wanted / state):", ...featureMatrix.map((row) => `  ${row}`));
  for (const check of result.impossible) {
    const proven = check.options.every((o) => !o.keptWhenForced);
    lines.push(
      `  arch-impossible ${check.feature}: ${proven ? "confirmed, Kconfig drops" : "NOT confirmed"} ${check.options.map((o) => o.symbol).join(", ")} (${check.options.map((o) => o.explanation).join("; ")})`,
    );
  }
  for (const failure of result.failures) lines.push(`  FAIL ${failure}`);
  return lines.join("\n");
}
