/**
 * What building for a board's target needs on a Debian build machine, as
 * Buildroot's toolchain gives it: the cross compiler wrapped with the
 * sysroot and the board's CPU flags, pkg-config pointed at the sysroot, and
 * a check that what was built is an ELF file for the board. CRIU's recipe
 * build and the ZDTM build use the same.
 */
import { chmodSync, closeSync, mkdirSync, openSync, readSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedBoard } from "@br-criu/model";
import { runCommand } from "./command";

/** ARM EABI flag: hard-float calling convention (EF_ARM_ABI_FLOAT_HARD). */
const EF_ARM_ABI_FLOAT_HARD = 0x400;

/** The flags Buildroot's toolchain adds for the board's CPU (-mcpu, -mfpu, -mfloat-abi, the instruction set). */
export function cpuFlags(board: ResolvedBoard): string[] {
  if (!board.arch.mcpu) return [];
  const flags = [`-mcpu=${board.cpu.name}`];
  if (board.arm?.fpu) flags.push(`-mfpu=${board.arm.fpu}`);
  if (board.arm) flags.push(`-mfloat-abi=${board.arm.floatAbi === "eabihf" ? "hard" : "softfp"}`);
  // Buildroot's default ARM instruction set is ARM (BR2_ARM_INSTRUCTIONS_ARM:
  // its gcc defaults to -marm); Debian's armhf compiler defaults to Thumb-2.
  if (board.arm) flags.push("-marm");
  return flags;
}

/**
 * $(TARGET_CROSS) in a directory: the compiler with --sysroot and the CPU
 * flags (what Buildroot's toolchain wrapper adds), the binutils as they are.
 * Returns the prefix.
 */
export function writeToolchainWrapper(dir: string, triplet: string, sysroot: string, flags: readonly string[]): string {
  mkdirSync(dir);
  const compiler = `${triplet}-gcc`;
  writeFileSync(
    join(dir, compiler),
    `#!/bin/sh\nexec /usr/bin/${compiler} --sysroot=${sysroot} ${flags.join(" ")} "$@"\n`,
  );
  chmodSync(join(dir, compiler), 0o755);
  for (const tool of ["ar", "as", "ld", "ld.bfd", "nm", "objcopy", "objdump", "readelf", "strip"])
    symlinkSync(`/usr/bin/${triplet}-${tool}`, join(dir, `${triplet}-${tool}`));
  return join(dir, `${triplet}-`);
}

/** make's environment: the recipe's assignments, and pkg-config pointed at the sysroot as Buildroot's pkgconf wrapper does. */
export function buildEnvironment(sysroot: string, triplet: string, assignments: readonly string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Buildroot's $(TARGET_CONFIGURE_OPTS) names pkg-config; its wrapper points it at the staging sysroot.
    PKG_CONFIG: "pkg-config",
    PKG_CONFIG_SYSROOT_DIR: sysroot,
    PKG_CONFIG_LIBDIR: `${sysroot}/usr/lib/${triplet}/pkgconfig:${sysroot}/usr/share/pkgconfig`,
  };
  for (const assignment of assignments) {
    const [name, ...value] = assignment.split("=");
    env[name!] = value.join("=");
  }
  return env;
}

/** The built criu is an ELF for the board's machine (and hard-float on an eabihf arm board). */
export function checkElf(path: string, board: ResolvedBoard): void {
  const header = Buffer.alloc(64);
  const fd = openSync(path, "r");
  try {
    readSync(fd, header, 0, 64, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString("latin1", 0, 4) !== "\x7fELF") throw new Error(`${path} is not an ELF file`);
  const littleEndian = header[5] === 1;
  const machine = littleEndian ? header.readUInt16LE(18) : header.readUInt16BE(18);
  const expected = board.arch.elfMachine;
  if (machine !== expected)
    throw new Error(`${path} is built for ELF machine ${machine}, not ${board.arch.name} (${expected})`);
  if (board.arm?.floatAbi === "eabihf") {
    const flags = header.readUInt32LE(36);
    if ((flags & EF_ARM_ABI_FLOAT_HARD) === 0)
      throw new Error(`${path} is not built for the hard-float ABI (e_flags 0x${flags.toString(16)})`);
  }
}

/** The cross compiler's first line of `--version`: part of every build's cache key. */
export function compilerVersion(triplet: string): string {
  return runCommand(`${triplet}-gcc`, ["--version"]).split("\n")[0]!;
}
