/**
 * Kernel tier: every stack's kernel configuration resolved with the real
 * Linux 6.12 Kconfig (Debian's linux-source-6.12), and the negative fixture
 * proving the gate catches dropped options. Needs /usr/src/linux-source-6.12.tar.xz
 * (`apt-get install linux-source-6.12`; .ci/run installs it): without it these
 * tests fail, they do not skip.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KernelVerification } from "@br-criu/kernel";
import { REPO_ROOT, runCli } from "../support/project";
import { scratchDir } from "../support/scratch";

const workDir = scratchDir("verify");

async function verify(args: string[]): Promise<{ code: number; results: KernelVerification[]; stderr: string }> {
  const result = await runCli(["verify-kernel", ...args, "--json", "--work", workDir]);
  return { code: result.code, results: result.stdout ? JSON.parse(result.stdout) : [], stderr: result.stderr };
}

test("every stack keeps every requested CRIU option, and the arch truth holds", async () => {
  const { code, results, stderr } = await verify(["--all"]);
  assert.equal(code, 0, stderr + JSON.stringify(results.map((r) => r.failures)));
  assert.deepEqual(
    results.map((r) => r.stack),
    ["qemu-aarch64", "qemu-arm", "qemu-ppc64le", "qemu-riscv64", "qemu-x86_64"],
  );
  for (const result of results) {
    assert.equal(result.sourceVersion.startsWith("6.12."), true);
    assert.deepEqual(result.dropped, [], result.stack);
    assert.equal(result.kept.length, result.requested, result.stack);
    assert.ok(result.kept.includes("CONFIG_CHECKPOINT_RESTORE") && result.kept.includes("CONFIG_TUN"), result.stack);
    for (const check of result.impossible) {
      for (const option of check.options)
        assert.equal(option.keptWhenForced, false, `${result.stack}: ${option.symbol}`);
    }
  }
  const impossible = Object.fromEntries(results.map((r) => [r.stack, r.impossible.map((i) => i.feature)]));
  assert.deepEqual(impossible, {
    "qemu-aarch64": ["pre-dump"],
    "qemu-arm": ["pre-dump", "time-ns", "hugetlbfs"],
    "qemu-ppc64le": [],
    "qemu-riscv64": ["pre-dump"],
    "qemu-x86_64": [],
  });
});

test("negative fixture: tinyconfig with only the write-up's list fails and names why", async () => {
  const { code, results } = await verify(["--project", join(REPO_ROOT, "tests/kernel/fixture"), "tiny-writeup"]);
  assert.equal(code, 1);
  const [result] = results;
  const dropped = Object.fromEntries(result!.dropped.map((d) => [d.symbol, d.explanation]));
  // Measured on 6.12.117 (x86_64 tinyconfig): 14 of the 18 options drop.
  assert.deepEqual(Object.keys(dropped).sort(), [
    "CONFIG_CHECKPOINT_RESTORE",
    "CONFIG_INET_DIAG",
    "CONFIG_INET_UDP_DIAG",
    "CONFIG_IPC_NS",
    "CONFIG_NAMESPACES",
    "CONFIG_NETFILTER_XT_MARK",
    "CONFIG_NETLINK_DIAG",
    "CONFIG_NET_NS",
    "CONFIG_PACKET_DIAG",
    "CONFIG_PID_NS",
    "CONFIG_SYSVIPC_SYSCTL",
    "CONFIG_TUN",
    "CONFIG_UNIX_DIAG",
    "CONFIG_UTS_NS",
  ]);
  assert.deepEqual([...result!.kept].sort(), ["CONFIG_EPOLL", "CONFIG_EVENTFD", "CONFIG_FHANDLE", "CONFIG_RSEQ"]);
  assert.match(
    dropped["CONFIG_TUN"]!,
    /^depends on NETDEVICES && NET_CORE && INET \[NETDEVICES=n, NET_CORE=n, INET=n\]$/,
  );
  assert.match(dropped["CONFIG_CHECKPOINT_RESTORE"]!, /\[PROC_FS=n\]/);
  assert.match(dropped["CONFIG_NAMESPACES"]!, /\[MULTIUSER=n\]/);
  assert.match(dropped["CONFIG_SYSVIPC_SYSCTL"]!, /\[SYSVIPC=n, SYSCTL=n\]/);
  assert.ok(
    result!.failures.some((f) => f.startsWith("fragment option CONFIG_TUN dropped: depends on NETDEVICES && NET_CORE")),
  );
});

test("check-kernel (the Kernel stage's check) passes on a resolved tree and names a dropped option", async () => {
  const { ensureKernelSource } = await import("@br-criu/kernel");
  const source = await ensureKernelSource();
  // A configured kernel tree as Buildroot leaves it: the sources plus .config (here: links to the cached source).
  const tree = scratchDir("tree");
  for (const entry of readdirSync(source.dir)) symlinkSync(join(source.dir, entry), join(tree, entry));
  const resolved = readFileSync(join(workDir, "qemu-x86_64", ".config"), "utf8");
  writeFileSync(join(tree, ".config"), resolved);
  const ok = await runCli(["check-kernel", "qemu-x86_64", "--tree", tree]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^qemu-x86_64: all \d+ requested kernel options kept \(kernel 6\.12\.\d+\)\n$/);

  writeFileSync(
    join(tree, ".config"),
    resolved
      .replace(/^CONFIG_NETDEVICES=y$/m, "# CONFIG_NETDEVICES is not set")
      .replace(/^CONFIG_TUN=y$/m, "# CONFIG_TUN is not set"),
  );
  const bad = await runCli(["check-kernel", "qemu-x86_64", "--tree", tree]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^stacks\/Pulumi\.qemu-x86_64\.yaml: kernel 6\.12\.\d+ in \S+ lost CRIU options:/);
  assert.match(bad.stderr, /CONFIG_TUN dropped: depends on NETDEVICES && NET_CORE && INET \[NETDEVICES=n\]/);
});
