import * as pulumi from "@pulumi/pulumi";
import { logStagePlan } from "./log-plan";
import type { StageArgs } from "./stage-args";
import { runStage, stageStep, stageTriggers } from "./stage-command";

export interface ToolchainArgs extends StageArgs {
  /** Clean-build counter from the planner; a new epoch re-runs every stage from scratch. */
  readonly epoch: number;
}

/**
 * First stage: empties the output directory, configures, builds the
 * toolchain. Re-running it is a clean build (Buildroot cannot change a
 * toolchain in place); its delete removes the stack's output directory.
 */
export class Toolchain extends pulumi.ComponentResource {
  public readonly command: pulumi.CustomResource;

  constructor(name: string, args: ToolchainArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:build:Toolchain", name, {}, opts);
    logStagePlan(this, "toolchain", args.plan);
    this.command = runStage(this, `${name}-make`, "toolchain", {
      ...args,
      steps: (runner) => [`mkdir -p '${args.paths.output}'`, stageStep(runner, args, "toolchain", [args.defconfig])],
      deleteSteps: (runner) => [stageStep(runner, args, "clean", []), `rmdir '${args.paths.output}' 2>/dev/null || true`],
      triggers: stageTriggers(args.inputs, args.upstream, args.epoch),
      dependsOn: args.upstream,
    });
    this.registerOutputs({ id: this.command.id });
  }
}
