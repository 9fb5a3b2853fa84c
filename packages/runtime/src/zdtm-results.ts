/**
 * The ZDTM runner's console protocol (packages/runtime/guest/zdtm-run):
 *   BR-CRIU-ZDTM <id> <pass|fail|skip> <milliseconds> [reason]
 *   BR-CRIU-ZDTM-LOG <id> <line>
 *   BR-CRIU-ZDTM-DONE <number of tests>
 * what each result means against the model, and the per-architecture
 * results table in the docs.
 */
import {
  ZDTM_FAILURE_EVIDENCE,
  ZDTM_GROUPS,
  ZDTM_SELECTION,
  zdtmExpectation,
  zdtmTestId,
  type ZdtmBoard,
  type ZdtmGroup,
} from "@br-criu/model";
import type { ZdtmPlanEntry } from "./zdtm-source";

/** What the runner said of one test. */
export interface ZdtmVerdict {
  readonly verdict: "pass" | "fail" | "skip";
  /** From the program's start to its verdict. */
  readonly ms: number;
  /** Why it failed or was skipped ("" for a pass). */
  readonly reason: string;
  /** The runner's BR-CRIU-ZDTM-LOG lines for it: the end of CRIU's logs and the program's .out. */
  readonly log: readonly string[];
}

export interface ZdtmConsole {
  /** By test id. */
  readonly verdicts: ReadonlyMap<string, ZdtmVerdict>;
  /** The runner reached its end. */
  readonly done: boolean;
}

export function parseZdtmConsole(console: string): ZdtmConsole {
  const verdicts = new Map<string, ZdtmVerdict>();
  const logs = new Map<string, string[]>();
  let done = false;
  for (const raw of console.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const result = /^BR-CRIU-ZDTM (\S+) (pass|fail|skip) (\d+)(?: (.*))?$/.exec(line);
    const log = /^BR-CRIU-ZDTM-LOG (\S+) (.*)$/.exec(line);
    if (result) {
      const [, id, verdict, ms, reason] = result;
      verdicts.set(id!, { verdict: verdict as ZdtmVerdict["verdict"], ms: Number(ms), reason: reason ?? "", log: [] });
    } else if (log) logs.set(log[1]!, [...(logs.get(log[1]!) ?? []), log[2]!]);
    else if (/^BR-CRIU-ZDTM-DONE \d+$/.test(line)) done = true;
  }
  for (const [id, lines] of logs) {
    const verdict = verdicts.get(id);
    if (verdict) verdicts.set(id, { ...verdict, log: lines });
  }
  return { verdicts, done };
}

/** One test on one board: what happened, measured against the model. */
export interface ZdtmOutcome {
  /** The test id (zdtmTestId). */
  readonly id: string;
  /** Its group in the selection (a row of the results table). */
  readonly group: ZdtmGroup;
  /**
   * passed, expected-fail (failed where the model says a needed feature is
   * impossible), not-run (the model or the .desc rules it out here), or
   * failed: anything else, including a pass the model says is impossible.
   */
  readonly outcome: "passed" | "expected-fail" | "not-run" | "failed";
  /** The feature behind an expected failure. */
  readonly feature?: string;
  /** Why, for every outcome but passed. */
  readonly reason?: string;
  /** The runner's time for it, when it ran. */
  readonly ms?: number;
  /** The runner's log lines for it, when it ran. */
  readonly log?: readonly string[];
}

/** Compares the runner's verdicts with the plan and the model, test by test, in the selection's order. */
export function zdtmOutcomes(board: ZdtmBoard, plan: readonly ZdtmPlanEntry[], console: ZdtmConsole): ZdtmOutcome[] {
  return ZDTM_SELECTION.map((test): ZdtmOutcome => {
    const id = zdtmTestId(test);
    const base = { id, group: test.group };
    const entry = plan.find((e) => e.id === id);
    if (!entry) return { ...base, outcome: "failed", reason: "not in the run plan" };
    if ("notRun" in entry) return { ...base, outcome: "not-run", reason: entry.notRun };
    const verdict = console.verdicts.get(id);
    if (!verdict)
      return {
        ...base,
        outcome: "failed",
        reason: console.done ? "the runner reported nothing" : "the guest stopped before it",
      };
    const measured = { ms: verdict.ms, log: verdict.log };
    const expectation = zdtmExpectation(board, test);
    if (expectation.outcome === "fail") {
      const evidence = ZDTM_FAILURE_EVIDENCE[expectation.feature];
      const shown = !evidence || verdict.log.some((line) => evidence.pattern.test(line));
      if (verdict.verdict === "fail" && shown)
        return {
          ...base,
          ...measured,
          outcome: "expected-fail",
          feature: expectation.feature,
          reason: expectation.reason,
        };
      if (verdict.verdict === "fail")
        return {
          ...base,
          ...measured,
          outcome: "failed",
          reason: `${verdict.reason}, but not the way a missing ${expectation.feature} fails (${evidence!.what})`,
        };
      return {
        ...base,
        ...measured,
        outcome: "failed",
        reason: `${verdict.verdict} although the model says ${expectation.feature} is impossible here (${expectation.reason})`,
      };
    }
    if (verdict.verdict === "pass") return { ...base, ...measured, outcome: "passed" };
    return { ...base, ...measured, outcome: "failed", reason: `${verdict.verdict}: ${verdict.reason}` };
  });
}

