/**
 * Test kernels: the "minimal CRIU kernel" profile of a board (tinyconfig,
 * the QEMU boot options, the board's CRIU options, extra fragments) built
 * from the cached kernel source. A kernel is cached by the hash of its
 * resolved .config and of the source tarball, outside the repository, in a
 * cache directory (built, then renamed into place with a completion marker).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import { no, parseConfig, writeConfig, yes } from "@br-criu/kconfig";
import { testKernelOptions, type ResolvedBoard } from "@br-criu/model";
import { renderKernelFragment } from "@br-criu/generators";
import { analyzeConfig } from "./analyze";
import {
  adoptUnmarked,
  cacheDirectoryAsync,
  cachePath,
  completedCacheDirectory,
  cachePathIn,
  cacheRoot,
  withLock,
} from "@br-criu/cache";
import { ensureKernelSource, type KernelSource } from "./source";
import { configureKernel, kconfigTreeFor, kernelMake, requestedOptions, type Fragment } from "./verify";
import { createHash } from "node:crypto";

interface TestKernelOptions {
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
function minimalBootFragment(board: ResolvedBoard): Fragment {
  const options = testKernelOptions(board.arch);
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
  const analysis = analyzeConfig(
    requestedOptions(board, fragments),
    parseConfig(configText),
    kconfigTreeFor(sourceDir, board.arch),
    board.arch.kernelArch,
  );
  const lost = [...analysis.dropped, ...analysis.changed].map(
    (f) => `${f.symbol} (${f.requested} -> ${f.resolved}): ${f.explanation}`,
  );
  if (lost.length > 0) throw new Error(`test kernel for ${stack} loses requested options:\n  ${lost.join("\n  ")}`);
}

/**
 * The O= tree of an earlier test kernel of the same stack and source, reused:
 * kbuild rebuilds only what a changed option touches, so a second kernel with
 * one option less (the negative runtime test) takes seconds to minutes, not a
 * full build. The cache key stays the resolved .config.
 */
function reusableBuildTree(options: TestKernelOptions): string {
  const outDir = buildTreeOf(options);
  const sourceRecord = join(outDir, ".br-criu-source");
  if (!existsSync(sourceRecord) || readFileSync(sourceRecord, "utf8") !== options.source.dir)
    rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(sourceRecord, options.source.dir);
  return outDir;
}

function buildTreeOf(options: Pick<TestKernelOptions, "workDir" | "stack">): string {
  return join(options.workDir, `test-kernel-${options.stack}`);
}

/** The cache key: the source tarball, the resolved .config and (it is part of what boots) the device tree's name. */
function testKernelKey(tarballSha256: string, configText: string, dts: string | undefined): string {
  return createHash("sha256")
    .update(tarballSha256)
    .update("\0")
    .update(configText)
    .update(dts ? `\0${dts}` : "")
    .digest("hex");
}

/** Each compiler's first `--version` line, asked once per process. */
const compilerVersions = new Map<string, string>();

/** The compiler the kernel is configured and built with: Kconfig's result depends on its version. */
function compilerIdentity(board: ResolvedBoard): string {
  const gcc = `${process.arch !== board.arch.nodeArch ? board.arch.crossPrefix : ""}gcc`;
  let version = compilerVersions.get(gcc);
  if (version === undefined) {
    version = execFileSync(gcc, ["--version"], { encoding: "utf8" }).split("\n")[0]!;
    compilerVersions.set(gcc, version);
  }
  return version;
}

/** Where the kernel with this cache key is kept. */
function testKernelDir(cache: string, key: string): string {
  return cachePathIn(cache, "testKernels", key.slice(0, 24));
}

/**
 * The record of what these inputs resolved to: the file holds the built
 * kernel's cache key. Configuring alone (olddefconfig, then the check that
 * no requested option was lost) takes about 20 s, and npm test asks for
 * every kernel several times.
 */
function resolutionRecord(options: TestKernelOptions, fragments: readonly Fragment[]): string {
  const inputs = createHash("sha256")
    .update([options.source.tarballSha256, options.board.arch.name, compilerIdentity(options.board)].join("\0"))
    .update(options.board.kernel.dts ?? "");
  for (const fragment of fragments) inputs.update(`\0${fragment.name}\0${fragment.content}`);
  return cachePathIn(options.cache, "testKernelInputs", inputs.digest("hex").slice(0, 24));
}

/** The kernel built earlier from the same inputs, when its cache entry is still complete. */
function earlierKernel(record: string, options: TestKernelOptions): TestKernel | undefined {
  if (!existsSync(record)) return undefined;
  const key = readFileSync(record, "utf8").trim();
  const entry = completedCacheDirectory(testKernelDir(options.cache, key));
  return entry && testKernelIn(entry.dir, key, options.board, { built: false, buildSeconds: 0 });
}

