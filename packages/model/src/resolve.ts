/**
 * From a stack's raw configuration to a resolved board: schema validation,
 * then the CRIU rules (architecture, toolchain, kernel version gate, kernel
 * options, features). Pure: no I/O, same input -> same output.
 */
import { z } from "zod";
import { compareSymbols } from "@br-criu/kconfig";
import {
  ARCHES,
  ARM_FPUS,
  ARM_SUBARCH,
  REFUSED_ARCHES,
  SUPPORTED_ARCHES,
  isSupportedArch,
  type ArchInfo,
  type CpuInfo,
} from "./arch";
import { criuFeatures, criuRequiredOptions, type KernelOptionSpec } from "./kernel-options";
import { DEFAULT_KERNEL_VERSION, STACK_CONFIG_KEYS, stackConfigSchema, type StackConfig } from "./schema";
import { KCONFIG_SYMBOL, ownEntry, parseKernelConfigValue, type KernelConfigValue } from "./grammar";
import { KERNEL_RELEASES, kernelHashSource, kernelTarball } from "./releases";
import { atLeast, kernelSeries } from "./versions";

/** One problem with a stack's configuration: which key, what is wrong, how to fix it. */
export interface ConfigProblem {
  /** Key path below the `br-criu:` namespace, e.g. `kernelVersion` or `criuFeatures[2]`. */
  readonly key: string;
  readonly message: string;
  readonly fix: string;
}

export type FeatureStatus = {
  readonly name: string;
  readonly summary: string;
  readonly wanted: boolean;
  readonly available: boolean;
  /** Why the architecture cannot have it (when not available). */
  readonly reason?: string;
  /** Wanted and available: its options are in the kernel fragment. */
  readonly enabled: boolean;
};

/**
 * A feature's state in one word, the same in `plan` and in the stack's
 * criuFeatures output: enabled, impossible (with why), wanted while CRIU is
 * disabled, or available.
 */
export function featureState(feature: FeatureStatus): string {
  if (feature.enabled) return "enabled";
  if (!feature.available) return `impossible: ${feature.reason}`;
  return feature.wanted ? "wanted, CRIU disabled" : "available";
}

/** required: every kernel; feature: a CRIU feature; arch: the architecture needs it; machine: the QEMU machine's devices. */
export type KernelOptionLevel = "required" | "feature" | "arch" | "machine";

export interface KernelOptionRequest {
  readonly symbol: string;
  readonly value: "y" | "n";
  readonly level: KernelOptionLevel;
  /** The feature that asked for it (level `feature` or `arch`). */
  readonly feature?: string;
  readonly reason: string;
}

export interface ToolchainFacts {
  readonly kind: "bootlin" | "buildroot";
  readonly libc: "glibc" | "musl";
  readonly gccVersion: string;
  /** Kernel headers the toolchain is built against. */
  readonly headersVersion: string;
  /** glibc >= 2.35 registers rseq for every thread (both toolchains' glibc are newer). */
  readonly registersRseq: boolean;
}

export interface ResolvedBoard {
  readonly config: StackConfig;
  readonly arch: ArchInfo;
  readonly cpu: CpuInfo;
  readonly arm?: { readonly fpu?: string; readonly neon: boolean; readonly floatAbi: "eabi" | "eabihf" };
  readonly toolchain: ToolchainFacts;
  readonly kernel: {
    readonly version: string;
    /** In-tree defconfig target, `defconfig` for the arch default, or `tinyconfig`. */
    readonly baseConfig: string;
    readonly dts?: string;
    readonly imageFile: string;
    /** sha256 of the kernel tarball (from KERNEL_RELEASES or br-criu:kernelSha256). */
    readonly sha256: string;
    /** The stack's own options (br-criu:kernelConfig), sorted by symbol, after CRIU's in the fragment. */
    readonly extraOptions: readonly { readonly symbol: string; readonly value: KernelConfigValue }[];
  };
  /** Sorted by symbol; empty when CRIU is disabled. */
  readonly kernelOptions: readonly KernelOptionRequest[];
  readonly features: readonly FeatureStatus[];
  readonly criu: {
    readonly enabled: boolean;
    readonly version: string;
    /** Variables for CRIU's Makefile that depend on the target. */
    readonly makeVars: Readonly<Record<string, string>>;
  };
  readonly qemuMachine: string;
  readonly warnings: readonly string[];
}

