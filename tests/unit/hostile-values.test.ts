/**
 * Hostile values of stack keys, as an attacker or a typo would write them:
 * each is refused by the key's grammar with a message naming the file, the
 * key, the character and the fix, and nothing is written.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadProject, loadStack } from "@br-criu/stacks";
import { readRawConfig } from "../../components/internal/stack-config";
import { makeProject, runCli, stackYaml } from "../support/project";
import { ARM, quoted, refused } from "../support/hostile";

test("$(...) in kernelFragments, rootfsOverlay or kernelDts is refused, naming the character", async () => {
  await refused(
    { ...quoted, kernelFragments: '["$(shell touch /tmp/x)"]' },
    "kernelFragments[0]",
    /character "\$" \(U\+0024\) at position 1 is not allowed/,
    /Fix: write a path relative to the BR2_EXTERNAL tree/,
  );
  await refused(
    { ...quoted, rootfsOverlay: '"$(shell touch /tmp/x)"' },
    "rootfsOverlay",
    /"\$" \(U\+0024\) at position 1/,
  );
  await refused(
    { ...ARM, kernelDts: '"$(shell touch /tmp/x)"' },
    "kernelDts",
    /"\$" \(U\+0024\) at position 1/,
    /arm\/vexpress-v2p-ca9/,
  );
});

test("a shell command in kernelFragments is refused", () =>
  refused(
    { ...quoted, kernelFragments: '["CONFIG_FOO; rm -rf /"]' },
    "kernelFragments[0]",
    /character ";" \(U\+003B\) at position 11 is not allowed/,
  ));

test("a newline in kernelDts, qemuMachine or description is refused as a control character", async () => {
  await refused(
    { ...ARM, kernelDts: '"arm/vexpress-v2p-ca9\\nBR2_PACKAGE_EVIL=y"' },
    "kernelDts",
    /control character U\+000A at position 21/,
  );
  await refused(
    { ...quoted, qemuMachine: '"pc\\nBR2_PACKAGE_EVIL=y"' },
    "qemuMachine",
    /control character U\+000A at position 3/,
  );
  await refused(
    { ...quoted, description: '"test\\ntouch /tmp/pwned"' },
    "description",
    /control character U\+000A at position 5/,
    /one line of printable ASCII/,
  );
});

test("rootfsSize 0M and 99999999999999999999G are refused", async () => {
  await refused(
    { ...quoted, rootfsSize: '"0M"' },
    "rootfsSize",
    /is not a whole number followed by K, M or G/,
    /from 32M to 64G/,
  );
  await refused({ ...quoted, rootfsSize: '"99999999999999999999G"' }, "rootfsSize", /characters long; at most 9/);
  await refused({ ...quoted, rootfsSize: '"65G"' }, "rootfsSize", /is larger than 64G/);
});

test("a zero-width space or a Unicode look-alike is refused by code point and position", async () => {
  await refused(
    { ...ARM, kernelDts: '"arm/vexpress\\u200b-v2p-ca9"' },
    "kernelDts",
    /non-ASCII character U\+200B at position 13 is not allowed/,
  );
  await refused({ ...quoted, hostname: '"br-crі"' }, "hostname", /non-ASCII character U\+0456 at position 6/);
});

test("br-criu:buildrootRepository takes a URL or a local mirror, never git's ext:: transport or an option", async () => {
  await refused(
    { ...quoted, buildrootRepository: '"ext::sh -c touch% /tmp/pwned"' },
    "buildrootRepository",
    /character U\+0020 at position 8 is not allowed/,
  );
  await refused(
    { ...quoted, buildrootRepository: '"ext::sh"' },
    "buildrootRepository",
    /must start with https:\/\/, http:\/\/, git:\/\/, ssh:\/\/, file:\/\/\/ or \//,
  );
  await refused(
    { ...quoted, buildrootRepository: '"--upload-pack"' },
    "buildrootRepository",
    /must start with https:\/\//,
  );
  // A ':' would let the path pick its own mount point in docker's -v.
  for (const path of ['"/srv/mirror:/br/dl"', '"file:///srv/mirror:/etc"']) {
    await refused({ ...quoted, buildrootRepository: path }, "buildrootRepository", /must not contain ':'/);
  }
  for (const ok of [
    "/srv/mirrors/buildroot.git",
    "file:///srv/buildroot",
    "https://gitlab.com/buildroot.org/buildroot.git",
  ]) {
    const result = await runCli(
      ["plan", "ok"],
      makeProject({ ok: stackYaml({ ...quoted, buildrootRepository: `"${ok}"` }) }),
    );
    assert.equal(result.code, 0, `${ok}: ${result.stderr}`);
  }
});

/** A decoded configuration back in the form Pulumi hands a program. */
function pulumiTextOf(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      `br-criu:${key}`,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

test("br-criu:kernelConfig: options land in the fragment; prefixes, bad values and conflicts with CRIU are refused", async () => {
  const root = makeProject({
    ok: `config:\n  br-criu:board: test-board\n  br-criu:description: test board\n  br-criu:arch: x86_64\n  br-criu:kernelConfig:\n    ZRAM: y\n    NR_CPUS: 4\n    CMDLINE: '"console=ttyS0 quiet"'\n`,
  });
  const result = await runCli(["plan", "ok", "--out", "out"], root);
  assert.equal(result.code, 0, result.stderr);
  const fragment = readFileSync(join(root, "out/board/test-board/linux-criu.fragment"), "utf8");
  assert.match(
    fragment,
    /# The stack's own options \(br-criu:kernelConfig of stacks\/Pulumi\.ok\.yaml\), merged after CRIU's:\nCONFIG_CMDLINE="console=ttyS0 quiet"\nCONFIG_NR_CPUS=4\nCONFIG_ZRAM=y\n$/,
  );
  // The program gets the map as JSON text from Pulumi and decodes it the same way.
  const asPulumiHandsIt = {
    ...pulumiTextOf(loadStack(loadProject(root), "ok").config),
    "br-criu:kernelConfig": '{"ZRAM":"y","NR_CPUS":"4","CMDLINE":"\\"console=ttyS0 quiet\\""}',
  };
  assert.deepEqual(readRawConfig(loadProject(root), "ok", asPulumiHandsIt)["kernelConfig"], {
    ZRAM: "y",
    NR_CPUS: "4",
    CMDLINE: '"console=ttyS0 quiet"',
  });

  await refused(
    { ...quoted, kernelConfig: "{CONFIG_ZRAM: y}" },
    "kernelConfig",
    /"CONFIG_ZRAM" carries the CONFIG_ prefix/,
    /write ZRAM/,
  );
  await refused({ ...quoted, kernelConfig: "{ZRAM: yes}" }, "kernelConfig.ZRAM", /"yes" is not a kernel option value/);
  await refused({ ...quoted, kernelConfig: "{__proto__: y}" }, "kernelConfig", /"__proto__" is not a Kconfig symbol/);
  await refused(
    { ...quoted, kernelConfig: `{CMDLINE: '"$(shell touch /tmp/x)"'}` },
    "kernelConfig.CMDLINE",
    /character U\+0024 at position 2/,
  );
  await refused(
    { ...quoted, kernelConfig: "{CHECKPOINT_RESTORE: n}" },
    "kernelConfig.CHECKPOINT_RESTORE",
    /CRIU needs CONFIG_CHECKPOINT_RESTORE=y/,
    /remove br-criu:kernelConfig\.CHECKPOINT_RESTORE/,
  );
});

test("diff with a hostile value is a refusal naming the key, not an internal error", async () => {
  const root = makeProject({ a: stackYaml(quoted), b: stackYaml({ ...quoted, description: '"two\\nlines"' }) });
  const result = await runCli(["diff", "a", "b"], root);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^stacks\/Pulumi\.b\.yaml: br-criu:description: control character U\+000A at position 4/);
});

