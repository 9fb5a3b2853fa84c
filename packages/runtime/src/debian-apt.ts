/**
 * apt configurations of our own. Debian unstable serves what bookworm lacks
 * (the CRIU 4.2.1 source, riscv64 binaries); it is reached with a sources
 * list, package lists, package cache and an empty dpkg status of our own
 * under <cache>/debian-unstable/, so the machine's apt sources and state
 * are never touched.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cachePathIn } from "@br-criu/cache";
import { runCommand } from "./command";

/** How apt is invoked: its -o options, and the architecture packages are taken for. */
export interface AptConfig {
  readonly options: readonly string[];
  /** The Debian architecture apt treats as native (names carry no ":<arch>" in its output). */
  readonly nativeArch: string;
}

const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

/** The machine's own apt, for bookworm packages. */
export function machineApt(): AptConfig {
  return { options: [], nativeArch: runCommand("dpkg", ["--print-architecture"]).trim() };
}

/**
 * Debian unstable: its sources, plus the binaries of `debianArch` when
 * given. Each configuration has its own lists (apt-get update deletes list
 * files its sources do not name), refreshed once per process;
 * `apt-get update` needs only Debian's mirror.
 */
export function unstableApt(cache: string, debianArch?: string): AptConfig {
  const name = debianArch ?? "source";
  const dir = cachePathIn(cache, "debianUnstable");
  mkdirSync(join(dir, `lists-${name}`, "partial"), { recursive: true });
  mkdirSync(join(dir, "archives", "partial"), { recursive: true });
  const mirror = `signed-by=${DEBIAN_KEYRING}] http://deb.debian.org/debian unstable main`;
  const lines = [`deb-src [${mirror}`, ...(debianArch ? [`deb [arch=${debianArch} ${mirror}`] : [])];
  writeFileSync(join(dir, `sources-${name}.list`), `${lines.join("\n")}\n`);
  writeFileSync(join(dir, "status"), "");
  const nativeArch = debianArch ?? machineApt().nativeArch;
  const options = [
    ["Dir::Etc::sourcelist", join(dir, `sources-${name}.list`)],
    ["Dir::Etc::sourceparts", "-"],
    ["Dir::State::Lists", join(dir, `lists-${name}`)],
    // An empty dpkg status: what the machine has installed does not matter.
    ["Dir::State::status", join(dir, "status")],
    ["Dir::Cache", dir],
    ["Dir::Cache::pkgcache", `pkgcache-${name}.bin`],
    ["Dir::Cache::srcpkgcache", `srcpkgcache-${name}.bin`],
    ["APT::Architecture", nativeArch],
    ["APT::Architectures::", nativeArch],
    ["APT::Sandbox::User", "root"],
  ].flatMap(([option, value]) => ["-o", `${option}=${value}`]);
  if (!updated.has(options.join("\n"))) {
    runCommand("apt-get", [...options, "update", "-q"]);
    updated.add(options.join("\n"));
  }
  return { options, nativeArch };
}

const updated = new Set<string>();
