/** resolveBoard: a stack's configuration against the CRIU rules, per architecture, toolchain, kernel and feature. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { criuRequiredOptions, resolveBoard, type ConfigProblem, type ResolvedBoard } from "@br-criu/model";
import { MINIMAL_X86 } from "../support/project";

function resolved(config: Record<string, unknown>): ResolvedBoard {
  const result = resolveBoard(config);
  if (!result.ok) assert.fail(`expected a valid board, got: ${JSON.stringify(result.problems)}`);
  return result.board;
}

function problems(config: Record<string, unknown>): readonly ConfigProblem[] {
  const result = resolveBoard(config);
  if (result.ok) assert.fail("expected the board to be refused");
  return result.problems;
}

const arm = { ...MINIMAL_X86, arch: "arm", cpu: "cortex-a9", fpu: "vfpv3-d16", kernelDts: "arm/vexpress-v2p-ca9" };

test("CRIU make variables per architecture", () => {
  assert.deepEqual(resolved(MINIMAL_X86).criu.makeVars, { ARCH: "x86" });
  assert.deepEqual(resolved({ ...MINIMAL_X86, arch: "aarch64" }).criu.makeVars, { ARCH: "aarch64" });
  assert.deepEqual(resolved({ ...MINIMAL_X86, arch: "powerpc64le" }).criu.makeVars, { ARCH: "ppc64" });
  // CRIU calls it riscv64, not Buildroot's normalized "riscv".
  assert.deepEqual(resolved({ ...MINIMAL_X86, arch: "riscv64", experimental: true }).criu.makeVars, {
    ARCH: "riscv64",
  });
  assert.deepEqual(resolved(arm).criu.makeVars, { ARCH: "arm", SUBARCH: "armv7" });
  assert.deepEqual(resolved({ ...arm, cpu: "cortex-a53" }).criu.makeVars, { ARCH: "arm", SUBARCH: "armv8" });
  assert.deepEqual(resolved({ ...arm, cpu: "arm1176jzf-s", fpu: "vfpv2", toolchain: "buildroot" }).criu.makeVars, {
    ARCH: "arm",
    SUBARCH: "armv6",
  });
});

test("kernel arch names", () => {
  const karch = (arch: string) =>
    resolved({ ...MINIMAL_X86, arch, experimental: true, ...(arch === "arm" ? arm : {}) }).arch.kernelArch;
  assert.deepEqual(["x86_64", "aarch64", "arm", "powerpc64le", "riscv64"].map(karch), [
    "x86_64",
    "arm64",
    "arm",
    "powerpc",
    "riscv",
  ]);
});

test("refused architectures say why", () => {
  for (const [arch, reason] of [
    ["mips", /MIPS/],
    ["s390x", /big-endian/],
    ["i386", /no 32-bit x86/],
    ["aarch64_be", /little-endian only/],
    ["powerpc64", /little-endian only/],
  ] as const) {
    const [problem] = problems({ ...MINIMAL_X86, arch });
    assert.equal(problem!.key, "arch");
    assert.match(problem!.message, reason);
    assert.match(problem!.fix, /x86_64/);
  }
  assert.match(problems({ ...MINIMAL_X86, arch: "sparc" })[0]!.message, /unknown architecture "sparc"/);
});

test("riscv64 must be acknowledged as experimental", () => {
  const [problem] = problems({ ...MINIMAL_X86, arch: "riscv64" });
  assert.equal(problem!.key, "experimental");
  assert.match(problem!.message, /only cross-compiles/);
});

test("arm: MMU-less cores, FPU and Bootlin fit", () => {
  assert.match(
    problems({ ...arm, cpu: "cortex-m4" })
      .map((p) => p.message)
      .join("\n"),
    /no MMU/,
  );
  assert.equal(problems({ ...arm, fpu: undefined })[0]!.key, "fpu");
  const armv6 = problems({ ...arm, cpu: "arm1176jzf-s", fpu: "vfpv2" });
  assert.deepEqual(
    armv6.map((p) => p.key),
    ["toolchain"],
  );
  assert.equal(problems({ ...arm, kernelDts: undefined })[0]!.key, "kernelDts");
  assert.deepEqual(
    problems({ ...MINIMAL_X86, fpu: "vfpv3", neon: true }).map((p) => p.key),
    ["fpu", "neon"],
  );
});

test("toolchain rules: glibc or musl, C++, gcc >= 8, Bootlin is glibc gcc 14", () => {
  const uclibc = problems({ ...MINIMAL_X86, toolchain: "buildroot", libc: "uclibc" });
  assert.equal(uclibc[0]!.key, "libc");
  assert.match(uclibc[0]!.message, /aio\.h/);
  assert.match(problems({ ...MINIMAL_X86, cxx: false })[0]!.message, /C\+\+/);
  assert.match(problems({ ...MINIMAL_X86, toolchain: "buildroot", gccVersion: "7" })[0]!.message, /older than 8/);
  assert.match(problems({ ...MINIMAL_X86, libc: "musl" })[0]!.message, /Bootlin's glibc/);
  assert.equal(problems({ ...MINIMAL_X86, gccVersion: "13" })[0]!.key, "gccVersion");
  const musl = resolved({ ...MINIMAL_X86, toolchain: "buildroot", libc: "musl", gccVersion: "13" });
  assert.deepEqual(musl.toolchain, {
    kind: "buildroot",
    libc: "musl",
    gccVersion: "13",
    headersVersion: "6.12",
    registersRseq: false,
  });
});

test("kernel gate: glibc needs Linux 5.13 for PTRACE_GET_RSEQ_CONFIGURATION", () => {
  const [problem] = problems({ ...MINIMAL_X86, kernelVersion: "5.12.19" });
  assert.equal(problem!.key, "kernelVersion");
  assert.match(problem!.message, /PTRACE_GET_RSEQ_CONFIGURATION \(Linux 5\.13\)/);
  assert.match(problem!.fix, /GLIBC_TUNABLES=glibc\.pthread\.rseq=0/);
  assert.equal(
    resolved({
      ...MINIMAL_X86,
      kernelVersion: "5.13",
      kernelSha256: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    }).kernel.version,
    "5.13",
  );
  // musl registers no rseq area, so an older kernel is fine for CRIU's rseq needs.
  assert.equal(
    resolved({
      ...MINIMAL_X86,
      toolchain: "buildroot",
      libc: "musl",
      kernelVersion: "5.10.200",
      kernelSha256: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    }).kernel.version,
    "5.10.200",
  );
});

/**
 * The option list from the CRIU-in-Buildroot write-up users already know.
 * It must be a subset of `criuRequiredOptions`; on its own it is not enough
 * for a lean kernel (the kernel tier's negative fixture shows what drops).
 */
