/** Releases and their hashes: a version without a recorded hash is refused before any build. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, makeProject, runCli, stackYaml } from "../support/project";
import { quoted, refused } from "../support/hostile";

test("a kernel version without a known hash is refused, saying how to add one; with br-criu:kernelSha256 it plans", async () => {
  for (const version of ["6.99.999", "6.12.92"]) {
    await refused(
      { ...quoted, kernelVersion: `"${version}"` },
      "kernelVersion",
      new RegExp(`Linux ${version.replace(/\./g, "\\.")} has no known tarball hash`),
      /set br-criu:kernelSha256 to the sha256 of linux-.*\.tar\.xz as published in https:\/\/www\.kernel\.org\/pub\/linux\/kernel\/v6\.x\/sha256sums\.asc/,
    );
  }
  const root = makeProject({
    ok: stackYaml({ ...quoted, kernelVersion: '"6.12.92"', kernelSha256: `"${"c".repeat(64)}"` }),
  });
  const result = await runCli(["plan", "ok"], root);
  assert.equal(result.code, 0, result.stderr);
  await refused(
    { ...quoted, kernelSha256: `"${"c".repeat(64)}"` },
    "kernelSha256",
    /is not the hash br-criu records for linux-6\.12\.91\.tar\.xz/,
  );
});

test("a CRIU version without a recorded hash is refused, saying how to add one", () =>
  refused(
    { ...quoted, criuVersion: '"v4.3"' },
    "criuVersion",
    /CRIU "v4\.3" has no recorded tarball hash/,
    /CRIU_RELEASES in packages\/model\/src\/releases\.ts/,
  ));

test("the recorded CRIU and kernel hashes are the ones the BR2_EXTERNAL hash files hold", async () => {
  const { CRIU_RELEASES, CRIU_VERSION, KERNEL_RELEASES, kernelTarball } = await import("@br-criu/model");
  const packageHash = readFileSync(
    join(REPO_ROOT, "packages/br2-external/package/checkpoint-restore/checkpoint-restore.hash"),
    "utf8",
  );
  const { tarball, sha256 } = CRIU_RELEASES[CRIU_VERSION]!;
  assert.match(packageHash, new RegExp(`^sha256  ${sha256}  ${tarball.replace(/\./g, "\\.")}$`, "m"));
  for (const file of ["linux/linux.hash", "linux-headers/linux-headers.hash"]) {
    const content = readFileSync(join(REPO_ROOT, "packages/br2-external/patches", file), "utf8");
    for (const [version, release] of Object.entries(KERNEL_RELEASES))
      assert.match(content, new RegExp(`^sha256  ${release.sha256}  ${kernelTarball(version)}$`, "m"));
  }
});
