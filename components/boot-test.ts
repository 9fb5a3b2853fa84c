import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { shellCommandLine } from "@br-criu/generators";
import { parseBootTestJson } from "@br-criu/runtime";

export interface BootTestArgs {
  /** Stack name (selects the board for `br-criu boot-test`). */
  readonly stack: string;
  /** Repository root (the CLI runs from here). */
  readonly repoRoot: string;
  /** Host path of the stack's output/images. */
  readonly imagesDir: string;
  /** Upper bound for boot plus test, seconds (QEMU TCG). */
  readonly timeoutSeconds: number;
  /** The image stage: a new image re-runs the test. */
  readonly image: pulumi.CustomResource;
}

/**
 * Boots the built image with its own QEMU arguments (start-qemu.sh's, plus
 * br_criu.acceptance=1) and runs the CRIU acceptance test from the image:
 * criu check, dump, frozen, restore, resumed. A failure is reported as an
 * error of the update; the results are outputs either way.
 */
export class BootTest extends pulumi.ComponentResource {
  public readonly criuCheck: pulumi.Output<boolean>;
  public readonly dumpRestore: pulumi.Output<boolean>;
  /** Milliseconds per acceptance step, and seconds from boot to result. */
  public readonly timings: pulumi.Output<Record<string, number>>;

  constructor(name: string, args: BootTestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:build:BootTest", name, {}, opts);
    const run = new command.local.Command(
      `${name}-qemu`,
      {
        // The JSON report is the result; the exit status only says pass/fail.
        create: `${shellCommandLine(["npx", "--no-install", "tsx", "packages/cli/src/main.ts", "boot-test", args.stack, "--images", args.imagesDir, "--timeout", String(args.timeoutSeconds), "--json"])} || true`,
        dir: args.repoRoot,
        triggers: [args.image.id],
        logging: "stderr",
      },
      { parent: this, dependsOn: [args.image] },
    );
    const report = run.stdout.apply((stdout) => {
      const parsed = parseBootTestJson(stdout);
      if (!parsed.passed) {
        void pulumi.log.error(
          `CRIU acceptance failed at ${parsed.firstFailure ?? "boot"} (${parsed.steps.map((s) => `${s.step} ${s.ok ? "ok" : "FAIL"}`).join(", ")}); console log: ${parsed.consoleLog ?? "none"}`,
          this,
        );
      }
      return parsed;
    });
    this.criuCheck = report.apply((r) => r.criuCheck);
    this.dumpRestore = report.apply((r) => r.dumpRestore);
    this.timings = report.apply((r) => ({
      ...r.timings,
      ...Object.fromEntries(r.steps.map((s) => [`${s.step}Ms`, s.ms])),
    }));
    this.registerOutputs({ criuCheck: this.criuCheck, dumpRestore: this.dumpRestore, timings: this.timings });
  }
}
