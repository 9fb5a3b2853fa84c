/**
 * `br-criu verify-kernel`: resolves each stack's kernel configuration with
 * the kernel's own tooling and fails when a requested option is dropped.
 */
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { REPO_LAYOUT, renderKernelFragment, featureMatrix } from "@br-criu/generators";
import { cachePath } from "@br-criu/cache";
import {
  ensureKernelSource,
  kernelVersionOf,
  prepareKconfigTools,
  verificationDetails,
  verificationTable,
  verifyKernelConfig,
  type Fragment,
} from "@br-criu/kernel";
import { StackError, type Project } from "@br-criu/stacks";
import { parseArgs } from "./args";
import { openProject, selectedStacks, type CliIo, type ResolvedStack } from "./project";

/** The model's fragment, then the stack's own fragments from the BR2_EXTERNAL tree. */
export function stackFragments(project: Project, stack: ResolvedStack): Fragment[] {
  const fragments: Fragment[] = [
    { name: "linux-criu.fragment", content: renderKernelFragment(stack.board, stack.file), origin: "model" },
  ];
  stack.board.config.kernelFragments.forEach((path, index) => {
    const file = join(project.root, REPO_LAYOUT.external, path);
    if (!existsSync(file)) {
      throw StackError.of(stack.file, [
        {
          key: `kernelFragments[${index}]`,
          message: `${REPO_LAYOUT.external}/${path} does not exist`,
          fix: "give a path relative to the BR2_EXTERNAL tree",
        },
      ]);
    }
    fragments.push({ name: path, content: readFileSync(file, "utf8"), origin: "fragment" });
  });
  return fragments;
}

export async function verifyKernel(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, ["--all", "--json"], ["--project", "--source", "--work"]);
  const project = openProject(args.values.get("--project"), io);
  const stacks = selectedStacks("verify-kernel", args, project);
  const fragments = stacks.map((stack) => stackFragments(project, stack));
  const sourceFlag = args.values.get("--source");
  const source = sourceFlag
    ? { dir: resolve(io.cwd, sourceFlag), version: kernelVersionOf(resolve(io.cwd, sourceFlag)) }
    : await ensureKernelSource();
  const workDir = resolve(io.cwd, args.values.get("--work") ?? cachePath("verifyKernel"));
  const kconfigTools = await prepareKconfigTools(source.dir, workDir);
  // Each stack is mostly single-threaded make; run as many at once as there are cores.
  const results = await mapConcurrently(stacks, availableParallelism(), (stack, index) =>
    verifyKernelConfig({
      stack: stack.name,
      board: stack.board,
      fragments: fragments[index]!,
      sourceDir: source.dir,
      sourceVersion: source.version,
      workDir,
      kconfigTools,
    }),
  );
  if (args.flags.has("--json")) {
    io.stdout(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    const details = results.map((result, index) => verificationDetails(result, featureMatrix(stacks[index]!.board)));
    io.stdout(`${verificationTable(results)}\n\n${details.join("\n\n")}\n`);
  }
  return results.some((r) => r.failures.length > 0) ? 1 : 0;
}

/** Maps with at most `limit` promises in flight; results keep the input order. */
async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
