/**
 * Benchmarks: prints numbers, asserts nothing (targets are in the README).
 *   plan: validate and render all stacks (target: under 1 s after start-up)
 */
import { performance } from "node:perf_hooks";
import { resolve } from "node:path";
import { renderBoardFiles } from "@br-criu/generators";
import { listStacks, loadProject, loadStack, resolveStack } from "@br-criu/stacks";

const root = resolve(__dirname, "..");

function planAllStacks(): number {
  const project = loadProject(root);
  let bytes = 0;
  for (const name of listStacks(project)) {
    const stack = loadStack(project, name);
    for (const file of renderBoardFiles(resolveStack(stack), stack.file)) bytes += file.content.length;
  }
  return bytes;
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

const first = time(planAllStacks);
const runs = 20;
const repeated = time(() => {
  for (let i = 0; i < runs; i++) planAllStacks();
});
console.log(`plan: validate + render all stacks (first, cold): ${first.ms.toFixed(1)} ms (${first.value} bytes)`);
console.log(`plan: validate + render all stacks (mean of ${runs} warm runs): ${(repeated.ms / runs).toFixed(1)} ms`);
