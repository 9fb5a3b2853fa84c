/**
 * Where the test system's programs come from: the build machine itself for
 * its own architecture, or Debian packages of another architecture unpacked
 * into a cached directory (run with qemu-user when the dynamic loader must be
 * asked for their libraries).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";

export interface Sysroot {
  /** "/" for the build machine. */
  readonly dir: string;
  /** Command prefix that runs the sysroot's programs (qemu-user), when foreign. */
  readonly emulator?: readonly string[];
}

export const HOST_SYSROOT: Sysroot = { dir: "/" };

/** Debian architecture names and their qemu-user binaries, for foreign test systems. */
export const FOREIGN_ARCHES: Readonly<Record<string, { debianArch: string; qemuUser: string }>> = {
  aarch64: { debianArch: "arm64", qemuUser: "qemu-aarch64" },
};

/** The packages a test system is unpacked from: criu and busybox-static with their libraries. */
const ROOT_PACKAGES = ["criu", "busybox-static"];

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

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * Unpacks Debian's criu and busybox-static for `arch` with the library
 * packages they depend on, once per exact set of .deb files (keyed by the
 * download URIs and their sha256 sums), into <cache>/debian-sysroot/.
 * Needs `dpkg --add-architecture <arch>` and `apt-get update` (.ci/run does both).
 */
export function ensureDebianSysroot(arch: string, cache: string): Sysroot {
  const foreign = FOREIGN_ARCHES[arch];
  if (!foreign) throw new Error(`no Debian test system for ${arch}; known: ${Object.keys(FOREIGN_ARCHES).join(", ")}`);
  const { debianArch, qemuUser } = foreign;
  if (!run("dpkg", ["--print-foreign-architectures"]).split("\n").includes(debianArch)) {
    throw new Error(`Debian's ${debianArch} packages are not available: run (as root) dpkg --add-architecture ${debianArch} && apt-get update`);
  }
  const roots = ROOT_PACKAGES.map((name) => `${name}:${debianArch}`);
  const closure = run("apt-cache", ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", "--no-pre-depends", ...roots])
    .split("\n")
    .filter((line) => new RegExp(`^(lib|criu|busybox)\\S*:${debianArch}$`).test(line));
  const packages = [...new Set(closure)].sort();
  const uris = run("apt-get", ["download", "--print-uris", ...packages]).trim().split("\n").sort();
  const key = createHash("sha256").update(uris.join("\n")).digest("hex").slice(0, 24);
  const dir = join(cache, "debian-sysroot", `${debianArch}-${key}`);
  if (!existsSync(join(dir, ".br-criu-complete"))) {
    const staging = `${dir}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(join(staging, "debs"), { recursive: true });
    try {
      execFileSync("apt-get", ["download", "-q", ...packages], { cwd: join(staging, "debs"), stdio: ["ignore", "ignore", "pipe"] });
    } catch (error) {
      throw new Error(`apt-get download of Debian's ${debianArch} packages failed (${(error as Error).message.split("\n")[0]}); stale package lists are the usual cause: run apt-get update`);
    }
    mkdirSync(join(staging, "root"));
    for (const deb of readdirSync(join(staging, "debs")).sort()) execFileSync("dpkg", ["-x", join(staging, "debs", deb), join(staging, "root")]);
    writeFileSync(join(staging, ".br-criu-complete"), `${uris.join("\n")}\n`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(staging, dir);
  }
  const root = join(dir, "root");
  return { dir: root, emulator: [qemuUser, "-L", root] };
}