export type ResolveResult =
  | { readonly ok: true; readonly board: ResolvedBoard }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** Bootlin "stable" toolchains in Buildroot 2026.02: gcc 14, headers 5.4, glibc newer than 2.35. */
const BOOTLIN_STABLE = { gccVersion: "14", headersVersion: "5.4" } as const;
/** gcc versions Buildroot 2026.02 can build for its internal toolchain. */
const BUILDROOT_GCC_VERSIONS = ["13", "14", "15"];
/** CRIU needs gcc >= 8 (-march=armv7-a+fp, protobuf) and headers >= 4.18 (linux/rseq.h). */
const MIN_GCC = "8";
const MIN_HEADERS = "4.18";
/** PTRACE_GET_RSEQ_CONFIGURATION was merged for Linux 5.13. */
const RSEQ_PTRACE_KERNEL = "5.13";

type ReportProblem = (key: string, message: string, fix: string) => void;

const ARM_ONLY_KEYS = ["fpu", "neon", "floatAbi"] as const;

export function resolveBoard(raw: unknown): ResolveResult {
  const parsed = stackConfigSchema.safeParse(raw, { reportInput: true });
  const symbols = kernelConfigSymbolProblems(raw);
  if (!parsed.success || symbols.length > 0)
    return { ok: false, problems: [...symbols, ...(parsed.success ? [] : parsed.error.issues.map(problemFromZod))] };
  return applyRules(parsed.data);
}

/**
 * br-criu:kernelConfig's keys, checked on the input: zod's record output
 * would silently drop a "__proto__" key (JSON.parse and YAML make it an own
 * property), so the symbols cannot be checked after parsing.
 */
function kernelConfigSymbolProblems(raw: unknown): ConfigProblem[] {
  const options =
    typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)["kernelConfig"] : undefined;
  if (typeof options !== "object" || options === null || Array.isArray(options)) return [];
  return Object.keys(options)
    .filter((symbol) => !KCONFIG_SYMBOL.test(symbol) || symbol.startsWith("CONFIG_"))
    .map((symbol) => {
      const prefixed = symbol.startsWith("CONFIG_");
      return {
        key: "kernelConfig",
        message: prefixed
          ? `${JSON.stringify(symbol)} carries the CONFIG_ prefix`
          : `${JSON.stringify(symbol.slice(0, 80))} is not a Kconfig symbol`,
        fix: prefixed
          ? `write ${symbol.slice("CONFIG_".length)}`
          : "use the symbol's name without CONFIG_: upper-case letters, digits and _, e.g. ZRAM",
      };
    });
}

function problemFromZod(issue: z.core.$ZodIssue): ConfigProblem {
  const key = formatPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return {
        key: issue.keys.map((k) => formatPath([...issue.path, k])).join(", "),
        message: `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`,
        fix: `remove it or use one of the allowed keys: ${STACK_CONFIG_KEYS.join(", ")}`,
      };
    case "invalid_type":
      return {
        key,
        message:
          issue.input === undefined
            ? `is required (${issue.expected})`
            : `expected ${issue.expected}, got ${describeInput(issue.input)}`,
        fix: issue.input === undefined ? `add br-criu:${key} to the stack file` : `set it to a ${issue.expected}`,
      };
    case "invalid_value":
      return {
        key,
        message: `${describeInput(issue.input)} is not allowed`,
        fix: `use one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
      };
    default: {
      const fix = issue.code === "custom" ? (issue.params as { fix?: unknown } | undefined)?.fix : undefined;
      return { key, message: issue.message, fix: typeof fix === "string" ? fix : fixFromDescription(issue.path) };
    }
  }
}

/** The key's own description says what a valid value looks like. */
function fixFromDescription(path: readonly PropertyKey[]): string {
  const top = path[0];
  const field =
    typeof top === "string" ? stackConfigSchema.shape[top as keyof typeof stackConfigSchema.shape] : undefined;
  return field?.description
    ? `br-criu:${String(top)} is: ${field.description.replace(/\.$/, "")}`
    : "correct the value";
}

function describeInput(input: unknown): string {
  if (Array.isArray(input)) return "an array";
  if (input === null) return "null";
  return typeof input === "object" ? "an object" : `${typeof input} ${JSON.stringify(input)}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) =>
      typeof part === "number" ? `${acc}[${part}]` : acc === "" ? String(part) : `${acc}.${String(part)}`,
    "",
  );
}

