/**
 * Boots a kernel under QEMU (TCG: KVM hangs on these machines), captures the
 * serial console, and stops at a hard timeout.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";

export interface BootOptions {
  readonly binary: string;
  readonly args: readonly string[];
  /** Working directory (images directory for start-qemu-style relative paths). */
  readonly cwd?: string;
  readonly timeoutMs: number;
  /** Where the full console log is written. */
  readonly logFile: string;
  /**
   * The guest's last line: QEMU is stopped as soon as the console shows it.
   * The guest waits to be stopped rather than rebooting at once, since a
   * reboot drops what the serial driver has not sent yet (its last lines).
   */
  readonly doneMarker?: RegExp;
  /** Named lines whose first appearance is timed (seconds from start, in the result). */
  readonly milestones?: Readonly<Record<string, RegExp>>;
}

export interface BootResult {
  readonly console: string;
  readonly timedOut: boolean;
  readonly exitCode: number | null;
  readonly seconds: number;
  /** When each milestone's line first appeared, in seconds from start. */
  readonly milestones: Readonly<Record<string, number>>;
  readonly logFile: string;
}

export function bootQemu(options: BootOptions): Promise<BootResult> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(options.binary, ["-accel", "tcg", "-no-reboot", ...options.args], {
      cwd: options.cwd,
      // Boards with sound hardware (vexpress-a9) would otherwise look for a host sound server.
      env: { ...process.env, QEMU_AUDIO_DRV: "none" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The guest's serial console is QEMU's stdout. QEMU's own messages (stderr,
    // e.g. "terminating on signal 15") are kept apart and added after it: mixed
    // in as they came, one could land inside the guest's last, unfinished line.
    let console = "";
    let qemuMessages = "";
    let timedOut = false;
    let doneAt: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    const milestones: Record<string, number> = {};
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      console += chunk;
      for (const [name, pattern] of Object.entries(options.milestones ?? {}))
        if (!(name in milestones) && pattern.test(console)) milestones[name] = (Date.now() - started) / 1000;
      // Everything the guest printed before its last line has arrived: stop QEMU
      // (SIGTERM lets it close its disk images; SIGKILL if it does not end).
      if (options.doneMarker && !doneAt && options.doneMarker.test(console)) {
        child.kill("SIGTERM");
        doneAt = setTimeout(() => child.kill("SIGKILL"), 5000);
      }
    });
    child.stderr.on("data", (chunk: string) => (qemuMessages += chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(
        new Error(
          `cannot start ${options.binary}: ${error.message} (install Debian's qemu-system-x86, qemu-system-arm, qemu-system-ppc or qemu-system-misc)`,
        ),
      );
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (doneAt) clearTimeout(doneAt);
      if (qemuMessages) console += `${console.endsWith("\n") ? "" : "\n"}${qemuMessages}`;
      writeFileSync(options.logFile, console);
      resolvePromise({
        console,
        timedOut,
        exitCode: code,
        seconds: (Date.now() - started) / 1000,
        milestones,
        logFile: options.logFile,
      });
    });
  });
}
