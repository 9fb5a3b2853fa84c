/**
 * `br-criu boot-test`: the CRIU acceptance test under QEMU, either on a test
 * kernel + initramfs (built and cached here when not given) or on a built
 * image (--images, what the BootTest stage runs).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cachePath, cacheRoot } from "@br-criu/cache";
import { buildTestKernel, ensureKernelSource, type Fragment } from "@br-criu/kernel";
import { criuCheckExpectations, type ResolvedBoard } from "@br-criu/model";
import {
  HOST_SYSROOT,
  bootTestReport,
  buildInitramfs,
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
    ["--json"],
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
  if (images) {
    if (args.values.has("--kernel") || args.values.has("--dtb") || args.values.has("--initramfs"))
      throw new UsageError("--images boots a built image; it takes no --kernel, --dtb or --initramfs");
    invocation = { ...imageBootArgs(board), cwd: resolve(io.cwd, images) };
  } else {
    invocation = await testSystemInvocation({ args, io, board, name, workDir, root: project.root, timings });
  }

  const run = await runAcceptance({ ...invocation, timeoutMs, logFile });
  timings["bootToResultSeconds"] = run.boot.seconds;
  if (args.flags.has("--json")) {
    const report = bootTestReport(name, criuCheckExpectations(board.features), run.report, run.boot, timings);
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.stdout(`${formatAcceptance(name, run)}\n`);
  }
  return run.report.passed ? 0 : 1;
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

/** QEMU arguments for a test kernel and initramfs: given with --kernel/--initramfs, or built (and cached) here. */
async function testSystemInvocation(options: TestSystemOptions): Promise<Invocation> {
  const { args, io, board, name, workDir } = options;
  let kernel = args.values.get("--kernel");
  let dtb = args.values.has("--dtb") ? resolve(io.cwd, args.values.get("--dtb")!) : undefined;
  if (kernel === undefined) {
    const fragmentFlag = args.values.get("--fragment");
    const extraFragments: Fragment[] = fragmentFlag
      ? [{ name: fragmentFlag, content: readFileSync(resolve(io.cwd, fragmentFlag), "utf8"), origin: "fragment" }]
      : [];
    const source = await ensureKernelSource();
    // The build tree stays in the cache whatever --work says: an option changed later rebuilds little.
    const trees = cachePath("testKernelTrees");
    const built = await buildTestKernel({
      stack: name,
      board,
      extraFragments,
      source,
      cache: cacheRoot(),
      workDir: trees,
    });
    kernel = built.image;
    dtb = built.dtb;
    options.timings["kernelBuildSeconds"] = built.buildSeconds;
    const how = built.built ? `built in ${built.buildSeconds.toFixed(0)} s` : "from cache";
    io.stderr(`${name}: test kernel ${how}: ${kernel}\n`);
  }
  let initramfs = args.values.get("--initramfs");
  if (initramfs === undefined) {
    initramfs = join(workDir, `${name}-initramfs.cpio`);
    // busybox from Debian; criu is the packaged release (the recipe's build, or Debian unstable's on riscv64).
    const sysroot = board.arch.nodeArch === process.arch ? HOST_SYSROOT : ensureDebianSysroot(board.arch, cacheRoot());
    const criu = testSystemCriu(board, cacheRoot());
    io.stderr(`${name}: CRIU from ${criu.origin}\n`);
    const criuCheckFeatures = [...new Set(criuCheckExpectations(board.features).map((e) => e.check))];
    const acceptanceScript = join(options.root, ACCEPTANCE_SCRIPT_SOURCE);
    buildInitramfs({ outFile: initramfs, acceptanceScript, sysroot, criu, criuCheckFeatures });
  }
  return initramfsBootArgs(board, {
    kernel: resolve(io.cwd, kernel),
    initramfs: resolve(io.cwd, initramfs),
    ...(dtb ? { dtb } : {}),
  });
}
