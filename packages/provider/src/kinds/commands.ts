/**
 * Running a resource's command lines on behalf of the engine: progress to
 * the engine as it comes, a failure as one message with the end of the
 * output, and after a cancel the clean-up lines (left-over containers),
 * which run outside the cancelled process groups.
 */
import type { DockerEndpoint, StageCommands } from "@br-criu/planner";
import { watchBuildHost } from "../host-watch";
import { CancelledError, ProcessGroups, StepFailedError, runLines, type RunResult } from "../run";
import type { KindContext } from "./kind";

export interface CommandRun {
  readonly dir: string;
  readonly commands: StageCommands;
  /** Names the work in progress lines and errors, e.g. "qemu-x86_64 kernel". */
  readonly what: string;
  /** Passes stdout lines on as progress (not for JSON reports). */
  readonly streamProgress: boolean;
  /** Added to a failure's message, e.g. where the full make log is. */
  readonly failureHint?: string;
  /** The remote build host the lines run on: watched, and a lost host stops them. */
  readonly buildHost?: DockerEndpoint;
}

/**
 * Runs the clean-up lines, then the create lines; on a cancel, the clean-up
 * lines again, then rethrows. Clean-up first: a run stopped because its
 * build host was lost leaves its containers there (the docker CLI lost its
 * connection, so `--rm` never applied), and a new container of the same
 * name is refused ("Conflict. The container name ... is already in use").
 */
export async function runCreate(run: CommandRun, context: KindContext): Promise<RunResult> {
  const total = run.commands.create.length;
  const groups = context.groups.child();
  let lost: string | undefined;
  const stopWatching = run.buildHost
    ? watchBuildHost(run.buildHost, (why) => {
        lost = why;
        void groups.cancelAll();
      })
    : () => undefined;
  let stdout = "";
  try {
    await runCleanup(run, context);
    for (const [index, line] of run.commands.create.entries()) {
      context.log.progress(context.urn, `${run.what}: step ${index + 1} of ${total}`);
      const result = await runLines([line], {
        dir: run.dir,
        groups,
        what: run.what,
        ...(run.streamProgress ? { onLine: (text: string) => text && context.log.progress(context.urn, text) } : {}),
      });
      stdout += result.stdout;
    }
    return { stdout };
  } catch (error) {
    if (error instanceof CancelledError) {
      await runCleanup(run, context);
      if (lost !== undefined && run.buildHost)
        throw new Error(
          `${run.what}: build host ${run.buildHost.host} stopped answering (${lost}); the stage was stopped and is not recorded as done: the next pulumi up runs it again once the host answers`,
          { cause: error },
        );
      throw error;
    }
    throw explained(error, run.failureHint);
  } finally {
    stopWatching();
    context.groups.release(groups);
  }
}

/** A failed step as one message: what failed, the end of its output, and where to look further. */
export function explained(error: unknown, hint?: string): unknown {
  if (!(error instanceof StepFailedError)) return error;
  return new Error(`${error.message}; last lines of its output:\n${error.tail}${hint ? `\n${hint}` : ""}`, {
    cause: error,
  });
}

/** The clean-up lines, in process groups of their own (the resource's may be cancelled). */
async function runCleanup(run: Pick<CommandRun, "dir" | "commands" | "what">, context: KindContext): Promise<void> {
  if (run.commands.cleanup.length === 0) return;
  try {
    await runLines(run.commands.cleanup, { dir: run.dir, groups: new ProcessGroups(), what: `${run.what} clean-up` });
  } catch (error) {
    context.log.warn(context.urn, (error as Error).message);
  }
}

/** Delete: the clean-up lines, then the delete lines. */
export async function runDelete(
  run: Pick<CommandRun, "dir" | "commands" | "what">,
  context: KindContext,
): Promise<void> {
  await runCleanup(run, context);
  if (run.commands.delete.length > 0)
    await runLines(run.commands.delete, { dir: run.dir, groups: context.groups, what: `${run.what} delete` });
}
