/**
 * The BR2_EXTERNAL tree, checked without Buildroot: the package's Kconfig
 * agrees with the model's CRIU rules, symbol names match, hash files cover
 * what the defconfigs download, and the board scripts work.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  allOf,
  referencedSymbols,
  evaluate,
  parseConfig,
  readKconfigTree,
  yes,
  type KconfigTree,
  type SymbolLookup,
} from "@br-criu/kconfig";
import {
  ARM_ISA_BUILDROOT_SYMBOL,
  CRIU_SUB_OPTIONS,
  criuRequiredOptions,
  resolveBoard,
  type ResolvedBoard,
} from "@br-criu/model";
import {
  CRIU_PACKAGE_NAME,
  CRIU_PACKAGE_SYMBOL,
  EXTERNAL_NAME,
  buildrootDefconfigEntries,
  qemuInvocation,
} from "@br-criu/generators";
import { listStacks, loadProject, loadStack, resolveStack } from "@br-criu/stacks";
import { atLeast } from "@br-criu/model";
import { REPO_ROOT } from "../support/project";
import { scratchDir } from "../support/scratch";

const EXTERNAL = join(REPO_ROOT, "packages/br2-external");
const read = (path: string) => readFileSync(join(EXTERNAL, path), "utf8");
const project = loadProject(REPO_ROOT);
const boards = listStacks(project).map((name) => resolveStack(loadStack(project, name)));

const tree: KconfigTree = readKconfigTree({
  readFile: (path) => (existsSync(join(EXTERNAL, path)) ? readFileSync(join(EXTERNAL, path), "utf8") : undefined),
  variables: { [`BR2_EXTERNAL_${EXTERNAL_NAME}_PATH`]: "." },
  root: "Config.in",
});

/** Whether Buildroot would offer the CRIU package with these symbols on. */
function packageSelectable(on: ReadonlySet<string>): boolean {
  const base: SymbolLookup = (name) => (on.has(name) ? yes : undefined);
  const archSupports = tree.symbols.get(`${CRIU_PACKAGE_SYMBOL}_ARCH_SUPPORTS`)!.definitions[0]!;
  const defaultsOn = archSupports.defaults.some((d) => !d.condition || evaluate(d.condition, base) > 0);
  const depsOn = evaluate(allOf(archSupports.dependsOn)!, base) > 0;
  const lookup: SymbolLookup = (name) =>
    name === `${CRIU_PACKAGE_SYMBOL}_ARCH_SUPPORTS` ? (defaultsOn && depsOn ? yes : undefined) : base(name);
  return evaluate(allOf(tree.symbols.get(CRIU_PACKAGE_SYMBOL)!.definitions[0]!.dependsOn)!, lookup) > 0;
}

/** The symbols Buildroot would have on for a board the model accepted: its defconfig plus what Buildroot derives. */
function buildrootSymbols(board: ResolvedBoard): Set<string> {
  const on = new Set(
    buildrootDefconfigEntries(board)
      .filter((e) => e.value.kind === "tristate" && e.value.value === "y")
      .map((e) => e.symbol),
  );
  if (board.cpu.mmu) on.add("BR2_USE_MMU");
  if (board.cpu.armIsa) on.add(ARM_ISA_BUILDROOT_SYMBOL[board.cpu.armIsa]);
  // protobuf supports every architecture br-criu offers.
  on.add("BR2_PACKAGE_PROTOBUF_ARCH_SUPPORTS")
    .add("BR2_PACKAGE_HOST_PROTOBUF_ARCH_SUPPORTS")
    .add("BR2_HOST_GCC_AT_LEAST_7");
  const t = board.toolchain;
  on.add(t.libc === "glibc" ? "BR2_TOOLCHAIN_USES_GLIBC" : "BR2_TOOLCHAIN_USES_MUSL")
    .add("BR2_TOOLCHAIN_HAS_THREADS")
    .add("BR2_USE_WCHAR");
  if (board.config.cxx) on.add("BR2_INSTALL_LIBSTDCPP");
  if (atLeast(t.gccVersion, "8")) on.add("BR2_TOOLCHAIN_GCC_AT_LEAST_8");
  if (atLeast(t.headersVersion, "4.18")) on.add("BR2_TOOLCHAIN_HEADERS_AT_LEAST_4_18");
  return on;
}

test("the package is selectable for every stack and every board the model accepts", () => {
  for (const board of boards) assert.ok(packageSelectable(buildrootSymbols(board)), board.config.board);
  const base = { board: "b", description: "d" };
  for (const config of [
    { arch: "arm", cpu: "cortex-a7", fpu: "vfpv4", kernelDts: "arm/x" },
    { arch: "arm", cpu: "cortex-a53", fpu: "vfpv4", kernelDts: "arm/x" },
    { arch: "arm", cpu: "arm1176jzf-s", fpu: "vfpv2", kernelDts: "arm/x", toolchain: "buildroot" },
    { arch: "aarch64", cpu: "cortex-a72" },
    { arch: "x86_64", toolchain: "buildroot", libc: "musl", gccVersion: "13" },
  ]) {
    const result = resolveBoard({ ...base, ...config });
    assert.ok(result.ok, JSON.stringify(config));
    assert.ok(packageSelectable(buildrootSymbols(result.board)), JSON.stringify(config));
  }
});