/** Collects the problems of one stack, in the order the rules find them. */
class ProblemCollector {
  readonly problems: ConfigProblem[] = [];
  readonly report: ReportProblem = (key, message, fix) => {
    this.problems.push({ key, message, fix });
  };
  get count(): number {
    return this.problems.length;
  }
}

/** The machine: architecture, CPU and the arm float settings; undefined when nothing later can be checked. */
function resolveTarget(
  config: StackConfig,
  problem: ReportProblem,
): { arch: ArchInfo; cpu: CpuInfo; arm: ResolvedBoard["arm"] } | undefined {
  if (!isSupportedArch(config.arch)) {
    const refused = ownEntry(REFUSED_ARCHES, config.arch);
    problem(
      "arch",
      refused ? `"${config.arch}" is not supported: ${refused}` : `unknown architecture "${config.arch}"`,
      `use one of: ${SUPPORTED_ARCHES.join(", ")}`,
    );
    return undefined;
  }
  const arch = ARCHES[config.arch];
  if (arch.experimental && !config.experimental) {
    problem(
      "experimental",
      `${arch.name} is experimental for CRIU: ${arch.experimental}`,
      "set br-criu:experimental: true to build it anyway",
    );
  }
  const cpuName = config.cpu ?? arch.defaultCpu;
  const cpu = ownEntry(arch.cpus, cpuName);
  if (!cpu) {
    problem("cpu", `unknown ${arch.name} CPU "${cpuName}"`, `use one of: ${Object.keys(arch.cpus).sort().join(", ")}`);
    return undefined;
  }
  if (!cpu.mmu) {
    // CRIU restores by fork()ing the tree and remapping memory; libcap and
    // Buildroot's CRIU dependencies need BR2_USE_MMU.
    problem(
      "cpu",
      `${cpu.name} has no MMU, and CRIU needs one (fork-based restore, libcap)`,
      "pick a CPU with an MMU, e.g. cortex-a9",
    );
  }
  return { arch, cpu, arm: resolveArm(config, arch, problem) };
}

function resolveArm(config: StackConfig, arch: ArchInfo, problem: ReportProblem): ResolvedBoard["arm"] {
  if (!arch.floatChoices) {
    for (const key of ARM_ONLY_KEYS) {
      if (config[key] !== undefined)
        problem(key, `applies to arm only, not ${arch.name}`, `remove br-criu:${key} from the stack file`);
    }
    return undefined;
  }
  const floatAbi = config.floatAbi ?? "eabihf";
  if (config.fpu !== undefined && !ownEntry(ARM_FPUS, config.fpu)) {
    problem("fpu", `unknown arm FPU "${config.fpu}"`, `use one of: ${Object.keys(ARM_FPUS).sort().join(", ")}`);
  }
  if (floatAbi === "eabihf" && config.fpu === undefined) {
    problem("fpu", "eabihf needs a floating point unit", "set br-criu:fpu (e.g. vfpv3-d16) or use floatAbi: eabi");
  }
  return { ...(config.fpu === undefined ? {} : { fpu: config.fpu }), neon: config.neon ?? false, floatAbi };
}

/** The kernel's version gate, headers, hash and device tree. */
function resolveKernel(
  config: StackConfig,
  arch: ArchInfo,
  toolchain: ToolchainFacts | undefined,
  problem: ReportProblem,
): Omit<ResolvedBoard["kernel"], "extraOptions"> {
  if (toolchain?.registersRseq && !atLeast(config.kernelVersion, RSEQ_PTRACE_KERNEL)) {
    // glibc >= 2.35 registers an rseq area for every thread; CRIU can only dump
    // such threads with PTRACE_GET_RSEQ_CONFIGURATION, merged for Linux 5.13.
    problem(
      "kernelVersion",
      `Linux ${config.kernelVersion} lacks PTRACE_GET_RSEQ_CONFIGURATION (Linux 5.13), which CRIU needs to dump threads of glibc >= 2.35 programs (glibc registers rseq for every thread)`,
      `use kernel ${RSEQ_PTRACE_KERNEL} or newer (default ${DEFAULT_KERNEL_VERSION}), or run every program you want to checkpoint with GLIBC_TUNABLES=glibc.pthread.rseq=0 and build with musl`,
    );
  }
  if (toolchain && !atLeast(toolchain.headersVersion, MIN_HEADERS)) {
    problem(
      "kernelVersion",
      `kernel headers ${toolchain.headersVersion} are older than ${MIN_HEADERS}; CRIU includes linux/rseq.h`,
      `use kernel ${MIN_HEADERS} or newer`,
    );
  }
  const sha256 = resolveKernelHash(config, problem);
  if (arch.needsDeviceTree && config.kernelDts === undefined) {
    problem(
      "kernelDts",
      `${arch.name} boards boot with a device tree and none is set`,
      "set br-criu:kernelDts, e.g. arm/vexpress-v2p-ca9",
    );
  }
  return {
    version: config.kernelVersion,
    baseConfig: config.kernelBaseConfig ?? arch.defaultKernelDefconfig ?? "defconfig",
    ...(config.kernelDts === undefined ? {} : { dts: config.kernelDts }),
    imageFile: arch.kernelImageFile,
    sha256: sha256 ?? "",
  };
}

