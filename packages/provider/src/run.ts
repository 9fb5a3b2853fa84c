/**
 * Runs a resource's command lines: each with `sh -c` in a process group of
 * its own, so that a cancelled `pulumi up` stops the whole group (make and
 * every compiler it started), with stdout and stderr collected and
 * Buildroot's progress lines passed on as they come.
 */
import { spawn, type ChildProcess } from "node:child_process";

/** Lines of output a failure shows. */
const FAILURE_TAIL_LINES = 40;
/** How long a cancelled group has to exit after SIGTERM before it is killed. */
const TERMINATE_GRACE_MS = 5_000;
/** At most this much of stdout is kept (the boot test's JSON, the image manifest, progress). */
const STDOUT_LIMIT = 4 * 1024 * 1024;
const TAIL_LIMIT = 256 * 1024;

export class CancelledError extends Error {
  constructor(what: string) {
    super(`${what} was cancelled (pulumi up was interrupted); the next pulumi up runs it again`);
    this.name = "CancelledError";
  }
}

export class StepFailedError extends Error {
  constructor(
    message: string,
    /** The last lines of the step's stdout and stderr. */
    readonly tail: string,
  ) {
    super(message);
    this.name = "StepFailedError";
  }
}

/** Every process group still running, so that a cancel reaches all of them. */
export class ProcessGroups {
  private readonly running = new Set<ChildProcess>();
  private readonly children = new Set<ProcessGroups>();
  private cancelled = false;

  /** Groups of one resource's run that can be stopped alone; cancelling these groups cancels them too. */
  child(): ProcessGroups {
    const child = new ProcessGroups();
    this.children.add(child);
    if (this.cancelled) void child.cancelAll();
    return child;
  }

  /** The run that made `child()` has ended. */
  release(child: ProcessGroups): void {
    this.children.delete(child);
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  add(child: ChildProcess): void {
    this.running.add(child);
  }

  remove(child: ChildProcess): void {
    this.running.delete(child);
  }

  /** SIGTERM to every group, SIGKILL to those still there after the grace period; resolves when all are gone. */
  async cancelAll(): Promise<void> {
    this.cancelled = true;
    const children = [...this.running];
    await Promise.all([...children.map((child) => terminate(child)), ...[...this.children].map((c) => c.cancelAll())]);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalGroup(child, "SIGKILL"), TERMINATE_GRACE_MS);
    child.once("close", () => {
      clearTimeout(timer);
      // Whatever of the group outlived its leader.
      signalGroup(child, "SIGKILL");
      resolve();
    });
    signalGroup(child, "SIGTERM");
  });
}

export interface RunOptions {
  readonly dir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Called with each line of stdout as it arrives. */
  readonly onLine?: (line: string) => void;
  readonly groups: ProcessGroups;
  /** Names the work in errors, e.g. "stage kernel". */
  readonly what: string;
}

export interface RunResult {
  readonly stdout: string;
}

/** Keeps the end of a growing text. */
const keepEnd = (text: string, limit: number) => (text.length > limit ? text.slice(-limit) : text);

function tailLines(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Runs one command line with `sh -c`; rejects with StepFailedError naming it, or CancelledError. */
function runLine(line: string, options: RunOptions): Promise<RunResult> {
  return runProgram(["sh", "-c", line], line, options);
}

/** Runs a program with its arguments as they are (no shell sees them). */
export function runArgv(argv: readonly [string, ...string[]], options: RunOptions): Promise<RunResult> {
  return runProgram(argv, argv.join(" "), options);
}

function runProgram(argv: readonly [string, ...string[]], shown: string, options: RunOptions): Promise<RunResult> {
  if (options.groups.isCancelled) return Promise.reject(new CancelledError(options.what));
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv;
    const child = spawn(command, args, {
      cwd: options.dir,
      env: options.env ?? process.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    options.groups.add(child);
    let stdout = "";
    let combined = "";
    let partial = "";
    child.stdout.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      stdout = keepEnd(stdout + text, STDOUT_LIMIT);
      combined = keepEnd(combined + text, TAIL_LIMIT);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const complete of lines) options.onLine?.(complete);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      combined = keepEnd(combined + chunk.toString("utf8"), TAIL_LIMIT);
    });
    child.on("error", (error) => {
      options.groups.remove(child);
      reject(new StepFailedError(`${options.what}: cannot run ${command}: ${error.message}`, ""));
    });
    child.on("close", (code, signal) => {
      options.groups.remove(child);
      if (partial !== "") options.onLine?.(partial);
      if (options.groups.isCancelled) return reject(new CancelledError(options.what));
      if (code === 0) return resolve({ stdout });
      const status = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      const tail = tailLines(combined, FAILURE_TAIL_LINES);
      reject(new StepFailedError(`${options.what}: \`${shown}\` ${status}`, tail));
    });
  });
}

/** Runs command lines in order, stopping at the first failure; stdout is every line's, joined. */
export async function runLines(lines: readonly string[], options: RunOptions): Promise<RunResult> {
  let stdout = "";
  for (const line of lines) stdout += (await runLine(line, options)).stdout;
  return { stdout };
}
