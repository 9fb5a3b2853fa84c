/**
 * Test kernels: the "minimal CRIU kernel" profile of a board (tinyconfig,
 * the QEMU boot options, the board's CRIU options, extra fragments) built
 * from the cached kernel source. A kernel is cached by the hash of its
 * resolved .config and of the source tarball, outside the repository.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { no, parseConfig, writeConfig, yes } from "@br-criu/kconfig";
import { minimalBootOptions, type ResolvedBoard } from "@br-criu/model";
import { renderKernelFragment } from "@br-criu/generators";
import { analyzeConfig } from "./analyze";
import type { KernelSource } from "./source";
import { configureKernel, kconfigTreeFor, kernelMake, requestedOptions, type Fragment } from "./verify";
import { createHash } from "node:crypto";

/** Where the kernel build leaves the bootable image, per kernel ARCH. */
const BOOT_IMAGE: Readonly<Record<string, { target: string; path: string }>> = {
  x86_64: { target: "bzImage", path: "arch/x86/boot/bzImage" },
  arm64: { target: "Image", path: "arch/arm64/boot/Image" },
  arm: { target: "zImage", path: "arch/arm/boot/zImage" },
  // pseries firmware (QEMU's VOF or SLOF) loads the ELF kernel itself.
  powerpc: { target: "vmlinux", path: "vmlinux" },
  riscv: { target: "Image", path: "arch/riscv/boot/Image" },
};

export interface TestKernelOptions {
  readonly stack: string;
  readonly board: ResolvedBoard;
  /** Fragments after the board's CRIU fragment (test-only options, removals). */
  readonly extraFragments: readonly Fragment[];
  readonly source: Pick<KernelSource, "dir" | "tarballSha256" | "version">;
  /** Cache root; kernels go to <cache>/test-kernels/<hash>/. */
  readonly cache: string;
  /** Scratch directory for the O= build tree. */
  readonly workDir: string;
}

export interface TestKernel {
  readonly image: string;
  /** The board's device tree blob, built from the same tree (boards whose QEMU machine takes -dtb). */
  readonly dtb?: string;
  readonly config: string;
  /** sha256 of source tarball and resolved .config: the cache key. */
  readonly key: string;
  /** False when the cache already had it. */
  readonly built: boolean;
  readonly buildSeconds: number;
}

/** The fragment with the boot options of the minimal profile. */
export function minimalBootFragment(board: ResolvedBoard): Fragment {
  const options = minimalBootOptions[board.arch.name];
  if (!options)
    throw new Error(
      `no minimal kernel profile for ${board.arch.name} yet (packages/model kernel-options.ts minimalBootOptions)`,
    );
  const entries = new Map(options.map((o) => [`CONFIG_${o.symbol}`, o.value === "y" ? yes : no]));
  return {
    name: "minimal-boot.config",
    content: writeConfig(entries, { header: ["minimal CRIU kernel: what booting under QEMU needs"] }),
    origin: "fragment",
  };
}

/** Every requested option must be in the kernel the test boots: a lost one fails, with its unmet dependency. */
function assertKeepsRequested(
  stack: string,
  board: ResolvedBoard,
  fragments: readonly Fragment[],
  configText: string,
  sourceDir: string,
): void {
  const karch = board.arch.kernelArch;
  const analysis = analyzeConfig(
    requestedOptions(board, fragments),
    parseConfig(configText),
    kconfigTreeFor(sourceDir, karch),
    karch,
  );
  const lost = [...analysis.dropped, ...analysis.changed].map(
    (f) => `${f.symbol} (${f.requested} -> ${f.resolved}): ${f.explanation}`,
  );
  if (lost.length > 0) throw new Error(`test kernel for ${stack} loses requested options:\n  ${lost.join("\n  ")}`);
}

export async function buildTestKernel(options: TestKernelOptions): Promise<TestKernel> {
  const { board } = options;
  const karch = board.arch.kernelArch;
  const image = BOOT_IMAGE[karch];
  if (!image) throw new Error(`test kernels are not supported for ARCH=${karch}`);
  const fragments: Fragment[] = [
    minimalBootFragment(board),
    { name: "linux-criu.fragment", content: renderKernelFragment(board, options.stack), origin: "model" },
    ...options.extraFragments,
  ];
  // The O= tree of an earlier test kernel of the same stack and source is
  // reused: kbuild rebuilds only what a changed option touches, so a second
  // kernel with one option less (the negative runtime test) takes minutes, not
  // a full build. The cache key stays the resolved .config.
  const outDir = join(options.workDir, `test-kernel-${options.stack}`);
  const sourceRecord = join(outDir, ".br-criu-source");
  if (!existsSync(sourceRecord) || readFileSync(sourceRecord, "utf8") !== options.source.dir)
    rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(sourceRecord, options.source.dir);
  const cross = { crossCompile: true };
  const configText = await configureKernel(options.source.dir, outDir, karch, "tinyconfig", fragments, cross);

  assertKeepsRequested(options.stack, board, fragments, configText, options.source.dir);

  // The device tree is part of what boots: its source name joins the cache key.
  const dts = board.kernel.dts;
  const key = createHash("sha256")
    .update(options.source.tarballSha256)
    .update("\0")
    .update(configText)
    .update(dts ? `\0${dts}` : "")
    .digest("hex");
  const cacheDir = join(options.cache, "test-kernels", key.slice(0, 24));
  const cachedImage = join(cacheDir, image.target);
  const dtbName = dts ? `${dts.split("/").pop()}.dtb` : undefined;
  const result = {
    image: cachedImage,
    config: join(cacheDir, "config"),
    key,
    ...(dtbName ? { dtb: join(cacheDir, dtbName) } : {}),
  };
  if (existsSync(cachedImage)) return { ...result, built: false, buildSeconds: 0 };

  const started = Date.now();
  const targets = [image.target, ...(dts ? [`${dts}.dtb`] : [])];
  await kernelMake(options.source.dir, outDir, karch, [`-j${availableParallelism()}`, ...targets], cross);
  const staging = `${cacheDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  if (dts && dtbName) copyFileSync(join(outDir, "arch", karch, "boot", "dts", `${dts}.dtb`), join(staging, dtbName));
  copyFileSync(join(outDir, image.path), join(staging, image.target));
  writeFileSync(join(staging, "config"), configText);
  rmSync(cacheDir, { recursive: true, force: true });
  renameSync(staging, cacheDir);
  return { ...result, built: true, buildSeconds: (Date.now() - started) / 1000 };
}