export interface BoardZdtmOutcomes {
  /** The board's architecture (a table column). */
  readonly arch: string;
  /** Every test of the selection, in its order. */
  readonly outcomes: readonly ZdtmOutcome[];
}

const OUTCOME_ORDER: readonly ZdtmOutcome["outcome"][] = ["passed", "expected-fail", "not-run", "failed"];

function cell(outcomes: readonly ZdtmOutcome[]): string {
  const counts = OUTCOME_ORDER.map((o) => [o, outcomes.filter((x) => x.outcome === o).length] as const);
  return counts
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${n} ${o}`)
    .join(", ");
}

/** The file the tier compares its table with (and writes it to when asked). */
export const ZDTM_RESULTS_DOC = "docs/zdtm-results.md";

/**
 * docs/zdtm-results.md: test group x architecture, then every expected
 * failure with the modelled feature that explains it, every test not run
 * and why, and the selection with the reason for each group.
 */
export function renderZdtmResults(boards: readonly BoardZdtmOutcomes[]): string {
  const groups = Object.keys(ZDTM_GROUPS) as ZdtmGroup[];
  const row = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const lines = [
    "<!-- Written by the runtime tier (tests/runtime/criu.test.ts) from the ZDTM runs on every board; do not edit.",
    "     Regenerate with: BR_CRIU_UPDATE_DOCS=1 npm run test:runtime -->",
    "# ZDTM results per architecture",
    "",
    "CRIU's own test programs (test/zdtm/static of the 4.2.1 source), each started, checkpointed,",
    "restored and asked whether its state survived, on every board's test kernel under QEMU.",
    "The selection, its groups and what each test needs: `packages/model/src/zdtm.ts`.",
    "The runtime tier fails unless every board gives exactly this table.",
    "",
    row(["group", ...boards.map((b) => b.arch)]),
    row(["---", ...boards.map(() => "---")]),
    ...groups.map((group) =>
      row([ZDTM_GROUPS[group].title, ...boards.map((b) => cell(b.outcomes.filter((o) => o.group === group)))]),
    ),
    "",
    "## Expected failures",
    "",
    "Each needs a feature the model says the architecture cannot have; it runs anyway and must fail.",
    "",
    row(["test", "architecture", "feature", "why"]),
    row(["---", "---", "---", "---"]),
    ...boards.flatMap((b) =>
      b.outcomes
        .filter((o) => o.outcome === "expected-fail")
        .map((o) => row([o.id, b.arch, o.feature ?? "", o.reason ?? ""])),
    ),
    "",
    "## Not run",
    "",
    row(["test", "architecture", "why"]),
    row(["---", "---", "---"]),
    ...boards.flatMap((b) =>
      b.outcomes.filter((o) => o.outcome === "not-run").map((o) => row([o.id, b.arch, o.reason ?? ""])),
    ),
    "",
    "## The groups",
    "",
    ...groups.map((group) => {
      const ids = ZDTM_SELECTION.filter((t) => t.group === group).map((t) => `\`${zdtmTestId(t)}\``);
      return `- **${ZDTM_GROUPS[group].title}** (${ids.join(", ")}): ${ZDTM_GROUPS[group].why}.`;
    }),
    "",
  ];
  return lines.join("\n");
}

/** One line per test, the failures' logs, then a count per outcome, for people and CI logs. */
export function formatZdtm(stack: string, outcomes: readonly ZdtmOutcome[]): string {
  const lines: string[] = [];
  for (const o of outcomes) {
    const time = o.ms === undefined ? "" : ` ${o.ms}ms`;
    lines.push(`BR-CRIU-ZDTM-RESULT ${stack} ${o.id} ${o.outcome}${time}${o.reason ? ` ${o.reason}` : ""}`);
    if (o.outcome === "failed") for (const line of o.log ?? []) lines.push(`  | ${line}`);
  }
  lines.push(`${stack}: ZDTM ${cell(outcomes)}`);
  return lines.join("\n");
}
