import { test } from "node:test";
import assert from "node:assert/strict";
import {
  allOf,
  blockers,
  evaluate,
  formatExpr,
  parseConfig,
  parseExpr,
  readKconfigTree,
  KconfigSyntaxError,
} from "@br-criu/kconfig";
import { analyzeConfig, explainSymbol, lookupIn } from "@br-criu/kernel";
import { no, yes } from "@br-criu/kconfig";

const files: Record<string, string> = {
  Kconfig: [
    'mainmenu "test"',
    "CC_NAME := $(shell,echo gcc)",
    "$(error-if,n,never)",
    'source "arch/$(SRCARCH)/Kconfig"',
    'source "net/Kconfig"',
    'osource "missing/Kconfig"',
    "config EXPERT",
    '\tbool "expert # not a comment"',
    "config MULTIUSER",
    '\tbool "multi" if EXPERT',
    "\tdefault y",
    "menuconfig NAMESPACES",
    '\tbool "ns"',
    "\tdepends on MULTIUSER",
    "if NAMESPACES",
    "config PID_NS",
    '\tbool "pid ns"',
    "\thelp",
    "\t  Help text mentioning config FOO and",
    " \t  a line with space-tab indentation,",
    "",
    "\t  and a paragraph after a blank line.",
    "endif # NAMESPACES",
    "config SELECTED_ONLY",
    "\tbool",
    "config SELECTOR",
    "\tdef_bool y",
    "\tselect SELECTED_ONLY if MULTIUSER",
  ].join("\n"),
  "arch/x86/Kconfig": "config X86\n\tdef_bool y\n\tselect HAVE_SOFT\nconfig HAVE_SOFT\n\tbool\n",
  "net/Kconfig": [
    "menuconfig NET",
    '\tbool "net"',
    'menu "Devices"',
    "\tdepends on NET",
    "menuconfig NETDEVICES",
    '\tbool "devices"',
    "if NETDEVICES",
    "config NET_CORE",
    '\tbool "core"',
    "if NET_CORE",
    "config TUN",
    '\ttristate "tun"',
    "\tdepends on INET || \\",
    "\t\tNET_LEGACY",
    "endif",
    "endif",
    "endmenu",
    "choice",
    '\tprompt "lock"',
    "\tdepends on NET",
    "config LOCK_A",
    '\tbool "a"',
    "endchoice",
    'rsource "sub/Kconfig"',
  ].join("\n"),
  "net/sub/Kconfig": 'config INET\n\tbool "inet"\n\tdepends on NET && !LEGACY_ONLY\n',
};

const tree = readKconfigTree({ readFile: (path) => files[path], variables: { SRCARCH: "x86" } });
const deps = (name: string) => formatExpr(allOf(tree.symbols.get(name)!.definitions[0]!.dependsOn)!);

test("reads sources with $(SRCARCH) and rsource, skips macros and missing osource", () => {
  assert.deepEqual(tree.files, ["Kconfig", "arch/x86/Kconfig", "net/Kconfig", "net/sub/Kconfig"]);
  assert.ok(tree.symbols.has("X86"));
});

test("dependencies include enclosing if, menu and choice conditions", () => {
  assert.equal(deps("TUN"), "NET && NETDEVICES && NET_CORE && (INET || NET_LEGACY)");
  assert.equal(deps("PID_NS"), "NAMESPACES");
  assert.equal(deps("LOCK_A"), "NET");
  assert.equal(deps("INET"), "NET && !LEGACY_ONLY");
});

test("prompts with conditions, help text with tab indentation, quoted #", () => {
  assert.equal(formatExpr(tree.symbols.get("MULTIUSER")!.definitions[0]!.prompts[0]!.condition!), "EXPERT");
  assert.equal(tree.symbols.get("EXPERT")!.definitions[0]!.prompts[0]!.text, "expert # not a comment");
  // "config FOO" inside help text is not a definition.
  assert.equal(tree.symbols.has("FOO"), false);
  assert.deepEqual(
    tree.symbols.get("SELECTED_ONLY")!.selectedBy.map((s) => s.symbol),
    ["SELECTOR"],
  );
  assert.equal(tree.symbols.get("TUN")!.definitions[0]!.type, "tristate");
});

