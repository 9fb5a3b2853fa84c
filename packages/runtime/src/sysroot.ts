/**
 * Where the test system's programs come from: the build machine itself for
 * its own architecture, or Debian packages of another architecture unpacked
 * into a cached directory (run with qemu-user when the dynamic loader must be
 * asked for their libraries).
 */
import { execFileSync } from "node:child_process";
import { runCommand } from "./command";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { join, posix, relative } from "node:path";
import { cacheDirectory, cachePathIn } from "@br-criu/cache";
import type { ArchInfo } from "@br-criu/model";
import { machineApt, unstableApt, type AptConfig } from "./debian-apt";

export interface Sysroot {
  /** "/" for the build machine. */
  readonly dir: string;
  /** Command prefix that runs the sysroot's programs (qemu-user), when foreign. */
  readonly emulator?: readonly string[];
}

export const HOST_SYSROOT: Sysroot = { dir: "/" };

/** The packages a test system is unpacked from: criu and busybox-static with their libraries. */
const TEST_SYSTEM_PACKAGES = ["criu", "busybox-static"];

/** A path inside the sysroot with every symlink resolved inside it (absolute targets stay inside). */
export function resolveInSysroot(sysroot: string, path: string): string {
  if (sysroot === "/") return realpathSync(path);
  let current = posix.normalize(path);
  for (let hops = 0; hops < 40; hops++) {
    const onDisk = join(sysroot, current);
    if (!lstatSync(onDisk).isSymbolicLink()) return onDisk;
    const target = readlinkSync(onDisk);
    current = target.startsWith("/") ? posix.normalize(target) : posix.join(posix.dirname(current), target);
  }
  throw new Error(`${path}: too many symbolic links inside ${sysroot}`);
}

/**
 * Unpacks Debian's criu and busybox-static for `arch` with the library
 * packages they depend on (see unpackDebianPackages), as a test system run
 * with qemu-user.
 */
export function ensureDebianSysroot(arch: ArchInfo, cache: string): Sysroot {
  // boot-test asks twice (busybox, and riscv64's criu): the closure and the
  // .deb URIs need not be resolved again within one process.
  const known = testSystems.get(`${arch.name}\0${cache}`);
  if (known) return known;
  // Only libraries join criu and busybox: the test system needs no tools or interpreters.
  const include = /^(lib|criu|busybox)/;
  const root = unpackDebianPackages(arch, TEST_SYSTEM_PACKAGES, cache, { include, apt: debianApt(arch, cache) });
  const sysroot = { dir: root, emulator: [arch.debian.qemuUser, "-L", root] };
  testSystems.set(`${arch.name}\0${cache}`, sysroot);
  return sysroot;
}

const testSystems = new Map<string, Sysroot>();

/** Where an architecture's Debian packages come from: the machine's apt (bookworm), or unstable's of our own. */
export function debianApt(arch: ArchInfo, cache: string): AptConfig {
  return arch.debian.suite === "unstable" ? unstableApt(cache, arch.debian.arch) : machineApt();
}

/** Changes to how a sysroot is laid out; part of its cache key, so old caches are rebuilt. */
const SYSROOT_LAYOUT = "relative-symlinks";

/**
 * Absolute symlinks point at the build machine once unpacked
 * (/lib64/ld64.so.2 -> /lib/powerpc64le-linux-gnu/ld64.so.2): make them
 * relative, so that they resolve inside the sysroot for the linker and qemu -L.
 */
function relativizeSymlinks(root: string, dir = root): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      const target = readlinkSync(path);
      if (!target.startsWith("/")) continue;
      rmSync(path);
      symlinkSync(relative(dir, join(root, target)) || ".", path);
    } else if (entry.isDirectory()) {
      relativizeSymlinks(root, path);
    }
  }
}

/**
 * Debian since trixie ships libraries and the dynamic loader only under
 * /usr (merged /usr); the /lib -> usr/lib links come from installing
 * base-files, not from the packages. Add them where the unpacked packages
 * left no such directory (bookworm's packages still ship /lib themselves).
 */
function addMergedUsrLinks(root: string): void {
  for (const dir of ["bin", "sbin", "lib", "lib64"]) {
    if (existsSync(join(root, "usr", dir)) && !existsSync(join(root, dir))) symlinkSync(`usr/${dir}`, join(root, dir));
  }
}

