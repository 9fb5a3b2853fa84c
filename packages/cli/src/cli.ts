/**
 * br-criu command line: `plan`, `diff` and `generate`. The commands resolve
 * every stack they touch before writing anything, so a bad stack writes
 * nothing.
 */
import { join, resolve } from "node:path";
import { diffConfigs, isEmptyDiff, parseConfig, describeValue, type KconfigValue } from "@br-criu/kconfig";
import type { ResolvedBoard } from "@br-criu/model";
import { planSummary, renderBoardFiles, renderDefconfig, renderKernelFragment } from "@br-criu/generators";
import {
  StackError,
  findProjectRoot,
  gitRevision,
  listStacks,
  loadProject,
  loadStack,
  resolveStack,
  workingTree,
  type FileSource,
  type Project,
} from "@br-criu/stacks";
import { UsageError, parseArgs, type ParsedArgs } from "./args";
import { verifyKernel } from "./verify-kernel";
import { checkBuildrootConfig, checkKernel } from "./check-build";
import { bootTest } from "./boot-test";
import { generate, writeRendered } from "./generate";
import { planJson } from "./plan-json";

export interface CliIo {
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const USAGE = `usage:
  br-criu plan <stack>|--all [--json] [--out DIR]
  br-criu diff <stackA> <stackB>
  br-criu diff <stack> --since <git-ref>
  br-criu generate [--check]
  br-criu verify-kernel <stack>|--all [--json] [--source DIR] [--work DIR]
  br-criu check-buildroot-config <stack> --config PATH
  br-criu check-kernel <stack> --tree DIR
  br-criu boot-test <stack> [--kernel PATH --initramfs PATH | --images DIR] [--fragment FILE] [--json] [--log FILE] [--timeout S]
options for every command: --project DIR (directory holding Pulumi.yaml; default: found from the current directory)`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "plan":
        return plan(rest, io);
      case "diff":
        return diff(rest, io);
      case "generate":
        return generateCommand(rest, io);
      case "verify-kernel":
        return await verifyKernel(rest, io);
      case "check-buildroot-config":
        return checkBuildrootConfig(rest, io);
      case "check-kernel":
        return checkKernel(rest, io);
      case "boot-test":
        return await bootTest(rest, io);
      default:
        throw new UsageError(command === undefined ? "no command given" : `unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`br-criu: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof StackError) {
      io.stderr(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

export function openProject(projectFlag: string | undefined, io: CliIo): Project {
  return loadProject(projectFlag ? resolve(io.cwd, projectFlag) : findProjectRoot(io.cwd));
}

export interface ResolvedStack {
  readonly name: string;
  readonly file: string;
  readonly board: ResolvedBoard;
}

/** Resolves the named stacks; every problem of every stack is reported together. */
function resolveStacks(project: Project, names: readonly string[], files: FileSource = workingTree(project.root)): ResolvedStack[] {
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
  if (all === (args.positional.length > 0) || args.positional.length > 1) {
    throw new UsageError(`${command} takes one stack name or --all`);
  }
  return resolveStacks(project, all ? listStacks(project) : [...args.positional]);
}

function plan(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, ["--all", "--json"], ["--out", "--project"]);
  const project = openProject(args.values.get("--project"), io);
  const stacks = selectedStacks("plan", args, project);
  const outDir = args.values.get("--out");
  if (outDir) {
    const base = resolve(io.cwd, outDir);
    for (const { board, file } of stacks) {
      for (const rendered of renderBoardFiles(board, file)) writeRendered(join(base, rendered.path), rendered);
    }
  }
  if (args.flags.has("--json")) {
    io.stdout(`${JSON.stringify(stacks.map(({ name, file, board }) => planJson(name, file, board)), null, 2)}\n`);
  } else {
    io.stdout(stacks.map(({ board, file }) => planSummary(board, file)).join("\n"));
  }
  return 0;
}

interface RenderedConfigs {
  readonly defconfig: Map<string, KconfigValue>;
  readonly fragment: Map<string, KconfigValue>;
}

function renderedConfigs({ board, file }: ResolvedStack): RenderedConfigs {
  return {
    defconfig: parseConfig(renderDefconfig(board, file), file),
    fragment: parseConfig(renderKernelFragment(board, file), file),
  };
}

function diff(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, [], ["--since", "--project"]);
  const project = openProject(args.values.get("--project"), io);
  const since = args.values.get("--since");
  let before: ResolvedStack;
  let after: ResolvedStack;
  if (since !== undefined) {
    if (args.positional.length !== 1) throw new UsageError("diff --since takes exactly one stack");
    const name = args.positional[0]!;
    const old = gitRevision(project.root, since);
    [before] = resolveStacks(loadProject(project.root, old), [name], old);
    [after] = resolveStacks(project, [name]);
  } else {
    if (args.positional.length !== 2) throw new UsageError("diff takes two stacks, or one stack with --since <git-ref>");
    [before, after] = resolveStacks(project, args.positional);
  }
  const left = renderedConfigs(before!);
  const right = renderedConfigs(after!);
  const title = since !== undefined ? `${after!.name}: ${since} -> working tree` : `${before!.name} -> ${after!.name}`;
  const out = [title];
  for (const [label, a, b] of [
    ["Buildroot defconfig", left.defconfig, right.defconfig],
    ["Kernel fragment", left.fragment, right.fragment],
  ] as const) {
    const changes = diffConfigs(a, b);
    out.push(`${label}:`);
    if (isEmptyDiff(changes)) out.push("  (no changes)");
    for (const { symbol, value } of changes.removed) out.push(`  - ${symbol}=${describeValue(value)}`);
    for (const { symbol, value } of changes.added) out.push(`  + ${symbol}=${describeValue(value)}`);
    for (const { symbol, from, to } of changes.changed) out.push(`  ~ ${symbol}: ${describeValue(from)} -> ${describeValue(to)}`);
  }
  io.stdout(`${out.join("\n")}\n`);
  return 0;
}

function generateCommand(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, ["--check"], ["--project"]);
  if (args.positional.length > 0) throw new UsageError("generate takes no stack names: it regenerates every stack");
  const project = openProject(args.values.get("--project"), io);
  const stacks = resolveStacks(project, listStacks(project));
  const result = generate(project.root, stacks, { check: args.flags.has("--check") });
  for (const line of result.report) io.stdout(`${line}\n`);
  return result.drifted.length > 0 && args.flags.has("--check") ? 1 : 0;
}
