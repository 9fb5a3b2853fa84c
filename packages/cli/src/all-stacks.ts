/**
 * `br-criu all-stacks up|preview|destroy [--parallel N]`, what
 * `npm run up -- --all` runs: the operation on every stack of the project
 * through Pulumi's Automation API (a LocalWorkspace on this project and its
 * backend, the CLI on PATH), at most N stacks at a time. Each stack prints
 * a line as each of its resources finishes; a failed stack does not stop
 * the others; the summary table comes last and the exit code is 0 only
 * when every stack passed.
 */
import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { listStacks, loadStack } from "@br-criu/stacks";
import { parseArgs, UsageError } from "./args";
import { openProject, type CliIo } from "./project";
import {
  STACK_OPERATIONS,
  defaultParallelism,
  failureSummary,
  isStackOperation,
  manifestHash,
  parseParallelism,
  progressLine,
  runBounded,
  stackBuildHost,
  summaryTable,
  type StackOperation,
  type StackRun,
} from "./stack-runs";

async function operate(stack: Stack, operation: StackOperation, handlers: Handlers): Promise<unknown> {
  const options = { color: "never" as const, ...handlers };
  if (operation === "up") return (await stack.up(options)).outputs["imageManifest"]?.value;
  if (operation === "preview") await stack.preview({ ...options, diff: true });
  else await stack.destroy(options);
  return undefined;
}

interface Handlers {
  readonly onOutput: (text: string) => void;
  readonly onEvent: (event: EngineEvent) => void;
}

/** One stack's run: where it builds, where its output goes, what to do. */
interface StackTask {
  readonly name: string;
  readonly host: string;
  readonly operation: StackOperation;
  readonly root: string;
  readonly logs: string;
}

async function runStack({ name, host, operation, root, logs }: StackTask, io: CliIo): Promise<StackRun> {
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
  const started = Date.now();
  const log = join(logs, `${name}.log`);
  const handlers: Handlers = {
    onOutput: (text) => appendFileSync(log, text),
    onEvent: (event) => {
      const line = progressLine(name, (Date.now() - started) / 1000, event);
      if (line) io.stdout(line);
    },
  };
  const done = (fields: Pick<StackRun, "ok" | "manifestHash" | "failure">): StackRun => ({
    stack: name,
    host,
    seconds: (Date.now() - started) / 1000,
    log,
    ...fields,
  });
  io.stdout(`${name}: ${operation} started\n`);
  appendFileSync(log, "");
  try {
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: root });
    const manifest = await operate(stack, operation, handlers);
    const hash =
      manifest && typeof manifest === "object" ? manifestHash(manifest as Record<string, string>) : undefined;
    // A preview is read for its diff: print it whole, the way `npm run preview -- <stack>` does.
    if (operation === "preview") io.stdout(`${name}: preview --diff:\n${readFileSync(log, "utf8")}`);
    io.stdout(`${name}: ${operation} done\n`);
    return done({ ok: true, ...(hash ? { manifestHash: hash } : {}) });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    appendFileSync(log, `\n${message}\n`);
    io.stdout(`${name}: ${operation} failed\n`);
    return done({ ok: false, failure: failureSummary(message) });
  }
}

export async function allStacks(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, [], ["--parallel", "--project"]);
  const [operation, ...extra] = args.positional;
  if (!isStackOperation(operation) || extra.length > 0)
    throw new UsageError(`all-stacks takes one of ${STACK_OPERATIONS.join(", ")} and --parallel N`);
  const project = openProject(args.values.get("--project"), io);
  const stacks = listStacks(project);
  const hosts = new Map(stacks.map((name) => [name, stackBuildHost(loadStack(project, name).config)]));
  const parallelText = args.values.get("--parallel");
  const parallel =
    parallelText === undefined ? defaultParallelism([...hosts.values()]) : parseParallelism(parallelText);
  if (parallel === undefined) throw new UsageError(`--parallel "${parallelText}" is not a whole number from 1 to 9999`);
  const logs = mkdtempSync(join(tmpdir(), "br-criu-all-stacks-"));
  io.stdout(`${operation} on ${stacks.length} stacks, at most ${parallel} at a time; full output in ${logs}\n`);
  const runs = await runBounded(stacks, parallel, (name) =>
    runStack({ name, host: hosts.get(name)!, operation, root: project.root, logs }, io),
  );
  io.stdout(summaryTable(operation, runs));
  return runs.every((run) => run.ok) ? 0 : 1;
}