test("unbalanced blocks and unknown statements are errors with file and line", () => {
  assert.throws(
    () =>
      readKconfigTree({ readFile: (p) => (p === "Kconfig" ? "if A\nconfig B\n\tbool\n" : undefined), variables: {} }),
    KconfigSyntaxError,
  );
  assert.throws(
    () =>
      readKconfigTree({
        readFile: (p) => (p === "Kconfig" ? "config A\n\tbool\nfrobnicate\n" : undefined),
        variables: {},
      }),
    /Kconfig:3: unknown Kconfig statement "frobnicate"/,
  );
  assert.throws(() => readKconfigTree({ readFile: () => undefined, variables: {} }), /Kconfig file Kconfig not found/);
});

test("expressions: precedence, comparisons, macros, tristate evaluation", () => {
  const expr = parseExpr('A && (B || !C) && D="y" && $(cc-option,-m$(X))');
  assert.equal(formatExpr(expr), "A && (B || !C) && D=y && $(cc-option,-m$(X))");
  const config = parseConfig("CONFIG_A=y\nCONFIG_B=m\nCONFIG_C=y\nCONFIG_D=y\n");
  const lookup = lookupIn(config);
  assert.equal(evaluate(parseExpr("A && B"), lookup), 1);
  assert.equal(evaluate(parseExpr("A && !C"), lookup), 0);
  assert.equal(evaluate(parseExpr("B || C"), lookup), 2);
  assert.equal(evaluate(parseExpr("D=y && E!=y"), lookup), 2);
  assert.deepEqual(blockers(parseExpr("A && !C && (E || F)"), lookup), ["C=y", "E=n", "F=n"]);
  assert.throws(() => parseExpr("A && (B"), /missing "\)"/);
});

test("explains a dropped option with its unmet dependencies", () => {
  const resolved = parseConfig("CONFIG_NET=y\n# CONFIG_NETDEVICES is not set\nCONFIG_INET=y\n");
  assert.equal(
    explainSymbol("CONFIG_TUN", tree, resolved, "x86_64"),
    "depends on NET && NETDEVICES && NET_CORE && (INET || NET_LEGACY) [NETDEVICES=n, NET_CORE=n]",
  );
  assert.equal(
    explainSymbol("CONFIG_SOFT_DIRTY_X", tree, resolved, "x86_64"),
    "not defined in the Kconfig of ARCH=x86_64",
  );
  assert.equal(
    explainSymbol("CONFIG_MULTIUSER", tree, parseConfig(""), "x86_64"),
    "prompt only visible if EXPERT [EXPERT=n]",
  );
  assert.match(
    explainSymbol("CONFIG_SELECTED_ONLY", tree, parseConfig(""), "x86_64"),
    /has no prompt.*selected by SELECTOR/,
  );
});

test("analysis sorts requests into kept, dropped and changed, keeping their origin", () => {
  const requested = new Map([
    ["CONFIG_NET", { value: yes, origin: "required" as const }],
    ["CONFIG_TUN", { value: yes, origin: "required" as const }],
    ["CONFIG_INET", { value: no, origin: "fragment" as const }],
  ]);
  const resolved = parseConfig("CONFIG_NET=y\nCONFIG_INET=y\n");
  const analysis = analyzeConfig(requested, resolved, tree, "x86_64");
  assert.deepEqual(analysis.kept, ["CONFIG_NET"]);
  assert.deepEqual(
    analysis.dropped.map((d) => [d.symbol, d.origin]),
    [["CONFIG_TUN", "required"]],
  );
  assert.match(analysis.dropped[0]!.explanation, /\[NETDEVICES=n, NET_CORE=n\]/);
  assert.deepEqual(
    analysis.changed.map((c) => [c.symbol, c.requested, c.resolved]),
    [["CONFIG_INET", "n", "y"]],
  );
});
