import { shellQuote } from "@br-criu/generators";
import * as pulumi from "@pulumi/pulumi";
import { parseManifest } from "@br-criu/planner";
import { logStagePlan } from "./log-plan";
import type { StageArgs } from "./stage-args";
import { runStage, stageStep, stageTriggers } from "./stage-command";

export interface ImageArgs extends StageArgs {
  /** JSON build record the next plan compares against; written after a successful build. */
  readonly record: string;
  /** Where the record is written. */
  readonly recordFile: string;
}

/**
 * Produces the images (`make`), writes images/manifest.sha256 and, once the
 * build has succeeded, the build record the planner reads next time.
 */
export class Image extends pulumi.ComponentResource {
  public readonly command: pulumi.CustomResource;
  /** sha256 of every file in output/images, by file name. */
  public readonly manifest: pulumi.Output<Record<string, string>>;
  /** Host path of every file in output/images, by file name. */
  public readonly files: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:build:Image", name, {}, opts);
    logStagePlan(this, "image", args.plan);
    const command = runStage(this, `${name}-make`, "image", {
      ...args,
      steps: (runner) => [stageStep(runner, args, "image", [args.defconfig]), `printf '%s\\n' "$BR_CRIU_RECORD" > ${shellQuote(args.recordFile)}`],
      triggers: stageTriggers(args.inputs, args.upstream),
      environment: { BR_CRIU_RECORD: args.record },
      dependsOn: args.upstream,
    });
    this.command = command;
    this.manifest = command.stdout.apply(parseManifest);
    this.files = this.manifest.apply((manifest) =>
      Object.fromEntries(Object.keys(manifest).map((file) => [file, `${args.paths.output}/images/${file}`])),
    );
    this.registerOutputs({ manifest: this.manifest, files: this.files });
  }
}
