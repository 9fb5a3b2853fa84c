/**
 * One Pulumi operation over many stacks (`npm run up -- --all`): how many
 * run at once, the order they start in, and the summary table printed at
 * the end. Computation only; all-stacks.ts runs the operations.
 */
import { createHash } from "node:crypto";
import { DOCKER_ENDPOINT, LOCAL_BUILD_HOST, checkGrammar } from "@br-criu/model";

/** The Pulumi operations `--all` runs on every stack. */
export const STACK_OPERATIONS = ["up", "preview", "destroy"] as const;
export type StackOperation = (typeof STACK_OPERATIONS)[number];

/** Whether the command line named one of STACK_OPERATIONS. */
export function isStackOperation(text: string | undefined): text is StackOperation {
  return (STACK_OPERATIONS as readonly (string | undefined)[]).includes(text);
}

export interface StackRun {
  readonly stack: string;
  readonly host: string;
  readonly ok: boolean;
  readonly seconds: number;
  /** First 16 hex digits of the sha256 of the stack's imageManifest output, when the operation has one. */
  readonly manifestHash?: string;
  /** What failed: the engine's error lines, or the exception's first line. */
  readonly failure?: string;
  /** The operation's full output. */
  readonly log: string;
}

/**
 * The build host a stack's file names (br-criu:buildHost), for the summary
 * and the default parallelism; a value the key's grammar refuses is shown
 * as such (the stack's own run then fails naming it).
 */
export function stackBuildHost(config: Readonly<Record<string, unknown>>): string {
  const host = config["buildHost"];
  if (host === undefined) return LOCAL_BUILD_HOST;
  return typeof host === "string" && checkGrammar(DOCKER_ENDPOINT, host) === undefined ? host : "(invalid buildHost)";
}

/** Stacks at once unless --parallel says otherwise: one per distinct build host (they do not share cores). */
export function defaultParallelism(hosts: readonly string[]): number {
  return Math.max(1, new Set(hosts).size);
}

/** `--parallel`'s value: a whole number from 1 up. */
export function parseParallelism(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,3}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Runs `work` on every item, at most `limit` at once, starting them in the
 * order given; the results keep that order. `work` must not reject: each
 * stack's failure is its own result, and the others go on.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** What progressLine reads of an engine event (the Automation API's EngineEvent has more). */
export interface StepEvent {
  readonly resOutputsEvent?: {
    readonly metadata: { readonly op: string; readonly urn: string; readonly type: string };
    readonly planning?: boolean;
  };
}

/** Steps a line would repeat: a replacement is reported once, as its `replace` step. */
const UNREPORTED_STEPS: readonly string[] = ["same", "create-replacement", "delete-replaced", "discard-replaced"];

/**
 * One line per resource of the build that changes, as the engine reports it
 * done (or, in a preview, planned); the stack itself and provider instances
 * are not build steps.
 */
export function progressLine(stack: string, seconds: number, event: StepEvent): string | undefined {
  const outputs = event.resOutputsEvent;
  if (!outputs) return undefined;
  const step = outputs.metadata;
  if (UNREPORTED_STEPS.includes(step.op)) return undefined;
  if (step.type === "pulumi:pulumi:Stack" || step.type.startsWith("pulumi:providers:")) return undefined;
  const what = outputs.planning ? `would ${step.op}` : step.op;
  return `${stack}: ${step.urn.split("::").pop()} ${what} (${seconds.toFixed(0)} s)\n`;
}

/** A stable short hash of an image manifest (file -> sha256): the same images give the same hash on every host. */
export function manifestHash(manifest: Readonly<Record<string, string>>): string {
  const canonical = JSON.stringify(
    Object.keys(manifest)
      .sort()
      .map((file) => [file, manifest[file]]),
  );
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/** The engine's `error:` lines of a failed operation's output, else the message's first line. */
export function failureSummary(message: string): string {
  const errors = message
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("error:"));
  return errors.length > 0 ? errors.slice(0, 3).join(" ") : (message.split("\n")[0] ?? "").trim();
}

/** The table printed after every stack ran: one row per stack, columns aligned. */
export function summaryTable(operation: StackOperation, runs: readonly StackRun[]): string {
  const rows = [
    ["stack", "host", "result", "duration", "image manifest"],
    ...runs.map((run) => [
      run.stack,
      run.host,
      run.ok ? "ok" : "failed",
      `${run.seconds.toFixed(0)} s`,
      run.manifestHash ?? "-",
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd(),
  );
  const failed = runs.filter((run) => !run.ok);
  const verdict =
    failed.length === 0
      ? `${operation}: all ${runs.length} stacks passed`
      : `${operation}: ${failed.length} of ${runs.length} stacks failed`;
  const reasons = failed.map((run) => `${run.stack}: ${run.failure ?? "failed"} (full output: ${run.log})`);
  return [...lines, verdict, ...reasons].join("\n") + "\n";
}
