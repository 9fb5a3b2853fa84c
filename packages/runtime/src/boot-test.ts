/**
 * The runtime acceptance test: boot a kernel with the test initramfs (or a
 * built image) under QEMU, collect the acceptance steps from the console.
 */
import { existsSync } from "node:fs";
import type { ResolvedBoard } from "@br-criu/model";
import { qemuInvocation } from "@br-criu/generators";
import { parseAcceptance, type AcceptanceReport } from "./results";
import { bootQemu, type BootResult } from "./qemu";

export interface AcceptanceRun {
  readonly boot: BootResult;
  readonly report: AcceptanceReport;
}

/** The last lines of the acceptance script and of the ZDTM runner, as patterns. */
const ACCEPTANCE_DONE = "BR-CRIU-DONE (ok|fail)";
const ZDTM_DONE = "BR-CRIU-ZDTM-DONE \\d+";
const consoleLine = (pattern: string) => new RegExp(`^${pattern}\\s*$`, "m");

/** Kernel command line additions: panic reboots at once, so a crash ends QEMU too. */
const TEST_CMDLINE = "panic=-1";

export interface TestBootFiles {
  readonly kernel: string;
  readonly initramfs: string;
  /** The device tree blob, for machines whose start-qemu.sh passes -dtb. */
  readonly dtb?: string;
}

/** Replaces the value after `flag`; a board whose invocation has the flag must be given a value for it. */
function replaceFlagValue(args: string[], flag: string, value: string | undefined, what: string): void {
  const at = args.indexOf(flag);
  if (at < 0) return;
  if (value === undefined) throw new Error(`this board's QEMU invocation takes ${flag}: ${what}`);
  args[at + 1] = value;
}

/** QEMU arguments that boot a test kernel and initramfs on the board's machine (start-qemu.sh's, with the cpio as initrd). */
export function initramfsBootArgs(board: ResolvedBoard, files: TestBootFiles): { binary: string; args: string[] } {
  const { binary, args } = qemuInvocation({ ...board, config: { ...board.config, rootfsFormats: ["cpio"] } });
  const out = [...args];
  out[out.indexOf("-kernel") + 1] = files.kernel;
  out[out.indexOf("-initrd") + 1] = files.initramfs;
  replaceFlagValue(out, "-dtb", files.dtb, "the test kernel has no device tree blob");
  // The firmware start-qemu.sh boots with (Buildroot builds it), as Debian's package ships it.
  const firmware = board.arch.firmware?.debianPath;
  if (firmware !== undefined && !existsSync(firmware))
    throw new Error(`${firmware} is missing: install Debian's opensbi package`);
  replaceFlagValue(out, "-bios", firmware, "firmware");
  out[out.indexOf("-append") + 1] = `${out[out.indexOf("-append") + 1]} ${TEST_CMDLINE}`;
  return { binary, args: out };
}

/** QEMU arguments that boot a built image (start-qemu.sh's) in acceptance mode. */
export function imageBootArgs(board: ResolvedBoard): { binary: string; args: string[] } {
  const { binary, args } = qemuInvocation(board);
  const out = [...args];
  out[out.indexOf("-append") + 1] = `${out[out.indexOf("-append") + 1]} ${TEST_CMDLINE} br_criu.acceptance=1`;
  return { binary, args: out };
}

export async function runAcceptance(options: {
  binary: string;
  args: readonly string[];
  cwd?: string;
  timeoutMs: number;
  logFile: string;
  /** The test system runs ZDTM after the acceptance script: the run ends with the runner's last line. */
  zdtm?: boolean;
}): Promise<AcceptanceRun> {
  // A kernel panic ends the run too: not every machine resets on panic=-1.
  const last = options.zdtm ? ZDTM_DONE : ACCEPTANCE_DONE;
  const boot = await bootQemu({
    ...options,
    doneMarker: new RegExp(`${consoleLine(last).source}|end Kernel panic`, "m"),
    milestones: { acceptance: consoleLine(ACCEPTANCE_DONE) },
  });
  return { boot, report: parseAcceptance(boot.console) };
}

/** One line per step, then the verdict, for people and CI logs. */
export function formatAcceptance(stack: string, run: AcceptanceRun): string {
  const lines = run.report.steps.map(
    (s) => `BR-CRIU-RESULT ${stack} ${s.step} ${s.ok ? "ok" : "FAIL"} ${s.ms}ms${s.detail ? ` ${s.detail}` : ""}`,
  );
  if (run.boot.timedOut)
    lines.push(`BR-CRIU-RESULT ${stack} boot FAIL timed out after ${run.boot.seconds.toFixed(1)}s`);
  for (const line of run.report.log) lines.push(`  | ${line}`);
  lines.push(
    run.report.passed
      ? `${stack}: CRIU acceptance passed in ${(run.boot.milestones["acceptance"] ?? run.boot.seconds).toFixed(1)} s (boot to result)`
      : `${stack}: CRIU acceptance FAILED at ${run.report.firstFailure ?? "boot"}; full console log: ${run.boot.logFile}`,
  );
  return lines.join("\n");
}
