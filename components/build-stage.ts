import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { InputMap, Runner, StageCommands, StageContext, StagePaths, StagePlan } from "@br-criu/planner";
import { logStagePlan } from "./internal/log-plan";
import { runStage, stageTriggers } from "./internal/stage-command";

/** What every build stage takes. */
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

export interface BuildStageArgs extends StageArgs {
  /** Pulumi type token of the stage, e.g. br-criu:build:Kernel. */
  readonly type: string;
  /** Stage name in logs and container names (toolchain, config, kernel, rootfs, image). */
  readonly stage: string;
  /** Name suffix of the stage's command resource. */
  readonly commandSuffix: string;
  /** The stage's command lines (planner's toolchainCommands, kernelCommands, ...). */
  readonly commands: (context: StageContext) => StageCommands;
  /** Trigger values beyond the inputs (the clean-build epoch). */
  readonly extraTriggers?: readonly unknown[];
  /** Environment of the command (the image stage's build record). */
  readonly environment?: Record<string, pulumi.Input<string>>;
}

/**
 * One Buildroot stage: a command that runs the stage's steps, whose triggers
 * are exactly its inputs (so `preview --diff` shows one line per changed
 * option) and the ids of the stages it builds on.
 */
export class BuildStage extends pulumi.ComponentResource {
  /** The stage's command; later stages depend on it. */
  public readonly command: command.local.Command;
  /** Changes whenever the stage re-runs. */
  public readonly id: pulumi.Output<string>;
  /** What the stage printed (Buildroot's `>>>` lines; the image stage's manifest). */
  public readonly stdout: pulumi.Output<string>;

  constructor(name: string, args: BuildStageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(args.type, name, {}, opts);
    logStagePlan(this, args.stage, args.plan);
    const context = (runner: Runner): StageContext => ({
      runner,
      paths: args.paths,
      stack: args.stack,
      defconfig: args.defconfig,
    });
    this.command = runStage(this, `${name}-${args.commandSuffix}`, args.stage, {
      ...args,
      steps: (runner) => [...args.commands(context(runner)).create],
      deleteSteps: (runner) => [...args.commands(context(runner)).delete],
      triggers: stageTriggers(args.inputs, args.upstream, ...(args.extraTriggers ?? [])),
      ...(args.environment ? { environment: args.environment } : {}),
      dependsOn: args.upstream,
    });
    this.id = this.command.id;
    this.stdout = this.command.stdout;
    this.registerOutputs({ id: this.id, stdout: this.stdout });
  }
}
