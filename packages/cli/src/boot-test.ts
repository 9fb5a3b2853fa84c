/**
 * `br-criu boot-test`: the CRIU acceptance test under QEMU, either on a test
 * kernel + initramfs (built and cached here when not given) or on a built
 * image (--images, what the BootTest stage runs).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cachePath, cacheRoot } from "@br-criu/cache";
import { stackTestKernel, type Fragment } from "@br-criu/kernel";
import { criuCheckExpectations, type ResolvedBoard } from "@br-criu/model";
import {
  HOST_SYSROOT,
  TEST_SYSTEM_LAYOUT,
  bootTestReport,
  buildInitramfs,
  criuSystemFiles,
  formatZdtm,
  parseZdtmConsole,
  zdtmOutcomes,
  zdtmTestSystem,
  type TestSystemExtra,
  type ZdtmPlanEntry,
  testSystemCriu,
  ensureDebianSysroot,
  formatAcceptance,
  imageBootArgs,
  initramfsBootArgs,
  runAcceptance,
} from "@br-criu/runtime";
import { UsageError, parseArgs } from "./args";
import { openProject, selectedStacks, type CliIo } from "./project";
import { ACCEPTANCE_SCRIPT, COMMON_OVERLAY, REPO_LAYOUT } from "@br-criu/generators";

/** The acceptance script in the checked-in BR2_EXTERNAL tree, relative to the repository root. */
const ACCEPTANCE_SCRIPT_SOURCE = `${REPO_LAYOUT.external}/${COMMON_OVERLAY}/${ACCEPTANCE_SCRIPT}`;

type Args = ReturnType<typeof parseArgs>;
type Invocation = { binary: string; args: string[]; cwd?: string };

export async function bootTest(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(
    argv,
    ["--json", "--zdtm"],
    ["--kernel", "--dtb", "--initramfs", "--images", "--fragment", "--log", "--timeout", "--work", "--project"],
  );
  const project = openProject(args.values.get("--project"), io);
  const [stack] = selectedStacks("boot-test", args, project);
  const { board, name } = stack!;
  const workDir = resolve(io.cwd, args.values.get("--work") ?? cachePath("bootTest"));
  mkdirSync(workDir, { recursive: true });
  const timeoutMs = Number(args.values.get("--timeout") ?? "180") * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError("--timeout takes a number of seconds");
  const logFile = resolve(io.cwd, args.values.get("--log") ?? join(workDir, `${name}-console.log`));

  const timings: Record<string, number> = {};
  const images = args.values.get("--images");
  let invocation: Invocation;
  let zdtmPlan: readonly ZdtmPlanEntry[] | undefined;
  if (images) {
    if (["--kernel", "--dtb", "--initramfs"].some((flag) => args.values.has(flag)) || args.flags.has("--zdtm"))
      throw new UsageError("--images boots a built image; it takes no --kernel, --dtb, --initramfs or --zdtm");
    invocation = { ...imageBootArgs(board), cwd: resolve(io.cwd, images) };
  } else {
    const system = await testSystemInvocation({ args, io, board, name, workDir, root: project.root, timings });
    invocation = system.invocation;
    zdtmPlan = system.zdtmPlan;
  }

  const run = await runAcceptance({ ...invocation, timeoutMs, logFile, zdtm: zdtmPlan !== undefined });
  timings["bootToResultSeconds"] = run.boot.milestones["acceptance"] ?? run.boot.seconds;
  if (zdtmPlan) timings["zdtmSeconds"] = run.boot.seconds - timings["bootToResultSeconds"];
  const zdtm = zdtmPlan && zdtmOutcomes(board, zdtmPlan, parseZdtmConsole(run.boot.console));
  const zdtmPassed = !zdtm || zdtm.every((o) => o.outcome !== "failed");
  if (args.flags.has("--json")) {
    const report = bootTestReport(name, criuCheckExpectations(board.features), run.report, run.boot, timings);
    io.stdout(`${JSON.stringify(zdtm ? { ...report, zdtm } : report, null, 2)}\n`);
  } else {
    io.stdout(`${formatAcceptance(name, run)}\n`);
    if (zdtm) io.stdout(`${formatZdtm(name, zdtm)}\n`);
  }
  return run.report.passed && zdtmPassed ? 0 : 1;
}

