import * as pulumi from "@pulumi/pulumi";
import { buildrootTreeSteps, type Runner, type StagePaths } from "@br-criu/planner";
import { runStage } from "./internal/stage-command";

export interface BuildrootTreeArgs {
  /** How to run stage.sh (from BuildEnvironment). */
  readonly runner: pulumi.Input<Runner>;
  /** Host paths; `buildroot` is where the checkout lives (shared by stacks on the same commit). */
  readonly paths: StagePaths;
  /** Stack name (container names). */
  readonly stack: string;
  /** Repository root. */
  readonly repoRoot: string;
  /** Buildroot git repository. */
  readonly url: string;
  /** Release tag, e.g. 2026.02.3. */
  readonly tag: string;
  /** Commit the tag must resolve to; the checkout is refused otherwise. */
  readonly commit: string;
  /** Resources that must exist first (the build environment). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The pinned Buildroot checkout, verified against its commit; the BR2_EXTERNAL tree sits beside it. */
export class BuildrootTree extends pulumi.ComponentResource {
  /** The checkout step; its id changes when the checkout is redone. */
  public readonly checkout: pulumi.CustomResource;
  /** "buildroot <tag> <commit>" as the checkout reported it. */
  public readonly verified: pulumi.Output<string>;

  constructor(name: string, args: BuildrootTreeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:build:BuildrootTree", name, {}, opts);
    const checkout = runStage(this, `${name}-checkout`, "buildroot-tree", {
      ...args,
      steps: (runner) =>
        buildrootTreeSteps(runner, args.paths, args.stack, { url: args.url, tag: args.tag, commit: args.commit }),
      triggers: [{ url: args.url, tag: args.tag, commit: args.commit }],
      dependsOn: args.dependsOn,
    });
    this.checkout = checkout;
    this.verified = checkout.stdout.apply((out) => out.trim());
    this.registerOutputs({ verified: this.verified });
  }
}
