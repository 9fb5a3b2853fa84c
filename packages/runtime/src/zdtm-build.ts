/**
 * The ZDTM programs of the selection, built for a board from CRIU's 4.2.1
 * tarball with test/zdtm's own Makefiles, the cross compiler, sysroot and
 * CPU flags the package tier builds CRIU with (riscv64, whose CRIU is
 * Debian unstable's binary, against unstable's libc6-dev). Every program of
 * an architecture is built in one make run, once, and cached under
 * <cache>/zdtm-build/<arch>-<key>/ with what the run plan needs from the
 * source: the Makefile and each program's .desc and companion files.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDirectory, cachePathIn, outputTail } from "@br-criu/cache";
import { CRIU_RELEASES, CRIU_VERSION, ZDTM_SELECTION, type ResolvedBoard } from "@br-criu/model";
import { runCommand } from "./command";
import { criuBuildSysroot, ensureCriuTarball } from "./criu-package";
import { debianApt, unpackDebianPackages } from "./sysroot";
import type { ZdtmSourceText } from "./zdtm-source";
import { buildEnvironment, checkElf, compilerVersion, cpuFlags, writeToolchainWrapper } from "./target-toolchain";

export interface ZdtmBuild {
  /** The built programs: <dir>/<program>. */
  readonly dir: string;
  readonly programs: readonly string[];
  readonly source: ZdtmSourceText;
  /** The sysroot the programs linked against (their libraries are the test system's). */
  readonly sysroot: string;
  readonly cached: boolean;
  readonly seconds: number;
}

const SOURCE_FACTS = "zdtm-source.json";

/** The programs of the selection, each once (a program may run in several modes). */
function zdtmPrograms(): string[] {
  return [...new Set(ZDTM_SELECTION.map((t) => t.program))].sort();
}

/** The sysroot the programs build against: CRIU's, or for Debian's criu binary, that suite's C library. */
function zdtmSysroot(board: ResolvedBoard, cache: string): string {
  if (board.arch.testCriu === "recipe") return criuBuildSysroot(board, cache);
  return unpackDebianPackages(board.arch, ["libc6-dev"], cache, { apt: debianApt(board.arch, cache) });
}

function readSourceFacts(staticDir: string, programs: readonly string[]): ZdtmSourceText {
  const files = new Set(readdirSync(staticDir));
  const descs: Record<string, string | null> = {};
  const companions: Record<string, string[]> = {};
  for (const program of programs) {
    descs[program] = files.has(`${program}.desc`) ? readFileSync(join(staticDir, `${program}.desc`), "utf8") : null;
    companions[program] = [".hook", ".checkskip"].map((ext) => `${program}${ext}`).filter((name) => files.has(name));
  }
  return { makefile: readFileSync(join(staticDir, "Makefile"), "utf8"), descs, companions };
}

function zdtmMake(board: ResolvedBoard, dir: string, args: readonly string[], env: NodeJS.ProcessEnv): void {
  try {
    runCommand("make", ["-C", dir, ...args], { env });
  } catch (error) {
    throw new Error(`ZDTM for ${board.arch.name}: make -C ${dir} ${args.join(" ")} failed:\n${outputTail(error, 25)}`, {
      cause: error,
    });
  }
}

export function buildZdtm(board: ResolvedBoard, cache: string): ZdtmBuild {
  const { debian } = board.arch;
  const programs = zdtmPrograms();
  const tarball = ensureCriuTarball(cache);
  const sysroot = zdtmSysroot(board, cache);
  const flags = cpuFlags(board);
  // ZDTM's Makefile.inc derives the architecture from SUBARCH (CRIU's own make variables).
  // Its ARCHCFLAGS guess (-march=armv7-a+fp on arm) gives way to the board's CPU flags, which
  // the compiler wrapper adds and gcc refuses next to a -march.
  const variables = [...Object.entries(board.criu.makeVars).map(([name, value]) => `${name}=${value}`), "ARCHCFLAGS="];
  const inputs = {
    tarball: CRIU_RELEASES[CRIU_VERSION]!.sha256,
    programs,
    variables,
    flags,
    sysroot,
    compilerVersion: compilerVersion(debian.triplet),
  };
  const key = createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 24);
  const dir = cachePathIn(cache, "zdtmBuilds", `${board.arch.name}-${key}`);
  const started = Date.now();
  const cached = cacheDirectory(dir, (work) => {
    const cross = writeToolchainWrapper(join(work, "wrap"), debian.triplet, sysroot, flags);
    runCommand("tar", ["-xf", tarball, "-C", work, "--wildcards", "*/test/zdtm/*"]);
    const zdtm = join(
      work,
      readdirSync(work).find((name) => name.startsWith("criu-"))!,
      "test",
      "zdtm",
    );
    const make = [...variables, `CC=${cross}gcc`, `AR=${cross}ar`, "-j2"];
    const env = buildEnvironment(sysroot, debian.triplet, []);
    zdtmMake(board, join(zdtm, "lib"), [...make, "libzdtmtst.a"], env);
    zdtmMake(board, join(zdtm, "static"), [...make, ...programs], env);
    mkdirSync(join(work, "static"));
    for (const program of programs) {
      copyFileSync(join(zdtm, "static", program), join(work, "static", program));
      checkElf(join(work, "static", program), board);
    }
    writeFileSync(join(work, SOURCE_FACTS), JSON.stringify(readSourceFacts(join(zdtm, "static"), programs)));
    rmSync(
      join(
        work,
        readdirSync(work).find((name) => name.startsWith("criu-"))!,
      ),
      { recursive: true, force: true },
    );
    return `seconds=${((Date.now() - started) / 1000).toFixed(1)}\nprograms=${programs.join(" ")}`;
  });
  if (!existsSync(join(dir, SOURCE_FACTS))) throw new Error(`${dir} has no ${SOURCE_FACTS}: remove the directory`);
  return {
    dir: join(dir, "static"),
    programs,
    source: JSON.parse(readFileSync(join(dir, SOURCE_FACTS), "utf8")) as ZdtmSourceText,
    sysroot,
    cached: !cached.filled,
    seconds: Number(/^seconds=([\d.]+)$/m.exec(cached.record)?.[1] ?? 0),
  };
}
