/**
 * The one way br-criu stages run a command: a `command.local.Command` whose
 * triggers are the stage's inputs, that streams the stage's progress and
 * removes its container on delete. Shared by the stage components.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { removeContainerCommand, type InputMap, type Runner } from "@br-criu/planner";

export interface StageCommandArgs {
  readonly runner: pulumi.Input<Runner>;
  /** Stack name: the delete step removes this stack's left-over containers. */
  readonly stack: string;
  /** Repository root: checks run `br-criu` from here. */
  readonly repoRoot: string;
  /** Shell steps, each built from the runner; joined with &&. */
  readonly steps: (runner: Runner) => string[];
  /** Extra delete steps after the container is removed. */
  readonly deleteSteps?: (runner: Runner) => string[];
  /** Replacement happens exactly when these change. */
  readonly triggers: pulumi.Input<unknown>[];
  readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export function runStage(
  parent: pulumi.Resource,
  name: string,
  stage: string,
  args: StageCommandArgs,
): command.local.Command {
  return new command.local.Command(
    name,
    {
      create: pulumi.output(args.runner).apply((runner) => args.steps(runner).join(" && \\\n")),
      delete: pulumi
        .output(args.runner)
        .apply((runner) =>
          [removeContainerCommand(runner, args.stack, stage), ...(args.deleteSteps?.(runner) ?? [])].join("\n"),
        ),
      dir: args.repoRoot,
      triggers: args.triggers,
      ...(args.environment ? { environment: args.environment } : {}),
      logging: "stdoutAndStderr",
    },
    { parent, dependsOn: args.dependsOn, deleteBeforeReplace: true },
  );
}

/**
 * A stage's triggers: its inputs map first (so `preview --diff` shows one line
 * per changed key), then extra values, then the ids of the stages it builds
 * on, so that replacing one of those re-runs this one.
 */
export function stageTriggers(
  inputs: InputMap,
  upstream: readonly pulumi.Input<pulumi.CustomResource>[],
  ...extra: unknown[]
): pulumi.Input<unknown>[] {
  return [inputs, ...extra, ...upstream.map((resource) => pulumi.output(resource).id)];
}
