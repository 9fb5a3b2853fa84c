/**
 * Content-addressed cache directories, shared by the kernel source, Debian
 * sysroots and CRIU builds: a directory is filled in a staging directory
 * beside it, marked complete, then renamed into place, so an interrupted run
 * never leaves a half-written directory that a later run would use.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** Written last into a completed cache directory; its text is the fill's record. */
export const COMPLETE_MARKER = ".br-criu-complete";

export interface CacheDirectory {
  readonly dir: string;
  /** True when this call filled it, false when the cache had it. */
  readonly filled: boolean;
  /** What the fill recorded in the completion marker. */
  readonly record: string;
}

/**
 * The complete cache directory `dir`, filled on first use: `fill(staging)`
 * writes the contents into `staging` and returns a record (inputs, timings)
 * kept in the completion marker.
 */
export function cacheDirectory(dir: string, fill: (staging: string) => string): CacheDirectory {
  const marker = join(dir, COMPLETE_MARKER);
  if (existsSync(marker)) return { dir, filled: false, record: readFileSync(marker, "utf8") };
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const record = fill(staging);
    writeFileSync(join(staging, COMPLETE_MARKER), record.endsWith("\n") ? record : `${record}\n`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(staging, dir);
    return { dir, filled: true, record };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