test("names of Object.prototype's members are not CPUs, FPUs, architectures or releases", async () => {
  for (const name of ["constructor", "__proto__"]) {
    await refused({ ...ARM, fpu: `"${name}"` }, "fpu", new RegExp(`unknown arm FPU "${name}"`));
    await refused({ ...ARM, cpu: `"${name}"` }, "cpu", new RegExp(`unknown arm CPU "${name}"`));
    await refused({ ...quoted, arch: `"${name}"` }, "arch", new RegExp(`unknown architecture "${name}"`));
    await refused({ ...quoted, criuVersion: `"${name}"` }, "criuVersion", /has no recorded tarball hash/);
  }
});

test("br-criu:buildHost: an option, a path, a query or a bad port is refused before it reaches docker -H", async () => {
  const docker = { ...quoted, buildMode: '"docker"' };
  await refused({ ...docker, buildHost: '"-Htcp://evil:2375"' }, "buildHost", /must not start with -/);
  await refused(
    { ...docker, buildHost: '"ssh://-oProxyCommand=touch@build-1"' },
    "buildHost",
    /"=" \(U\+003D\) at position \d+ is not allowed/,
  );
  await refused(
    { ...docker, buildHost: '"ssh://builder@build-1/srv/docker.sock"' },
    "buildHost",
    /must not carry a path/,
  );
  await refused({ ...docker, buildHost: '"tcp://build-1:2376?tls=0"' }, "buildHost", /"\?" \(U\+003F\)/);
  await refused(
    { ...docker, buildHost: '"unix:///var/run/docker.sock"' },
    "buildHost",
    /must start with ssh:\/\/ or tcp:\/\//,
  );
  await refused({ ...docker, buildHost: '"tcp://build-1"' }, "buildHost", /needs its port/);
  await refused({ ...docker, buildHost: '"ssh://build-1:70000"' }, "buildHost", /port 70000 is above 65535/);
  await refused({ ...docker, buildHost: '"ssh://Builder@build-1"' }, "buildHost", /is not ssh:\/\/\[user@\]host/);
});

test("br-criu:buildHost needs docker mode, and TLS exactly for tcp://", async () => {
  await refused(
    { ...quoted, buildMode: '"host"', buildHost: '"ssh://builder@build-1"' },
    "buildHost",
    /buildMode is host/,
    /set br-criu:buildMode: docker/,
  );
  await refused(
    { ...quoted, buildMode: '"docker"', buildHost: '"tcp://10.0.0.2:2376"' },
    "buildHost",
    /tcp:\/\/ engine without TLS/,
    /br-criu:buildHostTls/,
  );
  await refused(
    { ...quoted, buildMode: '"docker"', buildHost: '"ssh://builder@build-1"', buildHostTls: '"/etc/br-criu/tls"' },
    "buildHostTls",
    /only used for a tcp:\/\/ build host/,
  );
  await refused(
    { ...quoted, buildMode: '"docker"', buildHost: '"tcp://10.0.0.2:2376"', buildHostTls: '"etc/tls"' },
    "buildHostTls",
    /must be an absolute path/,
  );
});
