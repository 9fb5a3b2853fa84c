import * as pulumi from "@pulumi/pulumi";
import { logStagePlan } from "./log-plan";
import type { StageArgs } from "./stage-args";
import { brCriu, runStage, stageStep, stageTriggers } from "./stage-command";

export interface KernelArgs extends StageArgs {
  /** Kernel version (names Buildroot's build directory, linux-<version>). */
  readonly kernelVersion: string;
}

/**
 * Configures the kernel (`linux-reconfigure`), checks the resolved kernel
 * .config against every requested CRIU option with the Kconfig library (a
 * dropped option fails the update with its unmet dependency named), then
 * builds it.
 */
export class Kernel extends pulumi.ComponentResource {
  public readonly command: pulumi.CustomResource;

  constructor(name: string, args: KernelArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:build:Kernel", name, {}, opts);
    logStagePlan(this, "kernel", args.plan);
    this.command = runStage(this, `${name}-make`, "kernel", {
      ...args,
      steps: (runner) => [
        stageStep(runner, args, "kernel-configure", [args.defconfig]),
        brCriu("check-kernel", args.stack, "--tree", `${args.paths.output}/build/linux-${args.kernelVersion}`),
        stageStep(runner, args, "kernel", [args.defconfig]),
      ],
      triggers: stageTriggers(args.inputs, args.upstream),
      dependsOn: args.upstream,
    });
    this.registerOutputs({ id: this.command.id });
  }
}
