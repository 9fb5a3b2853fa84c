import * as pulumi from "@pulumi/pulumi";
import { parseComparison, reproducibilityCheck, type Runner, type StagePaths } from "@br-criu/planner";
import type { StageArgs } from "./build-stage";
import { runStage } from "./internal/stage-command";

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
    const check = (runner: Runner) =>
      reproducibilityCheck(
        runner,
        args.paths,
        args.stack,
        args.defconfig,
        args.secondOutput,
        "packages/build-env/stage.sh",
      );
    const command = runStage(this, `${name}-second-build`, "verify", {
      ...args,
      steps: (runner) => [...check(runner).create],
      deleteSteps: (runner) => [...check(runner).delete],
      triggers: args.upstream.map((r) => pulumi.output(r).id),
      dependsOn: args.upstream,
    });
    const verdict = command.stdout.apply(parseComparison);
    this.reproducible = verdict.apply((v) => v.identical);
    this.differingFiles = verdict.apply((v) => v.differing);
    this.registerOutputs({ reproducible: this.reproducible, differingFiles: this.differingFiles });
  }
}
