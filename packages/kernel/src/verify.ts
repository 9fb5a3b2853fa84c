/**
 * Kernel configuration verification with the kernel's own tooling:
 * `make <base>`, `merge_config.sh -m` with the stack's fragments, `make
 * olddefconfig`, then requested-vs-resolved with the Kconfig tree. Runs in an
 * O= directory, so the source tree stays clean. No cross compiler is needed to
 * configure a kernel.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  parseConfig,
  readKconfigTree,
  writeConfig,
  no,
  yes,
  type KconfigTree,
  type KconfigValue,
} from "@br-criu/kconfig";
import { ARCHES, criuFeatures, type ArchInfo, type ResolvedBoard } from "@br-criu/model";
import { outputTail } from "@br-criu/cache";
import { analyzeConfig, explainSymbol, type ConfigAnalysis, type OptionFinding, type RequestedOption } from "./analyze";

const run = promisify(execFile);

export interface Fragment {
  /** Name for messages and for the file written into the O= directory. */
  readonly name: string;
  readonly content: string;
  /** Origin of options that the model did not generate. */
  readonly origin: "model" | "fragment";
}

export interface ImpossibleFeatureCheck {
  readonly feature: string;
  readonly reason: string;
  /** Each option of the feature, and whether Kconfig kept it when asked (it must not). */
  readonly options: readonly {
    readonly symbol: string;
    readonly keptWhenForced: boolean;
    readonly explanation: string;
  }[];
}

export interface KernelVerification extends ConfigAnalysis {
  readonly stack: string;
  readonly karch: string;
  readonly baseConfig: string;
  readonly sourceVersion: string;
  readonly stackKernelVersion: string;
  readonly impossible: readonly ImpossibleFeatureCheck[];
  /** Readable reasons for a non-zero exit; empty when the stack passes. */
  readonly failures: readonly string[];
  /** The O= directory holding the resolved .config. */
  readonly outDir: string;
  readonly seconds: number;
}

const treeCache = new Map<string, KconfigTree>();

/** The Kconfig tree of a source for one architecture, read once per process. */
export function kconfigTreeFor(sourceDir: string, arch: ArchInfo): KconfigTree {
  const key = `${sourceDir}\0${arch.kernelArch}`;
  let tree = treeCache.get(key);
  if (!tree) {
    tree = readKconfigTree({
      readFile: (path) => (existsSync(join(sourceDir, path)) ? readFileSync(join(sourceDir, path), "utf8") : undefined),
      variables: { SRCARCH: arch.kernelSrcarch, ARCH: arch.kernelArch },
    });
    treeCache.set(key, tree);
  }
  return tree;
}

/** `make -C <source> O=<out> ARCH=<karch> <targets...>`; a failure carries the last lines of its output. */
export async function kernelMake(
  sourceDir: string,
  outDir: string,
  arch: ArchInfo,
  targets: readonly string[],
  options: { crossCompile?: boolean } = {},
): Promise<void> {
  const karch = arch.kernelArch;
  // Debian's cross compiler, unless the build machine is of this architecture.
  const cross = options.crossCompile && process.arch !== arch.nodeArch ? { CROSS_COMPILE: arch.crossPrefix } : {};
  const env = { ...process.env, ...cross };
  try {
    await run("make", ["-s", "-C", sourceDir, `O=${outDir}`, `ARCH=${karch}`, ...targets], {
      maxBuffer: 256 * 1024 * 1024,
      env,
    });
  } catch (error) {
    throw new Error(`make ARCH=${karch} ${targets.join(" ")} failed in ${outDir}:\n${outputTail(error, 20)}`, {
      cause: error,
    });
  }
}

/*
 * Configuring for verification does not cross-compile (Kconfig then probes
 * the host compiler); test kernels are configured and built with Debian's
 * cross compiler, so that the compiler-dependent options the check sees are
 * those of the build.
 */

/**
 * The configure pipeline of verification and test kernels: a base
 * configuration (a defconfig target, or tinyconfig), the fragments merged in
 * order with merge_config.sh (later ones win), then olddefconfig. Returns the
 * resolved .config.
 */
export async function configureKernel(
  sourceDir: string,
  outDir: string,
  arch: ArchInfo,
  base: string,
  fragments: readonly Fragment[],
  options: { crossCompile?: boolean } = {},
): Promise<string> {
  await kernelMake(sourceDir, outDir, arch, [base], options);
  const files = fragments.map((fragment, index) => {
    const file = join(outDir, `fragment-${index}-${fragment.name.replace(/[^A-Za-z0-9_.-]/g, "_")}`);
    writeFileSync(file, fragment.content);
    return file;
  });
  await mergeFragments(sourceDir, outDir, files);
  await kernelMake(sourceDir, outDir, arch, ["olddefconfig"], options);
  return readFileSync(join(outDir, ".config"), "utf8");
}