test("the package is refused where the model refuses", () => {
  const x86 = buildrootSymbols(boards.find((b) => b.arch.name === "x86_64")!);
  const without = (...symbols: string[]) => new Set([...x86].filter((s) => !symbols.includes(s)));
  const cases: Record<string, Set<string>> = {
    mips: new Set([...without("BR2_x86_64"), "BR2_mips"]),
    s390x: new Set([...without("BR2_x86_64"), "BR2_s390x"]),
    i386: new Set([...without("BR2_x86_64"), "BR2_i386"]),
    aarch64_be: new Set([...without("BR2_x86_64"), "BR2_aarch64_be"]),
    armeb: new Set([...without("BR2_x86_64"), "BR2_armeb", "BR2_ARM_CPU_ARMV7A"]),
    "arm without a CRIU ISA (ARMv5)": new Set([...without("BR2_x86_64"), "BR2_arm", "BR2_ARM_CPU_ARMV5"]),
    "cortex-m4 (no MMU)": new Set([...without("BR2_x86_64", "BR2_USE_MMU"), "BR2_arm", "BR2_ARM_CPU_ARMV7M"]),
    riscv32: new Set([...without("BR2_x86_64"), "BR2_riscv", "BR2_RISCV_32"]),
    uclibc: new Set([...without("BR2_TOOLCHAIN_USES_GLIBC"), "BR2_TOOLCHAIN_USES_UCLIBC"]),
    "no C++": without("BR2_INSTALL_LIBSTDCPP"),
    "gcc 7": without("BR2_TOOLCHAIN_GCC_AT_LEAST_8"),
    "headers 4.14": without("BR2_TOOLCHAIN_HEADERS_AT_LEAST_4_18"),
    "static libs": new Set([...x86, "BR2_STATIC_LIBS"]),
    "no threads": without("BR2_TOOLCHAIN_HAS_THREADS"),
  };
  for (const [name, symbols] of Object.entries(cases)) assert.equal(packageSelectable(symbols), false, name);
  // The same refusals from the model's side.
  for (const config of [
    { arch: "mips" },
    { arch: "s390x" },
    { arch: "i386" },
    { arch: "aarch64_be" },
    { arch: "armeb" },
    { arch: "x86_64", toolchain: "buildroot", libc: "uclibc" },
    { arch: "x86_64", cxx: false },
    { arch: "x86_64", toolchain: "buildroot", gccVersion: "7" },
  ]) {
    assert.equal(resolveBoard({ board: "b", description: "d", ...config }).ok, false, JSON.stringify(config));
  }
});

test("every package symbol a defconfig sets is defined by the package's Config.in", () => {
  for (const board of boards) {
    for (const { symbol } of buildrootDefconfigEntries(board).filter((e) => e.symbol.startsWith(CRIU_PACKAGE_SYMBOL))) {
      assert.ok(tree.symbols.get(symbol)?.definitions.length, `${board.config.board}: ${symbol}`);
    }
  }
  assert.match(read("external.desc"), new RegExp(`^name: ${EXTERNAL_NAME}$`, "m"));
  assert.match(read("external.mk"), /\$\(BR2_EXTERNAL_BR_CRIU_PATH\)\/package\/\*\/\*\.mk/);
});

test("the .mk enables every required kernel option and names CRIU's archive and site", () => {
  const mk = read(`package/${CRIU_PACKAGE_NAME}/${CRIU_PACKAGE_NAME}.mk`);
  const fixups = [...mk.matchAll(/^\t\$\(call KCONFIG_ENABLE_OPT,CONFIG_([A-Z0-9_]+)\)$/gm)].map((m) => m[1]);
  assert.deepEqual(fixups.sort(), criuRequiredOptions.map((o) => o.symbol).sort());
  // Options only an architecture needs apply under its Buildroot symbol.
  assert.match(mk, /^\t\$\(if \$\(BR2_arm\),\$\(call KCONFIG_ENABLE_OPT,CONFIG_COMPAT_32BIT_TIME\)\)$/m);
  assert.match(mk, /^CHECKPOINT_RESTORE_VERSION = 4\.2\.1$/m);
  assert.match(mk, /^CHECKPOINT_RESTORE_SOURCE = criu_\$\(CHECKPOINT_RESTORE_VERSION\)\.orig\.tar\.xz$/m);
  assert.match(
    mk,
    /^CHECKPOINT_RESTORE_SITE = https:\/\/snapshot\.debian\.org\/archive\/debian\/\d{8}T\d{6}Z\/pool\/main\/c\/criu$/m,
  );
  assert.doesNotMatch(mk, /_SITE_METHOD/);
  assert.match(mk, /install-criu install-lib install-compel/);
  assert.doesNotMatch(mk, /libaio/, "libaio is only for CRIU's test suite");
});

