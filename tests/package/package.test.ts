/**
 * The package tier: CRIU built with the checkpoint-restore package's own
 * recipe (the generated .mk's tarball, hash, pre-build step, make variables
 * and install targets, read from the generator's data) for the four boards
 * whose cross toolchains Debian bookworm has: x86_64 natively, aarch64, arm
 * (armhf with the board's CPU flags) and ppc64le cross-compiled against that
 * architecture's Debian -dev packages. riscv64 has no bookworm packages; its
 * runtime test uses Debian unstable's criu (see the README).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "@br-criu/cache";
import { CRIU_RELEASES, CRIU_VERSION } from "@br-criu/model";
import { buildCriu } from "@br-criu/runtime";
import { loadProject, loadStack, resolveStack } from "@br-criu/stacks";
import { REPO_ROOT } from "../support/project";

const project = loadProject(REPO_ROOT);
const { version } = CRIU_RELEASES[CRIU_VERSION]!;

for (const stack of ["qemu-x86_64", "qemu-aarch64", "qemu-arm", "qemu-ppc64le"]) {
  test(`${stack}: CRIU ${version} builds and installs with the package's recipe`, () => {
    const board = resolveStack(loadStack(project, stack));
    const build = buildCriu(board, cacheRoot());
    console.log(
      `# ${stack}: ${build.cached ? `cached build (built in ${build.seconds.toFixed(0)} s)` : `built in ${build.seconds.toFixed(0)} s`} (${build.staging})`,
    );
    // LIBDIR=/usr/lib and the install targets: what Buildroot's TARGET_DIR receives.
    for (const file of [
      "usr/sbin/criu",
      "usr/bin/compel",
      "usr/lib/libcriu.so.2.0",
      "usr/lib/libcompel.so.1.0",
      "usr/libexec/compel/std.lib.a",
    ]) {
      assert.ok(existsSync(join(build.staging, file)), `${stack}: ${file} is installed`);
    }
    // The binary is this release and runs (under qemu-user for other architectures).
    const criu = join(build.staging, "usr/sbin/criu");
    const emulator = board.arch.nodeArch === process.arch ? [] : [board.arch.debian.qemuUser, "-L", build.sysroot];
    const [command, ...args] = [...emulator, criu, "--version"];
    const out = execFileSync(command, args, {
      encoding: "utf8",
      env: { ...process.env, LD_LIBRARY_PATH: join(build.sysroot, "usr/lib", board.arch.debian.triplet) },
    });
    assert.match(out, new RegExp(`^Version: ${version.replace(/\./g, "\\.")}$`, "m"));
  });
}
