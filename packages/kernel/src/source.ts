/**
 * Kernel source for verification and test kernels: Debian's linux-source-6.12
 * tarball (/usr/src/linux-source-6.12.tar.xz), unpacked once into a cache
 * directory outside the repository, keyed by the tarball's sha256, and reused
 * by every later run.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { COMPLETE_MARKER, cacheDirectory, cachePathIn, cacheRoot } from "@br-criu/cache";

export const DEBIAN_KERNEL_TARBALL = "/usr/src/linux-source-6.12.tar.xz";
const DEBIAN_KERNEL_PACKAGE = "linux-source-6.12";

export interface KernelSource {
  /** Unpacked source tree (read-only by convention: builds use O=). */
  readonly dir: string;
  /** sha256 of the tarball it came from. */
  readonly tarballSha256: string;
  /** `make kernelversion` of the tree, e.g. 6.12.117. */
  readonly version: string;
  /** True when this call unpacked it, false when the cache had it. */
  readonly unpacked: boolean;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Returns the unpacked kernel source, unpacking it on first use (a cache
 * directory: a partial unpack is never used).
 */
export async function ensureKernelSource(options: { tarball?: string; cache?: string } = {}): Promise<KernelSource> {
  const tarball = options.tarball ?? DEBIAN_KERNEL_TARBALL;
  if (!existsSync(tarball)) {
    throw new Error(
      `${tarball} not found: install Debian's ${DEBIAN_KERNEL_PACKAGE} package (apt-get install -y ${DEBIAN_KERNEL_PACKAGE}); .ci/run does this in CI`,
    );
  }
  const tarballSha256 = await sha256File(tarball);
  const base = cachePathIn(options.cache ?? cacheRoot(), "linuxSource", tarballSha256.slice(0, 16));
  const { filled: unpacked } = cacheDirectory(base, (staging) => {
    execFileSync("tar", ["-xf", tarball, "-C", staging], { stdio: "inherit" });
    return tarballSha256;
  });
  const top = readdirSync(base).filter((name) => name !== COMPLETE_MARKER);
  if (top.length !== 1)
    throw new Error(`${base}: expected one top-level directory from ${tarball}, found ${top.join(", ")}`);
  const dir = join(base, top[0]!);
  return { dir, tarballSha256, version: kernelVersionOf(dir), unpacked };
}

/** VERSION.PATCHLEVEL.SUBLEVEL from the top-level Makefile. */
export function kernelVersionOf(dir: string): string {
  const makefile = readFileSync(join(dir, "Makefile"), "utf8");
  const field = (name: string) => new RegExp(`^${name} = (\\d+)`, "m").exec(makefile)?.[1];
  const [version, patchlevel, sublevel] = [field("VERSION"), field("PATCHLEVEL"), field("SUBLEVEL")];
  if (!version || !patchlevel) throw new Error(`${dir}/Makefile has no VERSION/PATCHLEVEL`);
  return [version, patchlevel, sublevel ?? "0"].join(".");
}