interface TestSystemOptions {
  readonly args: Args;
  readonly io: CliIo;
  readonly board: ResolvedBoard;
  readonly name: string;
  readonly workDir: string;
  /** Project root (the acceptance script). */
  readonly root: string;
  /** Filled with kernelBuildSeconds when the kernel is built here. */
  readonly timings: Record<string, number>;
}

/** The board's test kernel (and device tree), built or taken from the cache. */
async function testKernel(options: TestSystemOptions): Promise<{ kernel: string; dtb?: string }> {
  const { args, io, board, name } = options;
  const fragmentFlag = args.values.get("--fragment");
  const extraFragments: Fragment[] = fragmentFlag
    ? [{ name: fragmentFlag, content: readFileSync(resolve(io.cwd, fragmentFlag), "utf8"), origin: "fragment" }]
    : [];
  const built = await stackTestKernel(name, board, extraFragments);
  options.timings["kernelBuildSeconds"] = built.buildSeconds;
  const how = built.built ? `built in ${built.buildSeconds.toFixed(0)} s` : "from cache";
  io.stderr(`${name}: test kernel ${how}: ${built.image}\n`);
  return built.dtb ? { kernel: built.image, dtb: built.dtb } : { kernel: built.image };
}

/** The test system's initramfs: busybox, CRIU and the acceptance script, with --zdtm CRIU's own test programs too. */
function testInitramfs(options: TestSystemOptions, outFile: string): { zdtmPlan?: readonly ZdtmPlanEntry[] } {
  const { args, io, board, name } = options;
  // busybox from Debian; criu is the packaged release (the recipe's build, or Debian unstable's on riscv64).
  const sysroot = board.arch.nodeArch === process.arch ? HOST_SYSROOT : ensureDebianSysroot(board.arch, cacheRoot());
  const criu = testSystemCriu(board, cacheRoot());
  io.stderr(`${name}: CRIU from ${criu.origin}\n`);
  const criuCheckFeatures = [...new Set(criuCheckExpectations(board.features).map((e) => e.check))];
  const acceptanceScript = join(options.root, ACCEPTANCE_SCRIPT_SOURCE);
  if (!args.flags.has("--zdtm")) {
    buildInitramfs({ outFile, acceptanceScript, sysroot, criu, criuCheckFeatures });
    return {};
  }
  const zdtm = zdtmTestSystem(board, {
    cache: cacheRoot(),
    system: criuSystemFiles({ sysroot, criu }),
    runner: join(options.root, REPO_LAYOUT.zdtmRunner),
  });
  io.stderr(`${name}: ${zdtm.origin}\n`);
  const extra: TestSystemExtra = {
    files: zdtm.files,
    directories: zdtm.directories,
    texts: [{ to: TEST_SYSTEM_LAYOUT.zdtmList, content: zdtm.list }],
  };
  buildInitramfs({ outFile, acceptanceScript, sysroot, criu, criuCheckFeatures, extra });
  return { zdtmPlan: zdtm.plan };
}

/** QEMU arguments for a test kernel and initramfs: given with --kernel/--initramfs, or built (and cached) here. */
async function testSystemInvocation(
  options: TestSystemOptions,
): Promise<{ invocation: Invocation; zdtmPlan?: readonly ZdtmPlanEntry[] }> {
  const { args, io, name, workDir } = options;
  const given = args.values.get("--kernel");
  const dtbFlag = args.values.get("--dtb");
  const { kernel, dtb } =
    given === undefined
      ? await testKernel(options)
      : { kernel: given, ...(dtbFlag === undefined ? {} : { dtb: resolve(io.cwd, dtbFlag) }) };
  let initramfs = args.values.get("--initramfs");
  if (initramfs !== undefined && args.flags.has("--zdtm"))
    throw new UsageError("--zdtm builds its own initramfs; it takes no --initramfs");
  let built: { zdtmPlan?: readonly ZdtmPlanEntry[] } = {};
  if (initramfs === undefined) {
    initramfs = join(workDir, `${name}-initramfs.cpio`);
    built = testInitramfs(options, initramfs);
  }
  const invocation = initramfsBootArgs(options.board, {
    kernel: resolve(io.cwd, kernel),
    initramfs: resolve(io.cwd, initramfs),
    ...(dtb ? { dtb } : {}),
  });
  return built.zdtmPlan ? { invocation, zdtmPlan: built.zdtmPlan } : { invocation };
}