const WRITEUP_OPTION_LIST: readonly string[] = [
  "CHECKPOINT_RESTORE",
  "NAMESPACES",
  "UTS_NS",
  "IPC_NS",
  "SYSVIPC_SYSCTL",
  "PID_NS",
  "NET_NS",
  "FHANDLE",
  "EVENTFD",
  "EPOLL",
  "RSEQ",
  "UNIX_DIAG",
  "INET_DIAG",
  "INET_UDP_DIAG",
  "PACKET_DIAG",
  "NETLINK_DIAG",
  "NETFILTER_XT_MARK",
  "TUN",
];

test("the required set contains the write-up's list and every option has a reason", () => {
  const required = new Set(criuRequiredOptions.map((o) => o.symbol));
  for (const symbol of WRITEUP_OPTION_LIST)
    assert.ok(required.has(symbol), `${symbol} missing from criuRequiredOptions`);
  for (const option of criuRequiredOptions) assert.ok(option.reason.length > 10, option.symbol);
  assert.equal(required.size, criuRequiredOptions.length, "duplicate required option");
});

test("features: impossible ones are errors in strict mode, warnings in best-effort mode", () => {
  const strict = problems({ ...MINIMAL_X86, arch: "aarch64", criuFeatures: ["aio", "pre-dump"] });
  assert.equal(strict[0]!.key, "criuFeatures[1]");
  assert.match(strict[0]!.message, /"pre-dump" is impossible on aarch64.*HAVE_ARCH_SOFT_DIRTY/);
  assert.match(strict[0]!.fix, /best-effort/);
  const lenient = resolved({
    ...MINIMAL_X86,
    arch: "aarch64",
    criuFeatures: ["aio", "pre-dump"],
    criuFeatureMode: "best-effort",
  });
  assert.match(lenient.warnings.join("\n"), /pre-dump.*left out/);
  assert.ok(!lenient.kernelOptions.some((o) => o.symbol === "MEM_SOFT_DIRTY"));
  assert.match(problems({ ...arm, criuFeatures: ["time-ns"] })[0]!.message, /GENERIC_VDSO_TIME_NS/);
  assert.match(problems({ ...arm, criuFeatures: ["hugetlbfs"] })[0]!.message, /LPAE/);
  const lpae = resolved({ ...arm, cpu: "cortex-a15", fpu: "vfpv4", criuFeatures: ["hugetlbfs"] });
  assert.deepEqual(lpae.kernelOptions.find((o) => o.symbol === "ARM_LPAE")?.level, "arch");
});

test("arm seccomp needs AEABI on and OABI_COMPAT off", () => {
  const options = resolved({ ...arm, criuFeatures: ["seccomp"] }).kernelOptions;
  assert.equal(options.find((o) => o.symbol === "AEABI")?.value, "y");
  assert.equal(options.find((o) => o.symbol === "OABI_COMPAT")?.value, "n");
});

test("unknown and duplicate features, nftables without its kernel feature", () => {
  assert.match(
    problems({ ...MINIMAL_X86, criuFeatures: ["teleport"] })[0]!.message,
    /unknown CRIU feature "teleport"; known features: pre-dump/,
  );
  assert.equal(problems({ ...MINIMAL_X86, criuFeatures: ["aio", "aio"] })[0]!.key, "criuFeatures[1]");
  assert.equal(problems({ ...MINIMAL_X86, criuFeatures: ["aio"], criuNftables: true })[0]!.key, "criuNftables");
});

test("schema errors: unknown keys list the allowed ones, wrong types say what was expected", () => {
  const [unknown] = problems({ ...MINIMAL_X86, kernelVersoin: "6.1" });
  assert.equal(unknown!.key, "kernelVersoin");
  assert.match(unknown!.fix, /allowed keys: arch, board, bootTest, buildBaseImage, buildDebianArchive, /);
  const [wrongType] = problems({ ...MINIMAL_X86, rootfsPackages: "htop" });
  assert.equal(wrongType!.key, "rootfsPackages");
  assert.match(wrongType!.message, /expected array, got string "htop"/);
  assert.equal(problems({ description: "d", arch: "x86_64" })[0]!.key, "board");
  assert.match(problems({ ...MINIMAL_X86, kernelVersion: "latest" })[0]!.message, /kernel\.org version/);
});

test("kernel options are sorted, unique, and empty when CRIU is disabled", () => {
  const board = resolved(MINIMAL_X86);
  const symbols = board.kernelOptions.map((o) => o.symbol);
  assert.deepEqual(symbols, [...symbols].sort());
  assert.equal(new Set(symbols).size, symbols.length);
  assert.deepEqual(resolved({ ...MINIMAL_X86, criuEnabled: false }).kernelOptions, []);
});
