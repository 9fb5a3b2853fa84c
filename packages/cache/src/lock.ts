/**
 * Locks between the processes of one machine, for cache entries and build
 * trees that `npm test` fills from more than one process at once (the test
 * kernels built in the background while the tiers run, two boards' boot
 * tests side by side). A lock is a directory `<path>.lock` holding its
 * owner's pid, renamed into place whole, so taking it is atomic; a lock whose
 * owner is no longer running (killed, machine restarted) is taken over.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const POLL_MS = 500;
const OWNER_FILE = "pid";
/** The locks this process holds: another caller in this process waits for them like any other. */
const heldHere = new Set<string>();

export interface LockOptions {
  /** Told once when the lock is held by another running process, with its pid. */
  readonly onWait?: (lockDir: string, owner: number) => void;
  /** Waiting longer fails, naming the lock and its owner (default: wait as long as the owner runs). */
  readonly giveUpAfterMs?: number;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ownerOf(lockDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(lockDir, OWNER_FILE), "utf8"));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lock, or returns the pid of the running process that holds it. */
function tryAcquire(lockDir: string): number | "acquired" {
  const candidate = `${lockDir}.${process.pid}`;
  rmSync(candidate, { recursive: true, force: true });
  mkdirSync(candidate, { recursive: true });
  writeFileSync(join(candidate, OWNER_FILE), String(process.pid));
  try {
    renameSync(candidate, lockDir);
    heldHere.add(lockDir);
    return "acquired";
  } catch (error) {
    rmSync(candidate, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
  }
  if (heldHere.has(lockDir)) return process.pid;
  // Released between the rename and now: try again.
  if (!existsSync(lockDir)) return tryAcquire(lockDir);
  const owner = ownerOf(lockDir);
  if (owner !== undefined && owner !== process.pid && isRunning(owner)) return owner;
  // Its owner is gone (or had this pid before a restart and is gone too): take it over.
  // Two waiters finding the same dead owner at once can both take it; a crash is rare enough.
  rmSync(lockDir, { recursive: true, force: true });
  return tryAcquire(lockDir);
}

function release(lockDir: string): void {
  heldHere.delete(lockDir);
  rmSync(lockDir, { recursive: true, force: true });
}

function lockDirFor(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  return `${path}.lock`;
}

/** Called after each refused attempt: reports the first wait, fails past the deadline. */
function waiting(lockDir: string, options: LockOptions): (owner: number) => void {
  const started = Date.now();
  let reported = false;
  return (owner) => {
    if (!reported) options.onWait?.(lockDir, owner);
    reported = true;
    if (options.giveUpAfterMs !== undefined && Date.now() - started > options.giveUpAfterMs)
      throw new Error(`${lockDir}: still held by process ${owner} after ${options.giveUpAfterMs} ms`);
  };
}

/** Runs `work` holding the lock of `path`, waiting without blocking the event loop. */
export async function withLock<T>(path: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lockDir = lockDirFor(path);
  const refused = waiting(lockDir, options);
  for (let owner = tryAcquire(lockDir); owner !== "acquired"; owner = tryAcquire(lockDir)) {
    refused(owner);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  try {
    return await work();
  } finally {
    release(lockDir);
  }
}

/** `withLock` for synchronous work: the wait blocks this thread (callers that block on their fill anyway). */
export function withLockSync<T>(path: string, work: () => T, options: LockOptions = {}): T {
  const lockDir = lockDirFor(path);
  const refused = waiting(lockDir, options);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let owner = tryAcquire(lockDir); owner !== "acquired"; owner = tryAcquire(lockDir)) {
    refused(owner);
    Atomics.wait(sleeper, 0, 0, POLL_MS);
  }
  try {
    return work();
  } finally {
    release(lockDir);
  }
}