/** What apt-cache follows: hard dependencies only, recursively (pre-dependencies when asked). */
const HARD_DEPENDENCIES = [
  "--recurse",
  "--no-recommends",
  "--no-suggests",
  "--no-conflicts",
  "--no-breaks",
  "--no-replaces",
  "--no-enhances",
];

/** The packages `rootPackages` of `debian` need, recursively, as "name:arch" (those `include` accepts). */
function dependencyClosure(
  apt: AptConfig,
  debian: string,
  rootPackages: readonly string[],
  options: Required<Pick<UnpackOptions, "include" | "preDepends">>,
): string[] {
  const machineForeign = apt.options.length === 0 && debian !== apt.nativeArch;
  if (machineForeign && !runCommand("dpkg", ["--print-foreign-architectures"]).split("\n").includes(debian)) {
    throw new Error(
      `Debian's ${debian} packages are not available: run (as root) dpkg --add-architecture ${debian} && apt-get update`,
    );
  }
  const roots = rootPackages.map((name) => `${name}:${debian}`);
  // apt-cache names packages of the native architecture without ":<arch>"; virtual ones in <...>.
  const follow = options.preDepends ? HARD_DEPENDENCIES : [...HARD_DEPENDENCIES, "--no-pre-depends"];
  return runCommand("apt-cache", [...apt.options, "depends", ...follow, ...roots])
    .split("\n")
    .map((line) => (debian === apt.nativeArch && /^[a-z0-9][a-z0-9+.-]*$/.test(line) ? `${line}:${debian}` : line))
    .filter((line) => line.endsWith(`:${debian}`) && !line.startsWith(" ") && options.include.test(line));
}

export interface UnpackOptions {
  /** Which packages of the dependency closure to take (by "name:arch"); all by default. */
  readonly include?: RegExp;
  /** Where the packages come from: the machine's apt (bookworm) by default. */
  readonly apt?: AptConfig;
  /** Follow Pre-Depends too (essential programs such as tar pre-depend on their libraries). */
  readonly preDepends?: boolean;
}

/**
 * Unpacks Debian packages of `arch` and everything they depend on into a
 * directory, once per exact set of .deb files (keyed by the download URIs
 * and their sha256 sums), under <cache>/debian-sysroot/; returns the root.
 * Unpacking, not installing: packages of several architectures need not be
 * co-installable (libnet1-dev is not), and the machine stays as it was.
 * With the machine's apt it needs `dpkg --add-architecture <arch>` and
 * `apt-get update` (npm run setup does both).
 */
export function unpackDebianPackages(
  arch: ArchInfo,
  rootPackages: readonly string[],
  cache: string,
  options: UnpackOptions = {},
): string {
  const debian = arch.debian.arch;
  const apt = options.apt ?? machineApt();
  const closure = dependencyClosure(apt, debian, rootPackages, {
    include: options.include ?? /./,
    preDepends: options.preDepends ?? false,
  });
  const packages = [...new Set(closure)].sort();
  const uris = runCommand("apt-get", [...apt.options, "download", "--print-uris", ...packages])
    .trim()
    .split("\n")
    .sort();
  const key = createHash("sha256")
    .update(`${SYSROOT_LAYOUT}\n${uris.join("\n")}`)
    .digest("hex")
    .slice(0, 24);
  const dir = cachePathIn(cache, "debianSysroots", `${debian}-${key}`);
  cacheDirectory(dir, (staging) => {
    mkdirSync(join(staging, "debs"));
    try {
      execFileSync("apt-get", [...apt.options, "download", "-q", ...packages], {
        cwd: join(staging, "debs"),
        stdio: ["ignore", "ignore", "pipe"],
      });
    } catch (error) {
      throw new Error(
        `apt-get download of Debian's ${debian} packages failed (${(error as Error).message.split("\n")[0]}); stale package lists are the usual cause: run apt-get update`,
        { cause: error },
      );
    }
    mkdirSync(join(staging, "root"));
    for (const deb of readdirSync(join(staging, "debs")).sort())
      execFileSync("dpkg", ["-x", join(staging, "debs", deb), join(staging, "root")]);
    relativizeSymlinks(join(staging, "root"));
    addMergedUsrLinks(join(staging, "root"));
    return uris.join("\n");
  });
  return join(dir, "root");
}
