/** Where every cache of br-criu lives, outside the repository, and what each of its directories holds. */
import { homedir } from "node:os";
import { join } from "node:path";

/** Cache root: $BR_CRIU_CACHE, else $XDG_CACHE_HOME/br-criu, else ~/.cache/br-criu. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env["BR_CRIU_CACHE"]) return env["BR_CRIU_CACHE"];
  return join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "br-criu");
}

/** The directories below the cache root, by what they hold (packages/engine/setup.sh writes pulumi/ itself). */
const CACHE_LAYOUT = {
  /** Debian's kernel source, unpacked, by the tarball's hash. */
  linuxSource: "linux-source",
  /** Built test kernels, by the hash of source and resolved .config. */
  testKernels: "test-kernels",
  /**
   * Which built test kernel each set of inputs (source, architecture, compiler,
   * fragments) resolved to: a later run with the same inputs skips configuring.
   */
  testKernelInputs: "test-kernel-inputs",
  /** The test kernels' O= build trees, one per stack, reused so that an option change rebuilds little. */
  testKernelTrees: "test-kernel-trees",
  /** verify-kernel's O= directories. */
  verifyKernel: "verify-kernel",
  /** Test systems and console logs of `br-criu boot-test`. */
  bootTest: "boot-test",
  /** CRIU's source tarball, by its hash. */
  criuSource: "criu-source",
  /** CRIU built with the package's recipe, per architecture and build key. */
  criuBuilds: "criu-build",
  /** ZDTM's test programs built for a board, per architecture and build key. */
  zdtmBuilds: "zdtm-build",
  /** Debian packages of other architectures, unpacked, by their download URIs. */
  debianSysroots: "debian-sysroot",
  /** br-criu's own apt configuration for Debian unstable (sources, lists, packages). */
  debianUnstable: "debian-unstable",
  /** The container tier's debootstrap'd base image, by its inputs. */
  dockerBase: "docker-base",
  /** Buildroot checkouts and each stack's output (br-criu:workDir when unset). */
  builds: "build",
  /** Host mode's Buildroot download cache and ccache. */
  hostDownloads: "dl",
  hostCcache: "ccache",
} as const;

/** A directory of the cache, e.g. cachePath("testKernels") or cachePath("criuBuilds", "x86_64-<key>"). */
export function cachePath(kind: keyof typeof CACHE_LAYOUT, ...below: string[]): string {
  return join(cacheRoot(), CACHE_LAYOUT[kind], ...below);
}

/** The same below another root (a cache passed in, as the package tier's builds take one). */
export function cachePathIn(root: string, kind: keyof typeof CACHE_LAYOUT, ...below: string[]): string {
  return join(root, CACHE_LAYOUT[kind], ...below);
}