/** The CRIU feature matrix and every kernel option CRIU asks for, each once, with its reason. */
function resolveCriu(
  config: StackConfig,
  arch: ArchInfo,
  cpu: CpuInfo,
  problem: ReportProblem,
  warnings: string[],
): { features: FeatureStatus[]; requests: KernelOptionRequest[]; wanted: ReadonlySet<string> } {
  const requests = new OptionRequests();
  const wanted = new Set<string>();
  config.criuFeatures.forEach((name, index) => {
    if (wanted.has(name)) problem(`criuFeatures[${index}]`, `"${name}" is listed twice`, "list each feature once");
    wanted.add(name);
  });
  if (config.criuEnabled) for (const spec of criuRequiredOptions) requests.add(spec, "required");
  if (config.criuEnabled) for (const spec of arch.criuOptions) requests.add(spec, "arch");
  if (config.criuEnabled) for (const spec of arch.machineKernelOptions) requests.add(spec, "machine");
  const features = criuFeatures.map((feature): FeatureStatus => {
    const availability = feature.availability(arch, cpu);
    const isWanted = wanted.has(feature.name);
    if (isWanted && !availability.available) {
      const message = `CRIU feature "${feature.name}" is impossible on ${arch.name}/${cpu.name}: ${availability.reason}`;
      if (config.criuFeatureMode === "strict") {
        problem(
          `criuFeatures[${config.criuFeatures.indexOf(feature.name)}]`,
          message,
          `remove "${feature.name}" from br-criu:criuFeatures, or set br-criu:criuFeatureMode: best-effort to leave it out with a warning`,
        );
      } else {
        warnings.push(`${message}; left out (best-effort)`);
      }
    }
    const enabled = config.criuEnabled && isWanted && availability.available;
    if (enabled && availability.available) {
      for (const spec of feature.options) requests.add(spec, "feature", feature.name);
      for (const spec of availability.extraOptions) requests.add(spec, "arch", feature.name);
    }
    const unavailable = availability.available ? {} : { reason: availability.reason };
    return {
      name: feature.name,
      summary: feature.summary,
      wanted: isWanted,
      available: availability.available,
      ...unavailable,
      enabled,
    };
  });
  return { features, requests: requests.list, wanted };
}

/** Kernel options requested for CRIU, each once: the first request (required, then by feature) keeps its reason. */
class OptionRequests {
  readonly list: KernelOptionRequest[] = [];
  private readonly seen = new Set<string>();

  add(spec: KernelOptionSpec, level: KernelOptionLevel, feature?: string): void {
    if (this.seen.has(spec.symbol)) return;
    this.seen.add(spec.symbol);
    this.list.push({
      symbol: spec.symbol,
      value: spec.value,
      level,
      reason: spec.reason,
      ...(feature ? { feature } : {}),
    });
  }
}

