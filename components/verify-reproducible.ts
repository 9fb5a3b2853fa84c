import * as pulumi from "@pulumi/pulumi";
import type { StagePaths } from "@br-criu/planner";
import { parseComparison } from "@br-criu/planner";
import type { StageArgs } from "./stage-args";
import { runStage, stageStep } from "./stage-command";

export interface VerifyReproducibleArgs extends Omit<StageArgs, "paths" | "inputs" | "plan"> {
  /** Paths of the first build. */
  readonly paths: StagePaths;
  /** A fresh output directory for the second build; mounted at the same O= path. */
  readonly secondOutput: string;
}

/**
 * Builds the board a second time in a fresh output directory (same O= path
 * inside the container) and compares the image manifests.
 */
export class VerifyReproducible extends pulumi.ComponentResource {
  /** True when every image file is bit-identical. */
  public readonly reproducible: pulumi.Output<boolean>;
  /** Image files whose hashes differ between the two builds. */
  public readonly differingFiles: pulumi.Output<string[]>;

  constructor(name: string, args: VerifyReproducibleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:build:VerifyReproducible", name, {}, opts);
    const second = { ...args, paths: { ...args.paths, output: args.secondOutput } };
    const stages = ["toolchain", "config", "kernel-configure", "kernel", "rootfs", "image"];
    const command = runStage(this, `${name}-second-build`, "verify", {
      ...second,
      steps: (runner) => [
        `mkdir -p '${args.secondOutput}'`,
        ...stages.map((stage) => stageStep(runner, second, stage, [args.defconfig])),
        // A difference is a verdict to export, not a failed update.
        `{ packages/build-env/stage.sh compare-manifests '${args.paths.output}/images/manifest.sha256' '${args.secondOutput}/images/manifest.sha256' || true; }`,
      ],
      deleteSteps: (runner) => [stageStep(runner, second, "clean", []), `rmdir '${args.secondOutput}' 2>/dev/null || true`],
      triggers: args.upstream.map((r) => pulumi.output(r).id),
      dependsOn: args.upstream,
    });
    const verdict = command.stdout.apply(parseComparison);
    this.reproducible = verdict.apply((v) => v.identical);
    this.differingFiles = verdict.apply((v) => v.differing);
    this.registerOutputs({ reproducible: this.reproducible, differingFiles: this.differingFiles });
  }
}
