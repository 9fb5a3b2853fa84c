/**
 * The runtime acceptance test: boot a kernel with the test initramfs (or a
 * built image) under QEMU, collect the acceptance steps from the console.
 */
import type { ResolvedBoard } from "@br-criu/model";
import { qemuInvocation } from "@br-criu/generators";
import { parseAcceptance, type AcceptanceReport } from "./results";
import { bootQemu, type BootResult } from "./qemu";

export interface AcceptanceRun {
  readonly boot: BootResult;
  readonly report: AcceptanceReport;
}

/** Kernel command line additions: panic reboots at once, so a crash ends QEMU too. */
const TEST_CMDLINE = "panic=-1";

/** QEMU arguments that boot `kernel` with `initramfs` on the board's machine. */
export function initramfsBootArgs(board: ResolvedBoard, kernel: string, initramfs: string): { binary: string; args: string[] } {
  const { binary, args } = qemuInvocation({ ...board, config: { ...board.config, rootfsFormats: ["cpio"] } });
  const out = [...args];
  out[out.indexOf("-kernel") + 1] = kernel;
  out[out.indexOf("-initrd") + 1] = initramfs;
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

export async function runAcceptance(options: { binary: string; args: readonly string[]; cwd?: string; timeoutMs: number; logFile: string }): Promise<AcceptanceRun> {
  const boot = await bootQemu({ ...options, doneMarker: /^BR-CRIU-DONE (ok|fail)\s*$/m });
  return { boot, report: parseAcceptance(boot.console) };
}

/** One line per step, then the verdict, for people and CI logs. */
export function formatAcceptance(stack: string, run: AcceptanceRun): string {
  const lines = run.report.steps.map((s) => `BR-CRIU-RESULT ${stack} ${s.step} ${s.ok ? "ok" : "FAIL"} ${s.ms}ms${s.detail ? ` ${s.detail}` : ""}`);
  if (run.boot.timedOut) lines.push(`BR-CRIU-RESULT ${stack} boot FAIL timed out after ${run.boot.seconds.toFixed(1)}s`);
  for (const line of run.report.log) lines.push(`  | ${line}`);
  lines.push(
    run.report.passed
      ? `${stack}: CRIU acceptance passed in ${run.boot.seconds.toFixed(1)} s (boot to result)`
      : `${stack}: CRIU acceptance FAILED at ${run.report.firstFailure ?? "boot"}; full console log: ${run.boot.logFile}`,
  );
  return lines.join("\n");
}