/** The cached device tree blob's name: the .dts's base name (vendor/board -> board.dtb). */
function dtbFileName(dts: string): string {
  return `${dts.split("/").pop()}.dtb`;
}

function testKernelIn(
  cacheDir: string,
  key: string,
  board: ResolvedBoard,
  how: Pick<TestKernel, "built" | "buildSeconds">,
): TestKernel {
  const dts = board.kernel.dts;
  return {
    image: join(cacheDir, board.arch.kernelImageFile),
    config: join(cacheDir, "config"),
    key,
    ...(dts ? { dtb: join(cacheDir, dtbFileName(dts)) } : {}),
    ...how,
  };
}

/** The fragments of the minimal profile: boot options, the board's CRIU fragment, then the extra ones. */
function testKernelFragments(options: TestKernelOptions): Fragment[] {
  return [
    minimalBootFragment(options.board),
    { name: "linux-criu.fragment", content: renderKernelFragment(options.board, options.stack), origin: "model" },
    ...options.extraFragments,
  ];
}

async function configureAndBuild(options: TestKernelOptions, fragments: readonly Fragment[]): Promise<TestKernel> {
  const { board } = options;
  const { arch } = board;
  const outDir = reusableBuildTree(options);
  const cross = { crossCompile: true };
  const configText = await configureKernel(options.source.dir, outDir, arch, "tinyconfig", fragments, cross);

  assertKeepsRequested(options.stack, board, fragments, configText, options.source.dir);

  const dts = board.kernel.dts;
  const key = testKernelKey(options.source.tarballSha256, configText, dts);
  const cacheDir = testKernelDir(options.cache, key);
  const dtbName = dts ? dtbFileName(dts) : undefined;
  // Test kernels cached before they carried a completion marker: whole when their .config is this one.
  adoptUnmarked(
    cacheDir,
    (dir) => existsSync(join(dir, arch.kernelImageFile)) && readFileSync(join(dir, "config"), "utf8") === configText,
    "buildSeconds=0\nadopted: written whole before cache entries carried a marker",
  );
  const started = Date.now();
  const cached = await cacheDirectoryAsync(cacheDir, async (staging) => {
    const targets = [arch.kernelImageFile, ...(dts ? [`${dts}.dtb`] : [])];
    await kernelMake(options.source.dir, outDir, arch, [`-j${availableParallelism()}`, ...targets], cross);
    if (dts && dtbName)
      copyFileSync(join(outDir, "arch", arch.kernelSrcarch, "boot", "dts", `${dts}.dtb`), join(staging, dtbName));
    copyFileSync(join(outDir, arch.kernelBuildImage), join(staging, arch.kernelImageFile));
    writeFileSync(join(staging, "config"), configText);
    return `buildSeconds=${((Date.now() - started) / 1000).toFixed(1)}`;
  });
  return testKernelIn(cacheDir, key, board, {
    built: cached.filled,
    buildSeconds: cached.filled ? (Date.now() - started) / 1000 : 0,
  });
}

/**
 * A stack's test kernel as `boot-test` builds it: from the cached kernel
 * source, in the stack's build tree under the cache (it stays there, so an
 * option changed later rebuilds little), cached by its resolved .config.
 * Calls for one stack share the build tree: they take turns under its lock,
 * across processes (the background builder of `npm test` and boot-test).
 */
export async function stackTestKernel(
  stack: string,
  board: ResolvedBoard,
  extraFragments: readonly Fragment[] = [],
): Promise<TestKernel> {
  const source = await ensureKernelSource();
  const options = { stack, board, extraFragments, source, cache: cacheRoot(), workDir: cachePath("testKernelTrees") };
  const fragments = testKernelFragments(options);
  const record = resolutionRecord(options, fragments);
  const resolveOrBuild = async () => {
    const kernel = earlierKernel(record, options) ?? (await configureAndBuild(options, fragments));
    mkdirSync(dirname(record), { recursive: true });
    writeFileSync(record, `${kernel.key}\n`);
    return kernel;
  };
  // A kernel built before from the same inputs needs neither the tree nor its lock.
  return (
    earlierKernel(record, options) ??
    withLock(buildTreeOf(options), resolveOrBuild, {
      onWait: (lock, owner) =>
        process.stderr.write(
          `${stack}: waiting for process ${owner}, which builds in this test kernel tree (${lock})\n`,
        ),
    })
  );
}