/** Build switches that only make sense together with others. */
function checkBuildSwitches(config: StackConfig, wantedFeatures: ReadonlySet<string>, problem: ReportProblem): void {
  if (config.criuNftables && !wantedFeatures.has("nftables-lock")) {
    problem(
      "criuNftables",
      "CRIU is built for nftables network locking, but the kernel feature nftables-lock is not requested",
      `add "nftables-lock" to br-criu:criuFeatures or set br-criu:criuNftables: false`,
    );
  }
  if (config.buildHost !== undefined && config.buildMode === "host") {
    problem(
      "buildHost",
      "a build host is a Docker engine, but buildMode is host (the steps would run on this machine)",
      "set br-criu:buildMode: docker, or remove br-criu:buildHost",
    );
  }
  const tcp = config.buildHost?.startsWith("tcp://") === true;
  if (tcp && config.buildHostTls === undefined) {
    // A Docker engine on plain TCP runs anything for anyone who reaches it.
    problem(
      "buildHost",
      `${config.buildHost} is a tcp:// engine without TLS`,
      "set br-criu:buildHostTls to the directory holding ca.pem, cert.pem and key.pem, or use an ssh:// build host",
    );
  }
  if (config.buildHostTls !== undefined && !tcp) {
    problem(
      "buildHostTls",
      "TLS files are only used for a tcp:// build host",
      "remove br-criu:buildHostTls, or set br-criu:buildHost to tcp://host:port",
    );
  }
  if (config.verifyReproducible && config.buildMode === "host") {
    // Buildroot output is only bit-identical when built at the same O= path;
    // the container gives both builds the same path, the host cannot.
    problem(
      "verifyReproducible",
      "the double-build check needs buildMode: docker (both builds must use the same output path)",
      "set br-criu:buildMode: docker or br-criu:verifyReproducible: false",
    );
  }
}

/** Every rule, in the order of the stack file's concerns: machine, toolchain, kernel, CRIU, build switches, extra kernel options. */
function applyRules(config: StackConfig): ResolveResult {
  const collector = new ProblemCollector();
  const problem = collector.report;
  const warnings: string[] = [];
  const target = resolveTarget(config, problem);
  if (!target) return { ok: false, problems: collector.problems };
  const { arch, cpu, arm } = target;

  const problemsBeforeToolchain = collector.count;
  const toolchainFacts = resolveToolchain(config, cpu, arm, problem);
  const toolchain = collector.count === problemsBeforeToolchain ? toolchainFacts : undefined;
  const kernel = resolveKernel(config, arch, toolchain, problem);
  const { features, requests, wanted } = resolveCriu(config, arch, cpu, problem, warnings);
  checkBuildSwitches(config, wanted, problem);
  const extraOptions = resolveKernelConfig(config, requests, problem);
  if (collector.count > 0 || !toolchain) return { ok: false, problems: collector.problems };

  requests.sort((a, b) => compareSymbols(a.symbol, b.symbol));
  const makeVars: Record<string, string> = { ARCH: arch.criuArch };
  if (cpu.armIsa) makeVars["SUBARCH"] = ARM_SUBARCH[cpu.armIsa];
  return {
    ok: true,
    board: {
      config,
      arch,
      cpu,
      ...(arm ? { arm } : {}),
      toolchain,
      kernel: { ...kernel, extraOptions },
      kernelOptions: requests,
      features,
      criu: { enabled: config.criuEnabled, version: config.criuVersion, makeVars },
      qemuMachine: config.qemuMachine ?? arch.qemu.machine,
      warnings,
    },
  };
}

/**
 * The stack's own kernel options. One that CRIU requires with another value
 * is refused (CRIU would lose it); one CRIU already sets the same way is not
 * written twice.
 */
function resolveKernelConfig(
  config: StackConfig,
  criuRequests: readonly KernelOptionRequest[],
  problem: ReportProblem,
): ResolvedBoard["kernel"]["extraOptions"] {
  const extra: { symbol: string; value: KernelConfigValue }[] = [];
  for (const symbol of Object.keys(config.kernelConfig ?? {}).sort()) {
    // The schema has validated every value.
    const value = parseKernelConfigValue(config.kernelConfig![symbol]) as KernelConfigValue;
    const criu = criuRequests.find((request) => request.symbol === symbol);
    if (criu === undefined) {
      extra.push({ symbol, value });
    } else if (value.kind !== "tristate" || value.value !== criu.value) {
      problem(
        `kernelConfig.${symbol}`,
        `CRIU needs CONFIG_${symbol}=${criu.value} (${criu.reason})`,
        `remove br-criu:kernelConfig.${symbol}, or turn off the CRIU feature that needs it`,
      );
    }
  }
  return extra;
}

/**
 * The kernel tarball's hash: Buildroot checks every download
 * (BR2_DOWNLOAD_FORCE_CHECK_HASHES=y), so a release without one cannot build.
 */
