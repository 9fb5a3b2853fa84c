/**
 * Content-addressed cache directories, shared by the kernel source, test
 * kernels, Debian sysroots, CRIU builds and the container tier's base image:
 * a directory is filled in a staging directory beside it, marked complete,
 * then renamed into place, so an interrupted run never leaves a half-written
 * directory that a later run would use. The fill runs under the entry's lock:
 * a second process asking for the same entry waits, then takes the first
 * one's (two fills would also replace a directory the first one's caller
 * may already be reading).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { withLock, withLockSync } from "./lock";

/** Written last into a completed cache directory; its text is the fill's record. */
export const COMPLETE_MARKER = ".br-criu-complete";

export interface CacheDirectory {
  readonly dir: string;
  /** True when this call filled it, false when the cache had it. */
  readonly filled: boolean;
  /** What the fill recorded in the completion marker. */
  readonly record: string;
}

/** The cache's entry for `dir` when it is complete, else undefined. */
export function completedCacheDirectory(dir: string): CacheDirectory | undefined {
  const marker = join(dir, COMPLETE_MARKER);
  return existsSync(marker) ? { dir, filled: false, record: readFileSync(marker, "utf8") } : undefined;
}

/** A fresh, empty staging directory beside `dir`, private to this process. */
function freshStaging(dir: string): string {
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  return staging;
}

/** Marks `staging` complete and renames it to `dir`. */
function commit(staging: string, dir: string, record: string): CacheDirectory {
  writeFileSync(join(staging, COMPLETE_MARKER), record.endsWith("\n") ? record : `${record}\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(staging, dir);
  return { dir, filled: true, record };
}

/**
 * Fills `dir` unless another process completed it while this one waited for
 * its lock; a fill that fails (throws or rejects) leaves no staging directory.
 */
function fillUnlessCompleted<R extends string | Promise<string>>(
  dir: string,
  fill: (staging: string) => R,
): CacheDirectory | Promise<CacheDirectory> {
  const cached = completedCacheDirectory(dir);
  if (cached) return cached;
  const staging = freshStaging(dir);
  const abandon = (error: unknown): never => {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  };
  try {
    const record = fill(staging);
    if (typeof record === "string") return commit(staging, dir, record);
    return record.then((written) => commit(staging, dir, written), abandon);
  } catch (error) {
    return abandon(error);
  }
}

/**
 * The complete cache directory `dir`, filled on first use: `fill(staging)`
 * writes the contents into `staging` and returns a record (inputs, timings)
 * kept in the completion marker.
 */
export function cacheDirectory(dir: string, fill: (staging: string) => string): CacheDirectory {
  return completedCacheDirectory(dir) ?? withLockSync(dir, () => fillUnlessCompleted(dir, fill) as CacheDirectory);
}

/** `cacheDirectory` for fills that wait on child processes (kernel builds). */
export async function cacheDirectoryAsync(
  dir: string,
  fill: (staging: string) => Promise<string>,
): Promise<CacheDirectory> {
  return completedCacheDirectory(dir) ?? withLock(dir, async () => fillUnlessCompleted(dir, fill));
}

/**
 * Marks `dir` complete when it was written whole before cache directories
 * carried a marker and `isWhole(dir)` confirms it (its writer also renamed a
 * staging directory into place, so only the marker is missing).
 */
export function adoptUnmarked(dir: string, isWhole: (dir: string) => boolean, record: string): void {
  if (!existsSync(dir) || existsSync(join(dir, COMPLETE_MARKER)) || !isWhole(dir)) return;
  writeFileSync(join(dir, COMPLETE_MARKER), `${record}\n`);
}
