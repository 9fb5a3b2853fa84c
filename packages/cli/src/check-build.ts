/**
 * Checks run by the build stages on Buildroot's own output: the resolved
 * Buildroot .config against the generated defconfig, and the resolved kernel
 * .config against the requested CRIU options (explained with the kernel
 * tree's Kconfig files). The same analysis as verify-kernel.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describeValue, parseConfig, verifyResolved } from "@br-criu/kconfig";
import { renderDefconfig } from "@br-criu/generators";
import { analyzeConfig, kconfigTreeFor, kernelVersionOf, requestedOptions } from "@br-criu/kernel";
import { UsageError, parseArgs } from "./args";
import { openProject, selectedStacks, type CliIo } from "./project";
import { stackFragments } from "./verify-kernel";

function readRequired(path: string, what: string): string {
  if (!existsSync(path)) throw new UsageError(`${what} ${path} does not exist`);
  return readFileSync(path, "utf8");
}

export function checkBuildrootConfig(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, [], ["--config", "--project"]);
  const configPath = args.values.get("--config");
  if (!configPath) throw new UsageError("check-buildroot-config needs --config PATH (the resolved Buildroot .config)");
  const [stack] = selectedStacks("check-buildroot-config", args, openProject(args.values.get("--project"), io));
  const requested = parseConfig(renderDefconfig(stack!.board, stack!.file), stack!.file);
  const resolvedPath = resolve(io.cwd, configPath);
  const result = verifyResolved(requested, parseConfig(readRequired(resolvedPath, "Buildroot config"), resolvedPath));
  const problems = [
    ...result.dropped.map(
      (d) => `${d.symbol}=${describeValue(d.requested)} was dropped by Buildroot's Kconfig (a dependency is not met)`,
    ),
    ...result.changed.map((c) => `${c.symbol} is ${describeValue(c.resolved)}, not ${describeValue(c.requested)}`),
  ];
  if (problems.length > 0) {
    io.stderr(
      `${stack!.file}: the resolved Buildroot configuration ${resolvedPath} lost generated options:\n${problems.map((p) => `  ${p}`).join("\n")}\nRun \`npm run plan -- ${stack!.name}\` and check the stack's toolchain, architecture and package options.\n`,
    );
    return 1;
  }
  io.stdout(`${stack!.name}: all ${result.kept.length} generated Buildroot options kept\n`);
  return 0;
}

export function checkKernel(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, [], ["--tree", "--project"]);
  const treeFlag = args.values.get("--tree");
  if (!treeFlag)
    throw new UsageError("check-kernel needs --tree DIR (the configured kernel tree, e.g. output/build/linux-6.12.91)");
  const project = openProject(args.values.get("--project"), io);
  const [stack] = selectedStacks("check-kernel", args, project);
  const tree = resolve(io.cwd, treeFlag);
  const configPath = join(tree, ".config");
  const resolved = parseConfig(readRequired(configPath, "kernel config"), configPath);
  const { arch } = stack!.board;
  const analysis = analyzeConfig(
    requestedOptions(stack!.board, stackFragments(project, stack!)),
    resolved,
    kconfigTreeFor(tree, arch),
    arch.kernelArch,
  );
  const problems = [
    ...analysis.dropped.map((d) => `${d.symbol} dropped: ${d.explanation}`),
    ...analysis.changed.map((c) => `${c.symbol} is ${c.resolved}, not ${c.requested}: ${c.explanation}`),
  ];
  if (problems.length > 0) {
    io.stderr(
      `${stack!.file}: kernel ${kernelVersionOf(tree)} in ${tree} lost CRIU options:\n${problems.map((p) => `  ${p}`).join("\n")}\n`,
    );
    return 1;
  }
  io.stdout(
    `${stack!.name}: all ${analysis.kept.length} requested kernel options kept (kernel ${kernelVersionOf(tree)})\n`,
  );
  return 0;
}
