/**
 * The stack's configuration as Pulumi hands it to the program, validated by
 * the same schema and rules as `npm run plan`, before any resource exists.
 */
import * as pulumi from "./pulumi-sdk";
import { resolveBoard, type ResolvedBoard } from "@br-criu/model";
import { StackError, decodeStackConfig, stackFilePath, type Project } from "@br-criu/stacks";

/**
 * Reads every `br-criu:` key of the stack with the same reader as `npm run
 * plan` (Pulumi hands the program text; it is decoded by declared type), and
 * refuses keys of unknown namespaces the same way.
 */
export function readRawConfig(
  project: Project,
  stack: string,
  all: Readonly<Record<string, string>> = pulumi.runtime.allConfig(),
): Record<string, unknown> {
  const { config, problems } = decodeStackConfig(all);
  if (problems.length > 0) throw new pulumi.RunError(StackError.of(stackFilePath(project, stack), problems).message);
  return config;
}

/** The resolved board of the current stack, or a RunError naming the stack file, key, problem and fix. */
export function boardForStack(project: Project, stack: string, raw: Record<string, unknown>): ResolvedBoard {
  const result = resolveBoard(raw);
  if (!result.ok) throw new pulumi.RunError(StackError.of(stackFilePath(project, stack), result.problems).message);
  return result.board;
}
