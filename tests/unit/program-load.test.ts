/**
 * What loading the Pulumi program costs: it runs twice on every `pulumi up`
 * (preview, then update), so a heavy module it pulls in is paid twice. The
 * SDK's index (with the Automation API) and its runtime index (with closure
 * serialization and npm's arborist) cost about half a second each; the
 * program imports the SDK's own modules instead (components/internal/pulumi-sdk.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../support/project";

/** SDK files that only the heavy entry points load, relative to node_modules/@pulumi/pulumi. */
const HEAVY_SDK_FILES = ["index.js", "automation/index.js", "runtime/index.js", "runtime/closure/codePaths.js"];

/** Every module file a fresh Node.js process has loaded after requiring `entry` through tsx. */
function modulesLoadedBy(entry: string): string[] {
  const script = `require(${JSON.stringify(entry)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const result = spawnSync(process.execPath, ["--require", "tsx/cjs", "-e", script], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  assert.equal(result.status, 0, `loading ${entry} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as string[];
}

test("the program and the provider's resources load none of the SDK's heavy entry points", () => {
  const sdk = join(REPO_ROOT, "node_modules", "@pulumi", "pulumi");
  const loaded = modulesLoadedBy(join(REPO_ROOT, "components", "program.ts"));
  assert.ok(loaded.includes(join(sdk, "resource.js")), "the probe saw the SDK's resource module load");
  const heavy = HEAVY_SDK_FILES.map((file) => join(sdk, file)).filter((file) => loaded.includes(file));
  assert.deepEqual(heavy, [], "import these names from the SDK's own modules (components/internal/pulumi-sdk.ts)");
});
