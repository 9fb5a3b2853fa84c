/**
 * The acceptance test's console protocol (criu-acceptance prints it; the
 * test system's init prints BOOTED_LINE before it starts the script):
 *   BR-CRIU-STEP <step> <ok|fail> <milliseconds> [detail]
 *   BR-CRIU-FEATURE <criu check feature> <ok|fail>
 *   BR-CRIU-LOG <line of a failing step's log>
 *   BR-CRIU-DONE <ok|fail>
 */
import type { CriuCheckExpectation } from "@br-criu/model";
import type { BootTestJson, StepResult } from "@br-criu/planner";

/** The test system's init has started: the kernel reached userspace. */
export const BOOTED_LINE = "BR-CRIU-BOOTED";

const ACCEPTANCE_STEPS = ["criu-check", "dump", "frozen", "restore", "advance"] as const;

export interface AcceptanceReport {
  /** Every step line in console order. */
  readonly steps: readonly StepResult[];
  /** Lines of the failing step's log that the guest printed. */
  readonly log: readonly string[];
  /** The guest reached the end of the script. */
  readonly done: boolean;
  /** All five steps present and ok, and the script finished ok. */
  readonly passed: boolean;
  /** The first failing or missing step; "boot" when the console shows no step. */
  readonly firstFailure?: string;
  /** `criu check --feature <name>` results, by name (empty unless the test system asked). */
  readonly features: Readonly<Record<string, boolean>>;
}

export function parseAcceptance(console: string): AcceptanceReport {
  const steps: StepResult[] = [];
  const log: string[] = [];
  const features: Record<string, boolean> = {};
  let done: boolean | undefined;
  for (const raw of console.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const step = /^BR-CRIU-STEP (\S+) (ok|fail) (\d+)(?: (.*))?$/.exec(line);
    if (step) steps.push({ step: step[1]!, ok: step[2] === "ok", ms: Number(step[3]), detail: step[4] ?? "" });
    else if (line.startsWith("BR-CRIU-LOG ")) log.push(line.slice("BR-CRIU-LOG ".length));
    else if (/^BR-CRIU-FEATURE \S+ (ok|fail)$/.test(line)) features[line.split(" ")[1]!] = line.endsWith(" ok");
    else if (/^BR-CRIU-DONE (ok|fail)$/.test(line)) done = line.endsWith("ok");
  }
  const failed = steps.find((s) => !s.ok);
  // No step at all: the guest never got as far as `criu check` (kernel crash, no init, lost console).
  const missing = steps.length === 0 ? "boot" : ACCEPTANCE_STEPS.find((name) => !steps.some((s) => s.step === name));
  const passed = done === true && !failed && !missing;
  const firstFailure = failed ? failed.step : missing;
  return {
    steps,
    log,
    done: done !== undefined,
    passed,
    ...(passed || !firstFailure ? {} : { firstFailure }),
    features,
  };
}

/** What CRIU reported for one `criu check --feature` against what the model expects. */
export interface FeatureReport {
  readonly check: string;
  /** The br-criu feature ("" for the checks every board must pass). */
  readonly feature: string;
  readonly expected: "pass" | "fail";
  readonly reported: "pass" | "fail";
}

/** `br-criu boot-test --json`: the whole report. */
export interface BootTestReport extends BootTestJson {
  readonly stack: string;
  readonly log: readonly string[];
  readonly features: readonly FeatureReport[];
  readonly timedOut: boolean;
}

/**
 * The report of one boot: the acceptance steps, and every feature check the
 * model has an expectation for, side by side with what CRIU reported.
 */
export function bootTestReport(
  stack: string,
  expectations: readonly CriuCheckExpectation[],
  report: AcceptanceReport,
  boot: { readonly timedOut: boolean; readonly logFile: string },
  timings: Readonly<Record<string, number>>,
): BootTestReport {
  const ok = (id: string) => report.steps.find((s) => s.step === id)?.ok === true;
  const features = expectations
    .filter(({ check }) => check in report.features)
    .map(({ check, feature, expected }): FeatureReport => ({
      check,
      feature,
      expected,
      reported: report.features[check] ? "pass" : "fail",
    }));
  return {
    stack,
    passed: report.passed,
    criuCheck: ok("criu-check"),
    dumpRestore: ["dump", "frozen", "restore", "advance"].every(ok),
    firstFailure: report.firstFailure ?? null,
    steps: report.steps,
    log: report.log,
    features,
    timedOut: boot.timedOut,
    consoleLog: boot.logFile,
    timings,
  };
}
