/** Every real stack file, and the generated files checked in for them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "@br-criu/kconfig";
import { ARCHES, criuRequiredOptions, stackConfigSchema } from "@br-criu/model";
import { buildrootDefconfigEntries, renderBoardFiles } from "@br-criu/generators";
import { listStacks, loadProject, loadStack, renderProjectFile, resolveStack } from "@br-criu/stacks";
import { REPO_ROOT, runCli } from "../support/project";

const project = loadProject(REPO_ROOT);
const stackNames = listStacks(project);
const boards = new Map(stackNames.map((name) => [name, resolveStack(loadStack(project, name))]));

test("the five QEMU boards exist, every architecture has a stack, and each stack names its board", () => {
  for (const name of ["qemu-aarch64", "qemu-arm", "qemu-ppc64le", "qemu-riscv64", "qemu-x86_64"])
    assert.ok(stackNames.includes(name), `stacks/Pulumi.${name}.yaml is missing`);
  const arches = new Set([...boards.values()].map((board) => board.arch.name));
  assert.deepEqual([...arches].sort(), Object.keys(ARCHES).sort());
  for (const [name, board] of boards) assert.equal(board.config.board, name);
});

test("qemu-arm is a Cortex-A9 with NEON, VFPv3-D16 and EABIhf; ppc64le is POWER8", () => {
  const arm = buildrootDefconfigEntries(boards.get("qemu-arm")!).map((e) => e.symbol);
  for (const symbol of [
    "BR2_arm",
    "BR2_cortex_a9",
    "BR2_ARM_ENABLE_NEON",
    "BR2_ARM_FPU_VFPV3D16",
    "BR2_ARM_EABIHF",
    "BR2_TOOLCHAIN_EXTERNAL_BOOTLIN_ARMV7_EABIHF_GLIBC_STABLE",
  ]) {
    assert.ok(arm.includes(symbol), symbol);
  }
  const ppc = buildrootDefconfigEntries(boards.get("qemu-ppc64le")!).map((e) => e.symbol);
  assert.ok(
    ppc.includes("BR2_powerpc_power8") &&
      ppc.includes("BR2_TOOLCHAIN_EXTERNAL_BOOTLIN_POWERPC64LE_POWER8_GLIBC_STABLE"),
  );
  const riscv = buildrootDefconfigEntries(boards.get("qemu-riscv64")!).map((e) => e.symbol);
  assert.ok(riscv.includes("BR2_riscv") && riscv.includes("BR2_RISCV_64"));
  assert.ok(boards.get("qemu-riscv64")!.arch.experimental);
});

test("every stack's kernel fragment has every required option; MEM_SOFT_DIRTY only on x86_64 and ppc64le", () => {
  for (const [name, board] of boards) {
    const fragment = renderBoardFiles(board, name).find((f) => f.path.endsWith("linux-criu.fragment"))!;
    const options = parseConfig(fragment.content, fragment.path);
    for (const { symbol } of criuRequiredOptions)
      assert.equal(options.get(`CONFIG_${symbol}`)?.value, "y", `${name}: CONFIG_${symbol}`);
    assert.equal(
      options.has("CONFIG_MEM_SOFT_DIRTY"),
      name === "qemu-x86_64" || name === "qemu-ppc64le",
      `${name}: MEM_SOFT_DIRTY`,
    );
  }
});

test("every generated defconfig has the pinned kernel, reproducibility and forced hashes", () => {
  for (const [name, board] of boards) {
    const defconfig = renderBoardFiles(board, name).find((f) => f.path.startsWith("configs/"))!;
    const entries = parseConfig(defconfig.content);
    assert.equal(entries.get("BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE")?.value, "6.12.91");
    assert.equal(entries.get("BR2_REPRODUCIBLE")?.value, "y");
    assert.equal(entries.get("BR2_DOWNLOAD_FORCE_CHECK_HASHES")?.value, "y");
    assert.equal(entries.get("BR2_PACKAGE_CHECKPOINT_RESTORE")?.value, "y");
    assert.ok(
      defconfig.content
        .split("\n")
        .every((line, i, lines) => !/^BR2_|^# BR2_.* is not set$/.test(line) || lines[i - 1]!.startsWith("# ")),
      `${name}: every option has a reason comment`,
    );
  }
});

test("rendering is deterministic", () => {
  for (const [name, board] of boards) {
    const again = resolveStack(loadStack(project, name));
    assert.deepEqual(renderBoardFiles(again, name), renderBoardFiles(board, name));
  }
});

test("checked-in generated files match the generators (npm run generate)", async () => {
  const result = await runCli(["generate", "--check"]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(readFileSync(join(REPO_ROOT, "Pulumi.yaml"), "utf8"), renderProjectFile());
});

test("Pulumi.yaml defaults mirror the zod schema's defaults", () => {
  const schemaDefaults = stackConfigSchema.parse({ board: "b", description: "d", arch: "x86_64" });
  for (const [key, value] of Object.entries(project.defaults)) {
    assert.deepEqual(value, (schemaDefaults as Record<string, unknown>)[key], key);
  }
  const withDefaults = Object.entries(schemaDefaults)
    .filter(([, value]) => value !== undefined)
    .map(([key]) => key)
    .filter((key) => !["board", "description", "arch"].includes(key));
  assert.deepEqual(Object.keys(project.defaults).sort(), withDefaults.sort());
});
