/** The engine's pins and the `npm run up|preview|destroy` wrapper, without building anything. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../support/project";
import { scratchDir } from "../support/scratch";

const goMod = (wrapper: string) => readFileSync(join(REPO_ROOT, "packages/engine", wrapper, "go.mod"), "utf8");
const required = (mod: string, module: string) =>
  new RegExp(`^\\s*(?:require\\s+)?${module.replace(/\./g, "\\.")} (v\\S+)`, "m").exec(mod)?.[1];

test("the pulumi wrapper module pins the CLI at the version of the @pulumi/pulumi SDK in package.json", () => {
  const sdk = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
  const mod = goMod("pulumi");
  assert.equal(required(mod, "github.com/pulumi/pulumi/pkg/v3"), `v${sdk}`);
  assert.equal(required(mod, "github.com/pulumi/pulumi/sdk/v3"), `v${sdk}`);
  assert.match(mod, /^tool github\.com\/pulumi\/pulumi\/pkg\/v3\/cmd\/pulumi$/m);
});

test("the language host wrapper builds the host from the last sdk/v3 release that contains it", () => {
  const mod = goMod("language-nodejs");
  assert.equal(required(mod, "github.com/pulumi/pulumi/sdk/v3"), "v3.68.0");
  assert.match(mod, /^tool github\.com\/pulumi\/pulumi\/sdk\/v3\/nodejs\/cmd\/pulumi-language-nodejs$/m);
  for (const wrapper of ["pulumi", "language-nodejs"])
    assert.ok(existsSync(join(REPO_ROOT, "packages/engine", wrapper, "go.sum")), `${wrapper}/go.sum is the lock file`);
});

test("the up/preview/destroy wrapper refuses a stack name that is not one, before running anything", () => {
  const scratch = scratchDir("wrapper");
  for (const stack of ["$(touch INJECTED)", "a;touch INJECTED", "-s", "../x", "no-such-stack"]) {
    const result = spawnSync("bash", [join(REPO_ROOT, "packages/engine/pulumi.sh"), "preview", stack], {
      cwd: scratch,
      encoding: "utf8",
    });
    assert.equal(result.status, 2, `${stack}: ${result.stderr}`);
    assert.match(result.stderr, /^br-criu: /);
  }
  assert.ok(!existsSync(join(scratch, "INJECTED")));
  assert.equal(
    spawnSync("bash", [join(REPO_ROOT, "packages/engine/pulumi.sh"), "preview"], { encoding: "utf8" }).status,
    2,
  );
});
