/**
 * The checkpoint-restore package's recipe run for real, outside Buildroot:
 * the same tarball (checked against the recorded hash), the same pre-build
 * step, make variables and install targets as the generated .mk (read from
 * CRIU_MAKE_RECIPE, not retyped), with Buildroot's variables given the
 * values a Debian build machine has:
 *
 * - $(TARGET_CROSS): a directory of compiler wrappers that add --sysroot and
 *   the board's CPU flags, as Buildroot's toolchain wrapper does;
 * - the target's libraries: Debian's -dev packages of that architecture,
 *   unpacked into a sysroot; pkg-config looks there (PKG_CONFIG_SYSROOT_DIR
 *   and PKG_CONFIG_LIBDIR, as Buildroot's pkgconf wrapper does);
 * - $(HOST_DIR): /usr (Debian's protoc, protoc-gen-c and python3).
 *
 * Builds are cached under <cache>/criu-build/<arch>-<key>/, keyed by the
 * tarball's hash, the substituted variables, the sysroot and the compiler.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { cacheDirectory, cachePathIn, outputTail } from "@br-criu/cache";
import { join } from "node:path";
import { CRIU_RELEASES, CRIU_VERSION, type ResolvedBoard } from "@br-criu/model";
import {
  CRIU_MAKE_RECIPE,
  subOptionMakeAdditions,
  substituteBuildrootVariables,
  type MakeVariable,
} from "@br-criu/generators";
import { runCommand } from "./command";
import { unstableApt } from "./debian-apt";
import { debianApt, ensureDebianSysroot, unpackDebianPackages, type Sysroot } from "./sysroot";
import { buildEnvironment, checkElf, compilerVersion, cpuFlags, writeToolchainWrapper } from "./target-toolchain";

/** What CRIU links against (Buildroot: the package's DEPENDENCIES), as Debian bookworm names them. */
const CRIU_BUILD_PACKAGES = [
  "libbsd-dev",
  "libcap-dev",
  "libnet1-dev",
  "libnl-3-dev",
  "libnl-route-3-dev",
  "libprotobuf-c-dev",
  "uuid-dev",
];

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * The packaged CRIU tarball, from Debian's archive: `apt-get source
 * --download-only criu=<debian version>` with an apt configuration of our own
 * (unstable's source index, its lists in the cache; the machine's sources
 * are not touched). Refused unless its sha256 is the recorded one.
 */
export function ensureCriuTarball(cache: string): string {
  const release = CRIU_RELEASES[CRIU_VERSION]!;
  const { dir } = cacheDirectory(cachePathIn(cache, "criuSource", release.sha256), (staging) => {
    const apt = unstableApt(cache).options;
    try {
      runCommand("apt-get", [...apt, "source", "--download-only", "-q", `criu=${release.debianSource}`], {
        cwd: staging,
      });
    } catch (error) {
      // Debian serves the orig tarball and the .dsc; a missing debian.tar.xz fails the command but not us.
      if (!existsSync(join(staging, release.tarball)))
        throw new Error(
          `apt-get source criu=${release.debianSource} did not download ${release.tarball}: ${(error as Error).message.split("\n")[0]}`,
          { cause: error },
        );
    }
    const actual = sha256(readFileSync(join(staging, release.tarball)));
    if (actual !== release.sha256)
      throw new Error(`${release.tarball} has sha256 ${actual}, not the recorded ${release.sha256}: refusing it`);
    return `criu=${release.debianSource} ${release.tarball} ${actual}`;
  });
  return join(dir, release.tarball);
}

export interface CriuBuild {
  /** DESTDIR of `make install`: usr/sbin/criu, usr/lib/libcriu.so.*, ... */
  readonly staging: string;
  /** The sysroot the build linked against (its libraries are what criu runs with). */
  readonly sysroot: string;
  readonly cached: boolean;
  /** How long the build took (for a cached one: when it was built). */
  readonly seconds: number;
  /** Every make command line, for reports. */
  readonly commands: readonly string[];
}

/** The target's libraries CRIU's recipe builds against: Debian's -dev packages of the board's architecture. */
export function criuBuildSysroot(board: ResolvedBoard, cache: string): string {
  return unpackDebianPackages(board.arch, CRIU_BUILD_PACKAGES, cache, { apt: debianApt(board.arch, cache) });
}

/** Builds (or reuses) CRIU for a board with the package's recipe. */
export function buildCriu(board: ResolvedBoard, cache: string): CriuBuild {
  const arch = board.arch.name;
  const { debian } = board.arch;
  if (board.arch.testCriu !== "recipe")
    throw new Error(
      `CRIU's recipe is not built for ${arch} here: Debian ${debian.suite}'s ${debian.arch} packages cannot serve as its sysroot (its test system runs Debian's criu binary)`,
    );
  const tarball = ensureCriuTarball(cache);
  const sysroot = criuBuildSysroot(board, cache);
  const flags = cpuFlags(board);
  const recipe = CRIU_MAKE_RECIPE;
  const subOptions = subOptionMakeAdditions((option) => board.config[option.stackKey]);
  const installTargets = [...recipe.installTargets, ...subOptions.installTargets];
  const inputs = {
    recipe,
    subOptionVariables: subOptions.variables,
    makeVars: board.criu.makeVars,
    flags,
    sysroot,
    compilerVersion: compilerVersion(debian.triplet),
  };
  const key = buildKey(inputs);
  const dir = cachePathIn(cache, "criuBuilds", `${arch}-${key}`);
  const started = Date.now();
  const commands: string[] = [];
  const cached = cacheDirectory(dir, (work) => {
    const targetCross = writeToolchainWrapper(join(work, "wrap"), debian.triplet, sysroot, flags);
    runCommand("tar", ["-xf", tarball, "-C", work]);
    const source = join(
      work,
      readdirSync(work).find((name) => name.startsWith("criu-"))!,
    );
    const variables = { HOST_DIR: "/usr", TARGET_CROSS: targetCross, "@D": source };
    const substitute = ([name, value]: MakeVariable) => `${name}=${substituteBuildrootVariables(value, variables)}`;
    const env = buildEnvironment(sysroot, debian.triplet, recipe.environment.map(substitute));
    const options = [
      ...Object.entries(board.criu.makeVars).map(([name, value]) => `${name}=${value}`),
      ...[...recipe.options, ...subOptions.variables].map(substitute),
    ];
    const step = (command: string, args: readonly string[]) => {
      commands.push([command, ...args].join(" "));
      runBuildStep(arch, command, args, { cwd: source, env });
    };
    for (const words of recipe.preBuild) {
      const [command, ...args] = words.map((word) => substituteBuildrootVariables(word, variables));
      step(command!, args);
    }
    step("make", ["-j2", ...options]);
    step("make", [...options, `DESTDIR=${join(work, "staging")}`, ...installTargets]);
    checkElf(join(work, "staging", "usr", "sbin", "criu"), board);
    rmSync(source, { recursive: true, force: true });
    return `seconds=${((Date.now() - started) / 1000).toFixed(1)}\n${commands.join("\n")}`;
  });
  // A cached build reports how long it took when it was built (the record's first line).
  const seconds = Number(/^seconds=([\d.]+)$/m.exec(cached.record)?.[1] ?? 0);
  return { staging: join(dir, "staging"), sysroot, cached: !cached.filled, seconds, commands };
}

