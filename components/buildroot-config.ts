import * as pulumi from "@pulumi/pulumi";
import { logStagePlan } from "./log-plan";
import type { StageArgs } from "./stage-args";
import { brCriu, runStage, stageStep, stageTriggers } from "./stage-command";

/**
 * Applies the generated defconfig (`make <board>_criu_defconfig`) and reads
 * the resolved .config back: the update fails, naming each option, if
 * Buildroot's Kconfig dropped or changed any generated BR2_ option.
 */
export class BuildrootConfig extends pulumi.ComponentResource {
  public readonly command: pulumi.CustomResource;

  constructor(name: string, args: StageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:build:BuildrootConfig", name, {}, opts);
    logStagePlan(this, "config", args.plan);
    this.command = runStage(this, `${name}-defconfig`, "config", {
      ...args,
      steps: (runner) => [
        stageStep(runner, args, "config", [args.defconfig]),
        brCriu("check-buildroot-config", args.stack, "--config", `${args.paths.output}/.config`),
      ],
      triggers: stageTriggers(args.inputs, args.upstream),
      dependsOn: args.upstream,
    });
    this.registerOutputs({ id: this.command.id });
  }
}
