/**
 * What every br-criu command shares: the output streams, the project it works
 * on, and the stacks it was asked for (resolved, every problem reported
 * together).
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { ResolvedBoard } from "@br-criu/model";
import {
  StackError,
  findProjectRoot,
  listStacks,
  loadProject,
  loadStack,
  resolveStack,
  workingTree,
  type FileSource,
  type Project,
} from "@br-criu/stacks";
import { PathError, UsageError, type ParsedArgs } from "./args";

export interface CliIo {
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export function openProject(projectFlag: string | undefined, io: CliIo): Project {
  if (projectFlag === undefined) {
    try {
      return loadProject(findProjectRoot(io.cwd));
    } catch (error) {
      if (error instanceof StackError) throw error;
      throw new PathError((error as Error).message);
    }
  }
  const root = resolve(io.cwd, projectFlag);
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new PathError(`--project ${projectFlag}: no such directory`);
  return loadProject(root);
}

export interface ResolvedStack {
  readonly name: string;
  readonly file: string;
  readonly board: ResolvedBoard;
}

/** Resolves the named stacks; every problem of every stack is reported together. */
export function resolveStacks(
  project: Project,
  names: readonly string[],
  files: FileSource = workingTree(project.root),
): ResolvedStack[] {
  const resolved: ResolvedStack[] = [];
  const errors: StackError[] = [];
  for (const name of names) {
    try {
      const stack = loadStack(project, name, files);
      resolved.push({ name, file: stack.file, board: resolveStack(stack) });
    } catch (error) {
      if (!(error instanceof StackError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new StackError(errors.flatMap((error) => error.problems));
  return resolved;
}

/** `<stack>` or `--all`, as plan and verify-kernel take them. */
export function selectedStacks(command: string, args: ParsedArgs, project: Project): ResolvedStack[] {
  const all = args.flags.has("--all");
  if (all === args.positional.length > 0 || args.positional.length > 1) {
    throw new UsageError(`${command} takes one stack name or --all`);
  }
  return resolveStacks(project, all ? listStacks(project) : [...args.positional]);
}
