/** Stack values for hostile-input tests, and the check that `plan` refuses one. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MINIMAL_X86, makeProject, runCli, stackYaml } from "./project";

export const quoted = Object.fromEntries(Object.entries(MINIMAL_X86).map(([k, v]) => [k, JSON.stringify(v)]));
export const ARM = { ...quoted, arch: "arm", cpu: "cortex-a9", fpu: "vfpv3-d16", kernelDts: "arm/vexpress-v2p-ca9" };

/** `plan <stack> --out DIR` on a scratch project: refused, nothing written, the message matches. */
export async function refused(keys: Record<string, string>, key: string, message: RegExp, fix?: RegExp): Promise<void> {
  const root = makeProject({ bad: stackYaml(keys) });
  const out = join(root, "out");
  const result = await runCli(["plan", "bad", "--out", out], root);
  assert.equal(result.code, 1, result.stdout);
  assert.ok(
    result.stderr.startsWith(`stacks/Pulumi.bad.yaml: ${key.includes(":") ? key : `br-criu:${key}`}: `),
    result.stderr,
  );
  assert.match(result.stderr, message);
  if (fix) assert.match(result.stderr, fix);
  assert.ok(!existsSync(out), "nothing is written");
}
