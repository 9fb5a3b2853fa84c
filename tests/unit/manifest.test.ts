/** Image manifests, comparisons and checkout verdicts as stage.sh prints them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseComparison, parseManifest } from "@br-criu/planner";

test("manifests and comparisons as stage.sh prints them", () => {
  const hash = "0123456789abcdef".repeat(4);
  assert.deepEqual(parseManifest(`>>> linux 6.12.91 Building\n${hash}  zImage\n${hash}  rootfs.ext2\nnoise\n`), {
    "rootfs.ext2": hash,
    zImage: hash,
  });
  assert.deepEqual(parseComparison(">>> x\nidentical\n"), { identical: true, differing: [] });
  assert.deepEqual(parseComparison("differ:\nrootfs.ext2\nzImage\n"), {
    identical: false,
    differing: ["rootfs.ext2", "zImage"],
  });
  assert.throws(() => parseComparison(""), /no manifest comparison/);
});
