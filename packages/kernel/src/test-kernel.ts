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
import { kconfigTreeFor, kernelMake, mergeFragments, requestedOptions, type Fragment } from "./verify";
import { createHash } from "node:crypto";

/** Where the kernel build leaves the bootable image, per kernel ARCH. */
const BOOT_IMAGE: Readonly<Record<string, { target: string; path: string }>> = {
  x86_64: { target: "bzImage", path: "arch/x86/boot/bzImage" },
  arm64: { target: "Image", path: "arch/arm64/boot/Image" },
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
  if (!options) throw new Error(`no minimal kernel profile for ${board.arch.name} yet (packages/model kernel-options.ts minimalBootOptions)`);
  const entries = new Map(options.map((o) => [`CONFIG_${o.symbol}`, o.value === "y" ? yes : no]));
  return { name: "minimal-boot.config", content: writeConfig(entries, { header: ["minimal CRIU kernel: what booting under QEMU needs"] }), origin: "fragment" };
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
  const outDir = join(options.workDir, `test-kernel-${options.stack}`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const cross = { crossCompile: true };
  await kernelMake(options.source.dir, outDir, karch, ["tinyconfig"], cross);
  const files = fragments.map((fragment, index) => {
    const file = join(outDir, `fragment-${index}.config`);
    writeFileSync(file, fragment.content);
    return file;
  });
  await mergeFragments(options.source.dir, outDir, files);
  await kernelMake(options.source.dir, outDir, karch, ["olddefconfig"], cross);
  const configText = readFileSync(join(outDir, ".config"), "utf8");

  // Every requested option must be in the kernel the test boots.
  const analysis = analyzeConfig(requestedOptions(board, fragments), parseConfig(configText), kconfigTreeFor(options.source.dir, karch), karch);
  const lost = [...analysis.dropped, ...analysis.changed].map((f) => `${f.symbol} (${f.requested} -> ${f.resolved}): ${f.explanation}`);
  if (lost.length > 0) throw new Error(`test kernel for ${options.stack} loses requested options:\n  ${lost.join("\n  ")}`);

  const key = createHash("sha256").update(options.source.tarballSha256).update("\0").update(configText).digest("hex");
  const cacheDir = join(options.cache, "test-kernels", key.slice(0, 24));
  const cachedImage = join(cacheDir, image.target);
  if (existsSync(cachedImage)) return { image: cachedImage, config: join(cacheDir, "config"), key, built: false, buildSeconds: 0 };

  const started = Date.now();
  await kernelMake(options.source.dir, outDir, karch, [`-j${availableParallelism()}`, image.target], cross);
  const staging = `${cacheDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  copyFileSync(join(outDir, image.path), join(staging, image.target));
  writeFileSync(join(staging, "config"), configText);
  rmSync(cacheDir, { recursive: true, force: true });
  renameSync(staging, cacheDir);
  return { image: cachedImage, config: join(cacheDir, "config"), key, built: true, buildSeconds: (Date.now() - started) / 1000 };
}


