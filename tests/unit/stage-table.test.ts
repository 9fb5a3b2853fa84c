/** The stage table: every section has a stage, re-runs follow the upstream column, every two stages are ordered. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFCONFIG_SECTIONS } from "@br-criu/generators";
import { STAGE_NAMES, STAGE_TABLE, downstreamOf } from "@br-criu/planner";

test("the stage table: every defconfig section belongs to a stage, and re-runs follow its upstream column", () => {
  const covered = new Set(STAGE_NAMES.flatMap((stage) => STAGE_TABLE[stage].sections).filter((s) => s !== "all"));
  assert.deepEqual([...covered].sort(), [...DEFCONFIG_SECTIONS].sort());
  assert.deepEqual(downstreamOf("toolchain"), ["config", "kernel", "rootfs", "image"]);
  assert.deepEqual(downstreamOf("kernel"), ["image"]);
  assert.deepEqual(downstreamOf("rootfs"), ["image"]);
  assert.deepEqual(downstreamOf("config"), [], "a new defconfig alone re-runs nothing that builds on it");
  assert.deepEqual(downstreamOf("image"), []);
});

test("the stage table orders every two stages: no two makes run in one output directory at once", () => {
  const before = (stage: (typeof STAGE_NAMES)[number]): Set<string> => {
    const found = new Set<string>();
    const visit = (name: (typeof STAGE_NAMES)[number]) => {
      for (const prior of [...STAGE_TABLE[name].upstream, ...STAGE_TABLE[name].after]) {
        if (!found.has(prior)) {
          found.add(prior);
          visit(prior);
        }
      }
    };
    visit(stage);
    return found;
  };
  for (const a of STAGE_NAMES)
    for (const b of STAGE_NAMES)
      if (a !== b) assert.ok(before(a).has(b) || before(b).has(a), `${a} and ${b} could run at the same time`);
});
