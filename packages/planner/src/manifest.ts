/**
 * Reading what the build's steps print: the checkout's verdict, image
 * manifests, manifest comparisons, and the boot test's JSON report.
 */
import { compareSymbols } from "@br-criu/kconfig";

const MANIFEST_LINE = /^([0-9a-f]{64}) {2}(.+)$/;

/**
 * sha256 by file name from `sha256sum` lines; other lines (Buildroot's
 * progress output shares stdout) are skipped. Sorted by file name.
 */
export function parseManifest(stdout: string): Record<string, string> {
  const entries: [string, string][] = [];
  for (const line of stdout.split("\n")) {
    const match = MANIFEST_LINE.exec(line.trimEnd());
    if (match) entries.push([match[2]!, match[1]!]);
  }
  return Object.fromEntries(entries.sort(([a], [b]) => compareSymbols(a, b)));
}

export interface ManifestComparison {
  readonly identical: boolean;
  readonly differing: string[];
}

/** The verdict of `stage.sh compare-manifests`: "identical", or "differ:" and one file per line. */
export function parseComparison(stdout: string): ManifestComparison {
  const lines = stdout.split("\n").map((line) => line.trimEnd());
  const start = lines.lastIndexOf("differ:");
  if (start === -1) {
    if (!lines.includes("identical")) throw new Error("the second build printed no manifest comparison");
    return { identical: true, differing: [] };
  }
  return { identical: false, differing: lines.slice(start + 1).filter((line) => line !== "") };
}

/** "buildroot <tag> <commit>", the line the checkout prints once the commit is verified ("" before). */
export function parseCheckout(stdout: string): string {
  return (
    stdout
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.startsWith("buildroot "))
      .pop() ?? ""
  );
}

export interface StepResult {
  readonly step: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
}

/** What `br-criu boot-test --json` prints (and the BootTest stage reads). */
export interface BootTestJson {
  readonly passed: boolean;
  readonly criuCheck: boolean;
  readonly dumpRestore: boolean;
  readonly firstFailure: string | null;
  readonly consoleLog: string | null;
  readonly steps: readonly StepResult[];
  readonly timings: Readonly<Record<string, number>>;
}

/** A failed boot test in one line: where it failed, every step, and where the console log is. */
export function describeBootTestFailure(report: BootTestJson): string {
  const steps = report.steps.map((s) => `${s.step} ${s.ok ? "ok" : "FAIL"}`).join(", ");
  return `CRIU acceptance failed at ${report.firstFailure ?? "boot"} (${steps}); console log: ${report.consoleLog ?? "none"}`;
}

/**
 * Reads boot-test's JSON report from a command's stdout. When the command
 * printed none (QEMU missing, the CLI crashed), the result is a failure that
 * says so, not a parse error.
 */
export function parseBootTestJson(stdout: string): BootTestJson {
  const start = stdout.indexOf("{");
  try {
    if (start === -1) throw new Error("no JSON");
    const value = JSON.parse(stdout.slice(start)) as Partial<BootTestJson>;
    if (typeof value.passed !== "boolean" || !Array.isArray(value.steps)) throw new Error("not a boot-test report");
    return value as BootTestJson;
  } catch {
    const excerpt = stdout.trim().split("\n").slice(-3).join(" | ") || "(nothing)";
    return {
      passed: false,
      criuCheck: false,
      dumpRestore: false,
      firstFailure: `boot-test printed no report: ${excerpt}`,
      consoleLog: null,
      steps: [],
      timings: {},
    };
  }
}
