/**
 * br-criu command line: plan, diff, generate, verify-kernel,
 * check-buildroot-config, check-kernel, boot-test, test-kernels and all-stacks. The commands resolve
 * every stack they touch before writing anything, so a bad stack writes
 * nothing. Exit codes: 0 fine, 1 a stack or check failed, 2 usage or a path
 * that cannot be used, 70 an internal error.
 */
import { existsSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import {
  UnsafeValueError,
  diffConfigs,
  isEmptyDiff,
  parseConfig,
  describeValue,
  type KconfigValue,
} from "@br-criu/kconfig";
import { planSummary, renderBoardFiles, renderDefconfig, renderKernelFragment } from "@br-criu/generators";
import { StackError, gitRevision, listStacks, loadProject } from "@br-criu/stacks";
import { PathError, UsageError, parseArgs } from "./args";
import { openProject, resolveStacks, selectedStacks, type CliIo, type ResolvedStack } from "./project";
import { verifyKernel } from "./verify-kernel";
import { checkBuildrootConfig, checkKernel } from "./check-build";
import { bootTest } from "./boot-test";
import { testKernels } from "./test-kernels";
import { allStacks } from "./all-stacks";
import { writeFileWithMode } from "@br-criu/cache";
import { generate } from "./generate";
import { planJson } from "./plan-json";

const USAGE = `usage:
  br-criu plan <stack>|--all [--json] [--out DIR]
  br-criu diff <stackA> <stackB>
  br-criu diff <stack> --since <git-ref>
  br-criu generate [--check]
  br-criu verify-kernel <stack>|--all [--json] [--source DIR] [--work DIR]
  br-criu check-buildroot-config <stack> --config PATH
  br-criu check-kernel <stack> --tree DIR
  br-criu boot-test <stack> [--kernel PATH --initramfs PATH | --images DIR] [--fragment FILE] [--json] [--log FILE] [--timeout S]
  br-criu test-kernels <stack>... [--all]   (boot-test's kernels, built into the cache in this order)
  br-criu all-stacks up|preview|destroy [--parallel N]   (npm run up -- --all: every stack, N at a time)
options for every command: --project DIR (directory holding Pulumi.yaml; default: found from the current directory),
  --debug (stack trace on an internal error)`;

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
      case "test-kernels":
        return await testKernels(rest, io);
      case "all-stacks":
        return await allStacks(rest, io);
      default:
        throw new UsageError(command === undefined ? "no command given" : `unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`br-criu: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof PathError) {
      io.stderr(`br-criu: ${error.message}\n`);
      return 2;
    }
    if (error instanceof StackError) {
      io.stderr(`${error.message}\n`);
      return 1;
    }
    if (error instanceof UnsafeValueError) {
      // The grammars should have refused the value first; the writer refusing it is the second line of defence.
      io.stderr(`br-criu: refused to write an unsafe value: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** The directory `--out` names: created when missing, refused when it is a file. */
function outputDirectory(outFlag: string, io: CliIo): string {
  const base = resolve(io.cwd, outFlag);
  if (existsSync(base) && !statSync(base).isDirectory())
    throw new PathError(`--out ${outFlag}: is a file, not a directory; name a directory (it is created if missing)`);
  return base;
}

function plan(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, ["--all", "--json"], ["--out", "--project"]);
  const project = openProject(args.values.get("--project"), io);
  const stacks = selectedStacks("plan", args, project);
  const outFlag = args.values.get("--out");
  const written: string[] = [];
  if (outFlag) {
    const base = outputDirectory(outFlag, io);
    const rendered = stacks.flatMap(({ board, file }) => renderBoardFiles(board, file));
    for (const file of rendered) {
      const target = join(base, file.path);
      try {
        writeFileWithMode(target, file);
      } catch (error) {
        throw new PathError(
          `--out ${outFlag}: cannot write ${file.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
      written.push(relative(io.cwd, target) || target);
    }
  }
  const json = args.flags.has("--json");
  if (json) {
    io.stdout(
      `${JSON.stringify(
        stacks.map(({ name, file, board }) => planJson(name, file, board)),
        null,
        2,
      )}\n`,
    );
  } else {
    io.stdout(stacks.map(({ board, file }) => planSummary(board, file)).join("\n"));
  }
  // With --json, stdout stays one JSON document: the list of files goes to stderr.
  const list = written.map((path) => `wrote ${path}\n`).join("");
  if (list !== "") (json ? io.stderr : io.stdout)(list);
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
  let before: ResolvedStack | undefined;
  let after: ResolvedStack | undefined;
  if (since !== undefined) {
    if (args.positional.length !== 1) throw new UsageError("diff --since takes exactly one stack");
    const name = args.positional[0]!;
    const old = gitRevision(project.root, since);
    [before] = resolveStacks(loadProject(project.root, old), [name], old);
    [after] = resolveStacks(project, [name]);
  } else {
    if (args.positional.length !== 2)
      throw new UsageError("diff takes two stacks, or one stack with --since <git-ref>");
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
    for (const { symbol, from, to } of changes.changed)
      out.push(`  ~ ${symbol}: ${describeValue(from)} -> ${describeValue(to)}`);
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