function resolveKernelHash(config: StackConfig, problem: ReportProblem): string | undefined {
  const version = config.kernelVersion;
  const known = ownEntry(KERNEL_RELEASES, version)?.sha256;
  const tarball = kernelTarball(version);
  if (known !== undefined && config.kernelSha256 !== undefined && config.kernelSha256 !== known) {
    problem(
      "kernelSha256",
      `${config.kernelSha256} is not the hash br-criu records for ${tarball} (${known}, from ${kernelHashSource(version)})`,
      "remove br-criu:kernelSha256, or check the value against kernel.org's sha256sums.asc",
    );
    return undefined;
  }
  if (known === undefined && config.kernelSha256 === undefined) {
    problem(
      "kernelVersion",
      `Linux ${version} has no known tarball hash, and Buildroot refuses downloads without one (BR2_DOWNLOAD_FORCE_CHECK_HASHES=y)`,
      `set br-criu:kernelSha256 to the sha256 of ${tarball} as published in ${kernelHashSource(version)} (check its signature), or use a release with a recorded hash: ${Object.keys(KERNEL_RELEASES).sort().join(", ")}`,
    );
    return undefined;
  }
  return known ?? config.kernelSha256;
}

/** What Bootlin's prebuilt glibc stable toolchains can be. */
function checkBootlinToolchain(
  config: StackConfig,
  cpu: CpuInfo,
  arm: ResolvedBoard["arm"],
  problem: ReportProblem,
): void {
  if (config.libc !== "glibc") {
    problem(
      "libc",
      `br-criu uses Bootlin's glibc stable toolchains, not ${config.libc}`,
      "use libc: glibc, or toolchain: buildroot for musl",
    );
  }
  if (config.gccVersion !== BOOTLIN_STABLE.gccVersion) {
    problem(
      "gccVersion",
      `the Bootlin stable toolchain is gcc ${BOOTLIN_STABLE.gccVersion}, not ${config.gccVersion}`,
      `remove br-criu:gccVersion or use toolchain: buildroot`,
    );
  }
  // Buildroot offers the armv7-eabihf Bootlin toolchain only for ARMv7-A with
  // EABIhf, or ARMv8-A in 32-bit mode.
  if (cpu.armIsa && !((cpu.armIsa === "armv7-a" && arm?.floatAbi === "eabihf") || cpu.armIsa === "armv8-a")) {
    problem(
      "toolchain",
      `no Bootlin glibc stable toolchain fits ${cpu.name} with ${arm?.floatAbi ?? "eabihf"}`,
      "use toolchain: buildroot",
    );
  }
}

/** The gcc versions Buildroot's own toolchain builds, and CRIU's minimum. */
function checkBuildrootGcc(config: StackConfig, problem: ReportProblem): void {
  if (BUILDROOT_GCC_VERSIONS.includes(config.gccVersion)) return;
  const tooOld = !atLeast(config.gccVersion, MIN_GCC);
  problem(
    "gccVersion",
    tooOld
      ? `gcc ${config.gccVersion} is older than ${MIN_GCC}, which CRIU needs`
      : `Buildroot ${config.buildrootVersion} cannot build gcc ${config.gccVersion}`,
    `use one of: ${BUILDROOT_GCC_VERSIONS.join(", ")}`,
  );
}

function resolveToolchain(
  config: StackConfig,
  cpu: CpuInfo,
  arm: ResolvedBoard["arm"],
  problem: ReportProblem,
): ToolchainFacts {
  if (config.libc === "uclibc" || config.libc === "uclibc-ng") {
    // CRIU includes <aio.h>, which uClibc-ng does not provide.
    problem("libc", "uClibc-ng cannot build CRIU: it has no aio.h", "use glibc or musl");
  } else if (config.libc !== "glibc" && config.libc !== "musl") {
    problem("libc", `unknown C library "${config.libc}"`, "use glibc or musl");
  }
  if (!config.cxx) {
    // CRIU's image format is protobuf; Buildroot's protobuf needs a C++ toolchain.
    problem("cxx", "CRIU needs a C++ toolchain (its protobuf dependency is C++)", "set br-criu:cxx: true");
  }
  if (config.toolchain === "bootlin") checkBootlinToolchain(config, cpu, arm, problem);
  else checkBuildrootGcc(config, problem);
  const bootlin = config.toolchain === "bootlin";
  return {
    kind: config.toolchain,
    libc: config.libc as "glibc" | "musl",
    gccVersion: bootlin ? BOOTLIN_STABLE.gccVersion : config.gccVersion,
    // The internal toolchain uses the headers of the kernel being built.
    headersVersion: bootlin ? BOOTLIN_STABLE.headersVersion : kernelSeries(config.kernelVersion),
    registersRseq: config.libc === "glibc",
  };
}