/** Merges fragment files into O=<out>/.config with the kernel's merge_config.sh (no olddefconfig). */
async function mergeFragments(sourceDir: string, outDir: string, files: readonly string[]): Promise<void> {
  try {
    await run(
      join(sourceDir, "scripts/kconfig/merge_config.sh"),
      ["-m", "-O", outDir, join(outDir, ".config"), ...files],
      {
        cwd: outDir,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
  } catch (error) {
    throw new Error(`merge_config.sh failed in ${outDir}:\n${outputTail(error, 20)}`, { cause: error });
  }
}

/** The options a stack requests, tagged with their origin (model level or user fragment). */
export function requestedOptions(board: ResolvedBoard, fragments: readonly Fragment[]): Map<string, RequestedOption> {
  const fromModel = new Map(board.kernelOptions.map((o) => [`CONFIG_${o.symbol}`, o]));
  const requested = new Map<string, RequestedOption>();
  for (const fragment of fragments) {
    for (const [symbol, value] of parseConfig(fragment.content, fragment.name)) {
      const model = fragment.origin === "model" ? fromModel.get(symbol) : undefined;
      requested.set(
        symbol,
        model
          ? { value, origin: model.level, ...(model.feature ? { feature: model.feature } : {}) }
          : { value, origin: "fragment" },
      );
    }
  }
  return requested;
}

/**
 * Builds Kconfig's host tools (scripts/kconfig/conf and scripts/basic) once in
 * `<workDir>/kconfig-tools`; every stack's O= directory starts from a copy
 * (timestamps kept, so make sees them up to date) instead of compiling them
 * again. They are host programs: the same for every ARCH.
 */
export async function prepareKconfigTools(sourceDir: string, workDir: string): Promise<string> {
  const toolsDir = join(workDir, "kconfig-tools");
  rmSync(toolsDir, { recursive: true, force: true });
  mkdirSync(toolsDir, { recursive: true });
  await kernelMake(sourceDir, toolsDir, ARCHES.x86_64, ["allnoconfig"]);
  return join(toolsDir, "scripts");
}

export interface VerifyKernelOptions {
  readonly stack: string;
  readonly board: ResolvedBoard;
  readonly fragments: readonly Fragment[];
  readonly sourceDir: string;
  readonly sourceVersion: string;
  /** Scratch directory; the stack's O= directory is created inside it. */
  readonly workDir: string;
  /** Prebuilt scripts/ from prepareKconfigTools, copied into the O= directory. */
  readonly kconfigTools?: string;
}

export async function verifyKernelConfig(options: VerifyKernelOptions): Promise<KernelVerification> {
  const started = Date.now();
  const { board, sourceDir } = options;
  const karch = board.arch.kernelArch;
  const outDir = join(options.workDir, options.stack);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  if (options.kconfigTools) await run("cp", ["-a", options.kconfigTools, join(outDir, "scripts")]);

  const resolvedText = await configureKernel(sourceDir, outDir, board.arch, board.kernel.baseConfig, options.fragments);
  const resolved = parseConfig(resolvedText, join(outDir, ".config"));
  const tree = kconfigTreeFor(sourceDir, board.arch);
  const analysis = analyzeConfig(requestedOptions(board, options.fragments), resolved, tree, karch);

  const impossible = await probeImpossibleFeatures(options, outDir, resolvedText, tree);

  const failures: string[] = [];
  for (const finding of analysis.dropped)
    failures.push(`${describeOrigin(finding)} ${finding.symbol} dropped: ${finding.explanation}`);
  for (const finding of analysis.changed) {
    failures.push(
      `${describeOrigin(finding)} ${finding.symbol} is ${finding.resolved}, not ${finding.requested}: ${finding.explanation}`,
    );
  }
  for (const check of impossible) {
    for (const option of check.options.filter((o) => o.keptWhenForced)) {
      failures.push(
        `model says feature ${check.feature} is impossible on ${board.arch.name}, but Kconfig keeps ${option.symbol}: fix the arch truth in packages/model`,
      );
    }
  }
  return {
    stack: options.stack,
    karch,
    baseConfig: board.kernel.baseConfig,
    sourceVersion: options.sourceVersion,
    stackKernelVersion: board.kernel.version,
    ...analysis,
    impossible,
    failures,
    outDir,
    seconds: (Date.now() - started) / 1000,
  };
}

function describeOrigin(finding: OptionFinding): string {
  if (finding.origin === "fragment") return "fragment option";
  return finding.feature ? `${finding.origin} option (feature ${finding.feature})` : `${finding.origin} option`;
}

/**
 * Checks the model's arch truth: the options of every feature the model calls
 * impossible on this arch are forced into a copy of the resolved config, and
 * Kconfig must drop each of them.
 */
async function probeImpossibleFeatures(
  options: VerifyKernelOptions,
  outDir: string,
  resolvedText: string,
  tree: KconfigTree,
): Promise<ImpossibleFeatureCheck[]> {
  const { board } = options;
  // Each feature the model calls impossible here, with the options it would need.
  const impossible = board.features
    .filter((status) => !status.available)
    .map((status) => ({ status, options: criuFeatures.find((f) => f.name === status.name)!.options }));
  if (impossible.length === 0) return [];
  const probe = new Map<string, KconfigValue>();
  for (const { options: featureOptions } of impossible) {
    for (const option of featureOptions) probe.set(`CONFIG_${option.symbol}`, option.value === "y" ? yes : no);
  }
  const probeFile = join(outDir, "probe-impossible.config");
  writeFileSync(probeFile, writeConfig(probe, { sorted: true }));
  await mergeFragments(options.sourceDir, outDir, [probeFile]);
  await kernelMake(options.sourceDir, outDir, board.arch, ["olddefconfig"]);
  const forced = parseConfig(readFileSync(join(outDir, ".config"), "utf8"));
  // Leave the verified configuration in place for inspection.
  writeFileSync(join(outDir, ".config"), resolvedText);
  return impossible.map(({ status, options: featureOptions }) => ({
    feature: status.name,
    reason: status.reason ?? "",
    options: featureOptions.map((option) => {
      const symbol = `CONFIG_${option.symbol}`;
      const value = forced.get(symbol);
      const kept = value !== undefined && value.kind === "tristate" && value.value !== "n";
      return {
        symbol,
        keptWhenForced: kept,
        explanation: kept ? "kept" : explainSymbol(symbol, tree, forced, board.arch.kernelArch),
      };
    }),
  }));
}
