/**
 * The ZDTM part of a test system: the built programs, the runner and its
 * list, the root file system ns-flavor programs pivot into, and the network
 * tools CRIU runs while it dumps (iptables for its TCP lock, iproute2's ip
 * for network namespaces), from Debian's packages of the board's
 * architecture with their libraries.
 */
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { CRIU_VERSION, ZDTM_SELECTION, type ResolvedBoard } from "@br-criu/model";
import { TEST_SYSTEM_LAYOUT } from "./test-system-layout";
import { elfInterpreter, libraryInSysroot, sharedLibraries, type SystemFile } from "./initramfs";
import { debianApt, unpackDebianPackages, type Sysroot } from "./sysroot";
import { buildZdtm } from "./zdtm-build";
import { planZdtmSelection, renderZdtmList, type ZdtmPlanEntry, type ZdtmRun } from "./zdtm-source";

/** zdtm.py's ns-flavor root directories (writable by the uid the programs run as). */
const ROOT_SKELETON = ["bin", "sbin", "etc", "lib", "lib64", "dev", "tmp", "usr", "proc", "run", "zdtm/static"];

/** The names CRIU calls iptables by, all served by iptables' legacy multi-call binary (the ip_tables kernel interface). */
const IPTABLES_NAMES = [
  "iptables",
  "ip6tables",
  "iptables-save",
  "iptables-restore",
  "ip6tables-save",
  "ip6tables-restore",
];

export interface ZdtmTestSystem {
  readonly files: readonly SystemFile[];
  /** Directories to create with their mode (the programs run as an unprivileged uid). */
  readonly directories: readonly { readonly path: string; readonly mode: number }[];
  readonly plan: readonly ZdtmPlanEntry[];
  /** The runner's list (TEST_SYSTEM_LAYOUT.zdtmList). */
  readonly list: string;
  /** Where the programs came from, for the report. */
  readonly origin: string;
}

/** The shared libraries an executable names (DT_NEEDED), read with binutils' readelf, which reads every architecture. */
function neededLibraries(path: string): string[] {
  const dynamic = execFileSync("readelf", ["-d", path], { encoding: "utf8" });
  return [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
}

/**
 * The libraries the programs need, taken from the files the test system
 * already has (criu's C library): each program must need nothing else, or
 * the selection holds a program the test system cannot run.
 */
function programLibraries(
  programsDir: string,
  programs: readonly string[],
  system: readonly SystemFile[],
): SystemFile[] {
  const chosen = new Map<string, SystemFile>();
  const take = (program: string, what: string, file: SystemFile | undefined) => {
    if (!file) throw new Error(`ZDTM program ${program} needs ${what}, which the test system does not ship`);
    chosen.set(file.to, file);
  };
  for (const program of programs) {
    const path = join(programsDir, program);
    const interpreter = elfInterpreter(path).slice(1);
    take(
      program,
      `/${interpreter}`,
      system.find((f) => f.to === interpreter),
    );
    for (const name of neededLibraries(path))
      take(
        program,
        name,
        system.find((f) => basename(f.to) === name),
      );
  }
  return [...chosen.values()];
}

/** The first of `candidates` (paths inside the sysroot) that is a file, not a link to one. */
function packagedFile(sysroot: string, candidates: readonly string[], what: string): string {
  for (const candidate of candidates) {
    const onDisk = join(sysroot, candidate);
    if (existsSync(onDisk) && !lstatSync(onDisk).isSymbolicLink()) return candidate;
  }
  throw new Error(`${what}: none of ${candidates.join(", ")} in ${sysroot}`);
}

/**
 * What CRIU runs while it dumps and restores (busybox's versions lack what
 * it asks for): `ip addr/route save|restore` for network namespaces
 * (iproute2), `iptables` for its TCP connection lock (iptables' legacy
 * binary, with its extensions) and `tar --gzip --sparse ...` for tmpfs
 * mounts (GNU tar), with their libraries, from Debian's packages of the
 * board's architecture.
 */
function criuHelperPrograms(board: ResolvedBoard, cache: string): SystemFile[] {
  const { arch } = board;
  const dir = unpackDebianPackages(arch, ["iproute2", "iptables", "tar"], cache, {
    include: /^(lib|zlib|iproute2|iptables|tar:)/,
    preDepends: true,
    apt: debianApt(arch, cache),
  });
  const sysroot: Sysroot = { dir, emulator: [arch.debian.qemuUser, "-L", dir] };
  const ip = packagedFile(dir, ["usr/bin/ip", "bin/ip", "usr/sbin/ip", "sbin/ip"], "iproute2's ip");
  const xtables = packagedFile(dir, ["usr/sbin/xtables-legacy-multi", "sbin/xtables-legacy-multi"], "iptables");
  const tar = packagedFile(dir, ["usr/bin/tar", "bin/tar"], "GNU tar");
  const file = (from: string, to: string): SystemFile => ({ from, to, mode: 0o755 });
  const files = [
    file(join(dir, ip), "usr/sbin/ip"),
    file(join(dir, tar), "usr/sbin/tar"),
    ...IPTABLES_NAMES.map((name) => file(join(dir, xtables), `usr/sbin/${name}`)),
  ];
  for (const executable of [ip, xtables, tar])
    for (const library of sharedLibraries(`/${executable}`, sysroot))
      files.push(file(libraryInSysroot(dir, library), library.slice(1)));
  const extensions = `usr/lib/${arch.debian.triplet}/xtables`;
  for (const name of readdirSync(join(dir, extensions))
    .filter((n) => n.endsWith(".so"))
    .sort())
    files.push(file(join(dir, extensions, name), `${extensions}/${name}`));
  return files;
}

export interface ZdtmTestSystemOptions {
  readonly cache: string;
  /** What the test system already holds (criu and its libraries): the programs share its C library. */
  readonly system: readonly SystemFile[];
  /** The runner script (REPO_LAYOUT.zdtmRunner in the repository). */
  readonly runner: string;
}

/** Everything ZDTM adds to a board's test system. */
export function zdtmTestSystem(board: ResolvedBoard, options: ZdtmTestSystemOptions): ZdtmTestSystem {
  const { cache, system } = options;
  const build = buildZdtm(board, cache);
  const plan = planZdtmSelection(board, ZDTM_SELECTION, build.source);
  const runs = plan.flatMap((entry): ZdtmRun[] => ("run" in entry ? [entry.run] : []));
  const programs = [...new Set(runs.map((run) => run.program))];
  const tests = TEST_SYSTEM_LAYOUT.zdtmTests;
  const files: SystemFile[] = [
    { from: options.runner, to: TEST_SYSTEM_LAYOUT.zdtmRunner, mode: 0o755 },
    ...programs.map((program) => ({
      from: join(build.dir, program),
      to: `${tests}/zdtm/static/${program}`,
      mode: 0o755,
    })),
    // The ns flavor's programs run inside the tests root: their libraries go there too.
    ...programLibraries(build.dir, programs, system).map((lib) => ({ ...lib, to: `${tests}/${lib.to}` })),
    ...criuHelperPrograms(board, cache),
  ];
  const how = build.cached ? "cached" : `built now in ${build.seconds.toFixed(0)} s`;
  return {
    files,
    directories: ROOT_SKELETON.map((dir) => ({ path: `${tests}/${dir}`, mode: 0o777 })),
    plan,
    list: renderZdtmList(runs),
    origin: `${programs.length} ZDTM programs of CRIU ${CRIU_VERSION} (${how}: ${build.dir})`,
  };
}
