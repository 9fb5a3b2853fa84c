/** A resolved x86_64 board and its stage inputs, for the planner's tests. */
import assert from "node:assert/strict";
import { resolveBoard, type ResolvedBoard } from "@br-criu/model";
import { planBuild, stageInputs, type BuildRecord, type StageFiles } from "@br-criu/planner";

export const FILES: StageFiles = {
  kernelFragments: {},
  packageFiles: { "checkpoint-restore/checkpoint-restore.mk": "v1" },
  overlayFiles: {},
};
const base = { board: "qemu-x86_64", description: "d", arch: "x86_64", criuFeatures: ["aio", "lazy-pages"] };

export function board(config: Record<string, unknown>): ResolvedBoard {
  const result = resolveBoard({ ...base, ...config });
  if (!result.ok) assert.fail(JSON.stringify(result.problems));
  return result.board;
}

export const inputsOf = (config: Record<string, unknown> = {}, files: StageFiles = FILES) =>
  stageInputs(board(config), "stacks/Pulumi.qemu-x86_64.yaml", files);
export const built = (config: Record<string, unknown> = {}): BuildRecord =>
  planBuild(undefined, inputsOf(config)).record;
export const rerun = (plan: ReturnType<typeof planBuild>) =>
  Object.entries(plan.stages)
    .filter(([, s]) => s.rebuild)
    .map(([name]) => name);