/** The cache key of a build: the tarball's hash and everything the build is made from (the order of the keys is part of it). */
function buildKey(inputs: {
  recipe: unknown;
  subOptionVariables: unknown;
  makeVars: unknown;
  flags: unknown;
  sysroot: string;
  compilerVersion: string;
}): string {
  return sha256(JSON.stringify({ tarball: CRIU_RELEASES[CRIU_VERSION]!.sha256, ...inputs })).slice(0, 24);
}

/** One command of the build; a failure names the command and shows the end of its output. */
function runBuildStep(
  arch: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): void {
  try {
    runCommand(command, args, options);
  } catch (error) {
    const tail = outputTail(error, 25);
    throw new Error(`CRIU ${CRIU_VERSION} for ${arch}: ${[command, ...args].join(" ")} failed:\n${tail}`, {
      cause: error,
    });
  }
}

export interface TestSystemCriu {
  /** criu on the build machine, and the sysroot holding its libraries. */
  readonly binary: string;
  readonly sysroot: Sysroot;
  /** Where it came from, for the test's report. */
  readonly origin: string;
}

/**
 * The criu a board's test system runs: the recipe's build (the package
 * tier's, from the cache), or where the architecture's test system takes
 * Debian's binary (riscv64: bookworm has neither the -dev packages the
 * recipe links against nor a sysroot; unstable's criu is the same 4.2.1
 * release), that binary, checked to be the packaged release.
 */
export function testSystemCriu(board: ResolvedBoard, cache: string): TestSystemCriu {
  const { debian } = board.arch;
  if (board.arch.testCriu === "debian-binary") {
    const sysroot = ensureDebianSysroot(board.arch, cache);
    const binary = join(sysroot.dir, "usr/sbin/criu");
    const version = runCommand(debian.qemuUser, ["-L", sysroot.dir, binary, "--version"]);
    const { version: expected } = CRIU_RELEASES[CRIU_VERSION]!;
    if (!new RegExp(`^Version: ${expected.replace(/\./g, "\\.")}$`, "m").test(version)) {
      throw new Error(
        `Debian ${debian.suite}'s criu for ${debian.arch} is not ${expected} (${version.trim().split("\n")[0]}): the package moved on; update CRIU_RELEASES or pin another source`,
      );
    }
    return { binary, sysroot, origin: `Debian ${debian.suite}'s criu ${expected} binary (${debian.arch})` };
  }
  const build = buildCriu(board, cache);
  const how = build.cached ? "the package tier's cached build" : `built now in ${build.seconds.toFixed(0)} s`;
  const origin = `the package's recipe, ${how}`;
  return {
    binary: join(build.staging, "usr/sbin/criu"),
    sysroot: { dir: build.sysroot, emulator: [debian.qemuUser, "-L", build.sysroot] },
    origin: `${origin} (${build.staging})`,
  };
}
