import type * as pulumi from "@pulumi/pulumi";
import type { InputMap, Runner, StagePaths, StagePlan } from "@br-criu/planner";

/** What every build stage component takes. */
export interface StageArgs {
  /** How to run stage.sh (from BuildEnvironment). */
  readonly runner: pulumi.Input<Runner>;
  /** Host paths of the Buildroot checkout, BR2_EXTERNAL tree and this stack's output directory. */
  readonly paths: StagePaths;
  /** Stack name: names containers and selects the stack in br-criu checks. */
  readonly stack: string;
  /** Buildroot defconfig of the board, e.g. qemu_aarch64_criu_defconfig. */
  readonly defconfig: string;
  /** Repository root (br-criu checks run from here). */
  readonly repoRoot: string;
  /** Exactly the inputs this stage depends on, sorted; a change re-runs the stage. */
  readonly inputs: InputMap;
  /** The planner's verdict for this stage, logged so that previews say why it re-runs. */
  readonly plan: StagePlan;
  /** Resources whose replacement must re-run this stage (their ids join the triggers). */
  readonly upstream: pulumi.Input<pulumi.CustomResource>[];
}
