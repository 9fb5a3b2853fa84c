/**
 * The acceptance test's console protocol (criu-acceptance prints it):
 *   BR-CRIU-STEP <step> <ok|fail> <milliseconds> [detail]
 *   BR-CRIU-LOG <line of a failing step's log>
 *   BR-CRIU-DONE <ok|fail>
 */

export const ACCEPTANCE_STEPS = ["criu-check", "dump", "frozen", "restore", "advance"] as const;
export type AcceptanceStep = (typeof ACCEPTANCE_STEPS)[number];

export interface StepResult {
  readonly step: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
}

export interface AcceptanceReport {
  /** Every step line in console order. */
  readonly steps: readonly StepResult[];
  /** Lines of the failing step's log that the guest printed. */
  readonly log: readonly string[];
  /** The guest reached the end of the script. */
  readonly done: boolean;
  /** All five steps present and ok, and the script finished ok. */
  readonly passed: boolean;
  /** The first failing or missing step. */
  readonly firstFailure?: string;
}

export function parseAcceptance(console: string): AcceptanceReport {
  const steps: StepResult[] = [];
  const log: string[] = [];
  let done: boolean | undefined;
  for (const raw of console.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const step = /^BR-CRIU-STEP (\S+) (ok|fail) (\d+)(?: (.*))?$/.exec(line);
    if (step) steps.push({ step: step[1]!, ok: step[2] === "ok", ms: Number(step[3]), detail: step[4] ?? "" });
    else if (line.startsWith("BR-CRIU-LOG ")) log.push(line.slice("BR-CRIU-LOG ".length));
    else if (/^BR-CRIU-DONE (ok|fail)$/.test(line)) done = line.endsWith("ok");
  }
  const failed = steps.find((s) => !s.ok);
  const missing = ACCEPTANCE_STEPS.find((name) => !steps.some((s) => s.step === name));
  const passed = done === true && !failed && !missing;
  const firstFailure = failed ? failed.step : missing;
  return { steps, log, done: done !== undefined, passed, ...(passed || !firstFailure ? {} : { firstFailure }) };
}
