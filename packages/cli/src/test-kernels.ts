/**
 * `br-criu test-kernels`: builds the test kernels boot-test boots (each
 * stack's minimal CRIU profile), one stack after another, into the cache.
 * `npm test` runs it in the background from its start, so that the kernels
 * build while the tiers before the runtime tier wait on Docker, the network
 * or QEMU; boot-test then takes them from the cache (or waits for the one
 * being built: the build tree is locked).
 */
import { stackTestKernel } from "@br-criu/kernel";
import { listStacks } from "@br-criu/stacks";
import { parseArgs, UsageError } from "./args";
import { openProject, resolveStacks, type CliIo } from "./project";

/** The stacks named, in that order, then with --all every other stack of the project. */
function stacksInOrder(named: readonly string[], all: boolean, known: readonly string[]): string[] {
  if (named.length === 0 && !all) throw new UsageError("test-kernels takes stack names, --all, or both");
  return [...named, ...(all ? known.filter((stack) => !named.includes(stack)) : [])];
}

export async function testKernels(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, ["--all"], ["--project"]);
  const project = openProject(args.values.get("--project"), io);
  const stacks = resolveStacks(project, stacksInOrder(args.positional, args.flags.has("--all"), listStacks(project)));
  let failed = 0;
  for (const stack of stacks) {
    try {
      const kernel = await stackTestKernel(stack.name, stack.board);
      const how = kernel.built ? `built in ${kernel.buildSeconds.toFixed(0)} s` : "from cache";
      io.stdout(`${stack.name}: test kernel ${how}: ${kernel.image}\n`);
    } catch (error) {
      failed += 1;
      io.stderr(`${stack.name}: test kernel failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}
