import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  KconfigParseError,
  diffConfigs,
  hex,
  int,
  no,
  parseConfig,
  text,
  tristate,
  verifyResolved,
  writeConfig,
  unsafeStringReason,
  yes,
  type KconfigValue,
} from "@br-criu/kconfig";

test("parses every value form of a kernel .config", () => {
  const parsed = parseConfig(
    [
      "#",
      "# Automatically generated file; DO NOT EDIT.",
      "CONFIG_TUN=y",
      "CONFIG_VETH=m",
      "# CONFIG_MEM_SOFT_DIRTY is not set",
      'CONFIG_CMDLINE="console=ttyS0 root=\\"/dev/vda\\" a\\\\b"',
      "CONFIG_NR_CPUS=64",
      "CONFIG_ILLEGAL_POINTER_VALUE=0xdead000000000000",
      "CONFIG_NEG=-3",
      "",
    ].join("\n"),
  );
  assert.deepEqual(
    [...parsed.entries()],
    [
      ["CONFIG_TUN", yes],
      ["CONFIG_VETH", tristate("m")],
      ["CONFIG_MEM_SOFT_DIRTY", no],
      ["CONFIG_CMDLINE", text('console=ttyS0 root="/dev/vda" a\\b')],
      ["CONFIG_NR_CPUS", int(64)],
      ["CONFIG_ILLEGAL_POINTER_VALUE", hex("0xdead000000000000")],
      ["CONFIG_NEG", int(-3)],
    ],
  );
});

test("parses Buildroot defconfigs, whose symbols carry no CONFIG_ prefix", () => {
  const parsed = parseConfig(
    'BR2_aarch64=y\nBR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE="6.12.91"\n# BR2_TARGET_ROOTFS_TAR is not set\n',
  );
  assert.deepEqual(parsed.get("BR2_aarch64"), yes);
  assert.deepEqual(parsed.get("BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE"), text("6.12.91"));
  assert.deepEqual(parsed.get("BR2_TARGET_ROOTFS_TAR"), no);
});

test("a later assignment wins, as in merge_config.sh", () => {
  assert.deepEqual(parseConfig("CONFIG_A=y\nCONFIG_A=m\n").get("CONFIG_A"), tristate("m"));
});

test("malformed lines are errors naming the file and the line", () => {
  assert.throws(
    () => parseConfig("CONFIG_A=y\nCONFIG_B = y\n", "x.config"),
    (error: unknown) => {
      assert.ok(error instanceof KconfigParseError);
      assert.equal(error.line, 2);
      assert.match(error.message, /^x\.config:2: not a SYMBOL=value line/);
      return true;
    },
  );
  assert.throws(() => parseConfig('CONFIG_S="unterminated\n', "f"), /f:1: value is not/);
  assert.throws(() => parseConfig("CONFIG_S=maybe\n", "f"), /f:1: value is not/);
  assert.throws(() => parseConfig('CONFIG_S="a"b\n', "f"), /f:1: value is not/);
});

test("writes n as 'is not set' and escapes strings", () => {
  const written = writeConfig(
    new Map<string, KconfigValue>([
      ["CONFIG_B", no],
      ["CONFIG_A", text('say "hi" \\o/')],
    ]),
    { sorted: true, header: ["generated", ""] },
  );
  assert.equal(written, '# generated\n#\nCONFIG_A="say \\"hi\\" \\\\o/"\n# CONFIG_B is not set\n');
});

const symbolArb = fc.stringMatching(/^CONFIG_[A-Z0-9_]{1,20}$/);
const valueArb: fc.Arbitrary<KconfigValue> = fc.oneof(
  fc.constantFrom<KconfigValue>(yes, no, tristate("m")),
  // What the writer accepts: no control characters, no `$` (make would expand it).
  fc
    .string({ unit: "binary" })
    .filter((s) => unsafeStringReason(s) === undefined)
    .map(text),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(int),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => hex(`0x${n.toString(16)}`)),
);
const configArb = fc
  .uniqueArray(fc.tuple(symbolArb, valueArb), { selector: ([symbol]) => symbol })
  .map((pairs) => new Map(pairs));

test("property: parse(write(config)) is the same config", () => {
  fc.assert(
    fc.property(configArb, fc.boolean(), (config, sorted) => {
      assert.deepEqual(
        [...parseConfig(writeConfig(config, { sorted })).entries()].sort(),
        [...config.entries()].sort(),
      );
    }),
    { numRuns: 300 },
  );
});

test("property: write(parse(text)) is a fixed point", () => {
  fc.assert(
    fc.property(configArb, (config) => {
      const once = writeConfig(config);
      assert.equal(writeConfig(parseConfig(once)), once);
    }),
    { numRuns: 200 },
  );
});

test("diff reports added, removed and changed symbols, sorted", () => {
  const before = parseConfig('CONFIG_A=y\nCONFIG_B=y\nCONFIG_C="x"\n# CONFIG_D is not set\n');
  const after = parseConfig('CONFIG_A=y\nCONFIG_C="y"\nCONFIG_D=y\nCONFIG_E=m\n');
  const diff = diffConfigs(before, after);
  assert.deepEqual(diff.added, [{ symbol: "CONFIG_E", value: tristate("m") }]);
  assert.deepEqual(diff.removed, [{ symbol: "CONFIG_B", value: yes }]);
  assert.deepEqual(diff.changed, [
    { symbol: "CONFIG_C", from: text("x"), to: text("y") },
    { symbol: "CONFIG_D", from: no, to: yes },
  ]);
  assert.deepEqual(diffConfigs(before, before), { added: [], removed: [], changed: [] });
});

test("verify finds dropped and changed requests; n matches an absent symbol", () => {
  const requested = parseConfig(
    "CONFIG_TUN=y\nCONFIG_NET=y\nCONFIG_VETH=y\n# CONFIG_OABI_COMPAT is not set\n# CONFIG_FORCED is not set\nCONFIG_HZ=250\n",
  );
  const resolved = parseConfig(
    "CONFIG_NET=y\n# CONFIG_TUN is not set\nCONFIG_VETH=m\nCONFIG_FORCED=y\nCONFIG_HZ=250\n",
  );
  const result = verifyResolved(requested, resolved);
  assert.deepEqual(result.kept, ["CONFIG_HZ", "CONFIG_NET", "CONFIG_OABI_COMPAT"]);
  assert.deepEqual(
    result.dropped.map((d) => d.symbol),
    ["CONFIG_TUN"],
  );
  assert.deepEqual(
    result.changed.map((c) => [c.symbol, c.resolved]),
    [
      ["CONFIG_FORCED", yes],
      ["CONFIG_VETH", tristate("m")],
    ],
  );
});