test("each sub-option's target packages are enabled by its Config.in entry and added by its .mk block", () => {
  const mk = read(`package/${CRIU_PACKAGE_NAME}/${CRIU_PACKAGE_NAME}.mk`);
  for (const option of CRIU_SUB_OPTIONS) {
    const symbol = `${CRIU_PACKAGE_SYMBOL}_${option.suffix}`;
    const [entry] = tree.symbols.get(symbol)!.definitions;
    const guaranteed = [...entry!.selects.map((s) => s.symbol), ...entry!.dependsOn.flatMap(referencedSymbols)];
    // Buildroot builds a target package in _DEPENDENCIES only if its symbol is on.
    for (const name of option.packages.filter((p) => !p.startsWith("host-"))) {
      const packageSymbol = `BR2_PACKAGE_${name.toUpperCase().replace(/-/g, "_")}`;
      assert.ok(guaranteed.includes(packageSymbol), `${symbol} neither selects nor depends on ${packageSymbol}`);
    }
    const block = new RegExp(`^ifeq \\(\\$\\(${symbol}\\),y\\)\nCHECKPOINT_RESTORE_DEPENDENCIES \\+= (.+)$`, "m").exec(
      mk,
    );
    assert.equal(block?.[1], option.packages.join(" "), `${symbol}'s block in the .mk`);
  }
});

function hashes(path: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of read(path).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^sha256 {2}([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    assert.ok(match, `${path}: malformed line ${JSON.stringify(line)}`);
    entries.set(match[2]!, match[1]!);
  }
  return entries;
}

test("hash files: CRIU archive and licence files, and every stack's kernel release", () => {
  const criu = hashes(`package/${CRIU_PACKAGE_NAME}/${CRIU_PACKAGE_NAME}.hash`);
  assert.deepEqual([...criu.keys()].sort(), ["COPYING", "criu_4.2.1.orig.tar.xz", "images/LICENSE"]);
  assert.match(read(`package/${CRIU_PACKAGE_NAME}/${CRIU_PACKAGE_NAME}.hash`), /^# Locally calculated/m);
  for (const pkg of ["linux", "linux-headers"]) {
    const kernel = hashes(`patches/${pkg}/${pkg}.hash`);
    for (const board of boards)
      assert.ok(
        kernel.has(`linux-${board.kernel.version}.tar.xz`),
        `${pkg}: no hash for ${board.kernel.version} (${board.config.board})`,
      );
  }
});

test("post-image.sh installs the board's start-qemu.sh, and refuses an unknown board", () => {
  const images = scratchDir("images");
  const env = { ...process.env, BINARIES_DIR: images, BR2_EXTERNAL_BR_CRIU_PATH: EXTERNAL };
  execFileSync(join(EXTERNAL, "board/common/post-image.sh"), [images, "qemu-aarch64"], { env });
  assert.equal(readFileSync(join(images, "start-qemu.sh"), "utf8"), read("board/qemu-aarch64/start-qemu.sh"));
  assert.equal(statSync(join(images, "start-qemu.sh")).mode & 0o111, 0o111);
  const bad = spawnSync(join(EXTERNAL, "board/common/post-image.sh"), [images, "qemu-vax"], { env, encoding: "utf8" });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no .*board\/qemu-vax\/start-qemu\.sh/);
});

test("start-qemu.sh runs QEMU from the images directory with the board's arguments", () => {
  const board = boards.find((b) => b.arch.name === "aarch64")!;
  const { binary, args } = qemuInvocation(board);
  const bin = scratchDir("qemu");
  // A stand-in QEMU that records its working directory and arguments.
  writeFileSync(join(bin, binary), '#!/bin/sh\npwd > "$RECORD"\nfor a in "$@"; do echo "$a" >> "$RECORD"; done\n');
  chmodSync(join(bin, binary), 0o755);
  const images = scratchDir("images");
  mkdirSync(join(images, "sub"));
  execFileSync(join(EXTERNAL, "board/common/post-image.sh"), [images, board.config.board], {
    env: { ...process.env, BINARIES_DIR: images, BR2_EXTERNAL_BR_CRIU_PATH: EXTERNAL },
  });
  const record = join(bin, "record");
  execFileSync(join(images, "start-qemu.sh"), ["-snapshot"], {
    cwd: join(images, "sub"),
    env: { ...process.env, PATH: `${bin}:${process.env["PATH"]}`, RECORD: record },
  });
  const [cwd, ...passed] = readFileSync(record, "utf8").trimEnd().split("\n");
  assert.equal(cwd, images);
  assert.deepEqual(passed, [...args, "-snapshot"]);
  assert.ok(args.includes("-kernel") && args[args.indexOf("-kernel") + 1] === "Image");
  assert.equal(
    parseConfig(read("configs/qemu_aarch64_criu_defconfig")).get("BR2_ROOTFS_POST_SCRIPT_ARGS")?.value,
    "qemu-aarch64",
  );
});
