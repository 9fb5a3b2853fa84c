/**
 * `br-criu boot-test`: the CRIU acceptance test under QEMU, either on a test
 * kernel + initramfs (built and cached here when not given) or on a built
 * image (--images, what the BootTest stage runs).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildTestKernel, cacheRoot, ensureKernelSource, type Fragment } from "@br-criu/kernel";
import { criuCheckExpectations } from "@br-criu/model";
import {
  HOST_SYSROOT,
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
import { EXTERNAL_TREE } from "./generate";

export const ACCEPTANCE_SCRIPT = `${EXTERNAL_TREE}/board/common/rootfs-overlay/usr/libexec/br-criu/criu-acceptance`;

/** The build machine's architecture in br-criu's names. */
function hostArch(): string {
  return process.arch === "x64" ? "x86_64" : process.arch === "arm64" ? "aarch64" : process.arch;
}

export async function bootTest(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(
    argv,
    ["--json"],
    ["--kernel", "--dtb", "--initramfs", "--images", "--fragment", "--log", "--timeout", "--work", "--project"],
  );
  const project = openProject(args.values.get("--project"), io);
  const [stack] = selectedStacks("boot-test", args, project);
  const { board, name } = stack!;
  const workDir = resolve(io.cwd, args.values.get("--work") ?? join(cacheRoot(), "boot-test"));
  mkdirSync(workDir, { recursive: true });
  const timeoutMs = Number(args.values.get("--timeout") ?? "180") * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError("--timeout takes a number of seconds");
  const logFile = resolve(io.cwd, args.values.get("--log") ?? join(workDir, `${name}-console.log`));

  const images = args.values.get("--images");
  let invocation: { binary: string; args: string[]; cwd?: string };
  const timings: Record<string, number> = {};
  if (images) {
    if (args.values.has("--kernel") || args.values.has("--dtb") || args.values.has("--initramfs"))
      throw new UsageError("--images boots a built image; it takes no --kernel, --dtb or --initramfs");
    invocation = { ...imageBootArgs(board), cwd: resolve(io.cwd, images) };
  } else {
    let kernel = args.values.get("--kernel");
    let dtb = args.values.has("--dtb") ? resolve(io.cwd, args.values.get("--dtb")!) : undefined;
    if (kernel === undefined) {
      const extra: Fragment[] = [];
      const fragmentFlag = args.values.get("--fragment");
      if (fragmentFlag)
        extra.push({
          name: fragmentFlag,
          content: readFileSync(resolve(io.cwd, fragmentFlag), "utf8"),
          origin: "fragment",
        });
      const built = await buildTestKernel({
        stack: name,
        board,
        extraFragments: extra,
        source: await ensureKernelSource(),
        cache: cacheRoot(),
        workDir,
      });
      kernel = built.image;
      dtb = built.dtb;
      timings["kernelBuildSeconds"] = built.buildSeconds;
      io.stderr(
        `${name}: test kernel ${built.built ? `built in ${built.buildSeconds.toFixed(0)} s` : "from cache"}: ${kernel}\n`,
      );
    }
    let initramfs = args.values.get("--initramfs");
    if (initramfs === undefined) {
      initramfs = join(workDir, `${name}-initramfs.cpio`);
      // busybox from Debian; criu is the packaged release (the recipe's build, or Debian unstable's on riscv64).
      const sysroot = board.arch.name === hostArch() ? HOST_SYSROOT : ensureDebianSysroot(board.arch.name, cacheRoot());
      const criu = testSystemCriu(board, cacheRoot());
      io.stderr(`${name}: CRIU from ${criu.origin}\n`);
      const criuCheckFeatures = [...new Set(criuCheckExpectations(board.features).map((e) => e.check))];
      buildInitramfs({
        outFile: initramfs,
        acceptanceScript: join(project.root, ACCEPTANCE_SCRIPT),
        sysroot,
        criu,
        criuCheckFeatures,
      });
    }
    invocation = initramfsBootArgs(board, {
      kernel: resolve(io.cwd, kernel),
      initramfs: resolve(io.cwd, initramfs),
      ...(dtb ? { dtb } : {}),
    });
  }

  const run = await runAcceptance({ ...invocation, timeoutMs, logFile });
  timings["bootToResultSeconds"] = run.boot.seconds;
  if (args.flags.has("--json")) {
    const step = (id: string) => run.report.steps.find((s) => s.step === id);
    const dumpRestore = ["dump", "frozen", "restore", "advance"].every((id) => step(id)?.ok === true);
    // What CRIU reported against what the model expects for this board (a mismatch names the feature).
    const features = criuCheckExpectations(board.features)
      .filter(({ check }) => check in run.report.features)
      .map(({ check, feature, expected }) => ({
        check,
        feature,
        expected,
        reported: run.report.features[check] ? "pass" : "fail",
      }));
    io.stdout(
      `${JSON.stringify({ stack: name, passed: run.report.passed, criuCheck: step("criu-check")?.ok === true, dumpRestore, firstFailure: run.report.firstFailure ?? null, steps: run.report.steps, log: run.report.log, features, timedOut: run.boot.timedOut, consoleLog: run.boot.logFile, timings }, null, 2)}\n`,
    );
  } else {
    io.stdout(`${formatAcceptance(name, run)}\n`);
  }
  return run.report.passed ? 0 : 1;
}
