import * as pulumi from "@pulumi/pulumi";
import { logStagePlan } from "./log-plan";
import type { StageArgs } from "./stage-args";
import { runStage, stageStep, stageTriggers } from "./stage-command";

/** Builds every package into the target directory (`make target-finalize`), CRIU included. */
export class Rootfs extends pulumi.ComponentResource {
  public readonly command: pulumi.CustomResource;

  constructor(name: string, args: StageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:build:Rootfs", name, {}, opts);
    logStagePlan(this, "rootfs", args.plan);
    this.command = runStage(this, `${name}-make`, "rootfs", {
      ...args,
      steps: (runner) => [stageStep(runner, args, "rootfs", [args.defconfig])],
      triggers: stageTriggers(args.inputs, args.upstream),
      dependsOn: args.upstream,
    });
    this.registerOutputs({ id: this.command.id });
  }
}
