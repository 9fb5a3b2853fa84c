/**
 * No configuration value reaches make or a shell unescaped.
 *
 * Hostile values (`$()`, backticks, `;`, quotes, newlines, NUL, long strings,
 * Unicode look-alikes) are generated for every string key of a stack and fed
 * to the writers directly. Each value is either refused with a message, or
 * every generated defconfig line parses back to the same value, the
 * defconfigs are included by a real make, and the generated start-qemu.sh
 * passes `bash -n` and runs against a fake QEMU. Nothing injected may run:
 * every payload touches a marker file, and the marker must never appear.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { UnsafeValueError, formatEntry, parseConfig, text, type KconfigValue } from "@br-criu/kconfig";
import { resolveBoard, stackConfigSchema, type ResolvedBoard } from "@br-criu/model";
import {
  EXTERNAL_REFERENCE,
  buildrootDefconfigEntries,
  formatBuildrootEntry,
  qemuInvocation,
  renderBoardFiles,
  shellQuote,
} from "@br-criu/generators";
import { loadProject, loadStack } from "@br-criu/stacks";
import { MINIMAL_X86, REPO_ROOT } from "../support/project";
import { scratchDir } from "../support/scratch";

/** Every payload touches this file (relative: scripts run in a scratch directory). */
const MARKER = "INJECTED";
const PAYLOADS = [
  `$(shell touch ${MARKER})`,
  `$(touch ${MARKER})`,
  `\`touch ${MARKER}\``,
  `; touch ${MARKER}`,
  `&& touch ${MARKER}`,
  `| touch ${MARKER}`,
  `' ; touch ${MARKER} ; '`,
  `" ; touch ${MARKER} ; "`,
  `\ntouch ${MARKER}\n`,
  `\nBR2_PACKAGE_EVIL=y\n`,
];
const FRAGMENTS = [
  ...PAYLOADS,
  ...[
    "a",
    "Z",
    "0",
    "9",
    "-",
    "_",
    ".",
    "/",
    "..",
    "x86",
    "arm/vexpress",
    " ",
    "#",
    "%",
    "@",
    "+",
    ",",
    "=",
    ":",
    "$",
    "${HOME}",
    "$$",
    "\\",
    "'",
    '"',
  ],
  ...["\n", "\r", "\t", "\0", "\u007f", "\u200b", "\u0430", "\u00e9", "\uff04", "\u2028"],
  "x".repeat(300),
  // Keys of Object.prototype: a table lookup by a stack value must not find them.
  "constructor",
  "__proto__",
  "toString",
  "hasOwnProperty",
];
const hostileString: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 6 }).map((parts) => parts.join("")),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(...PAYLOADS) },
);

const RUNS_PER_KEY = 1000;

function scratch(): string {
  return scratchDir("injection");
}

/** Runs a makefile that includes every given config file; injected make code would touch the marker. */
function includeWithMake(files: readonly string[]): void {
  const dir = scratch();
  files.forEach((content, index) => writeFileSync(join(dir, `config${index}`), content));
  const includes = files.map((_, index) => `include config${index}`).join("\n");
  writeFileSync(join(dir, "Makefile"), `${includes}\nall:\n\t@true\n`);
  const result = spawnSync("make", ["-s", "-f", "Makefile"], { cwd: dir, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(existsSync(join(dir, MARKER)), false, "make ran code injected through a config value");
}

/** Each word, quoted, comes back unchanged through a real shell, and nothing injected runs. */
function roundTripThroughShell(words: readonly string[]): void {
  const dir = scratch();
  const script = words.map((word) => `printf '%s\\0' ${shellQuote(word)}`).join("\n");
  const result = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.split("\0").slice(0, -1), words);
  assert.equal(existsSync(join(dir, MARKER)), false, "the shell ran code injected through a quoted word");
}

test("property: the Kconfig and Buildroot writers refuse or round-trip any string, and make expands nothing", () => {
  const accepted: string[] = [];
  fc.assert(
    fc.property(hostileString, (value) => {
      for (const write of [
        (v: KconfigValue) => formatEntry("CONFIG_X", v),
        (v: KconfigValue) => formatBuildrootEntry("BR2_X", v),
      ]) {
        let line: string;
        try {
          line = write(text(value));
        } catch (error) {
          assert.ok(error instanceof UnsafeValueError, String(error));
          assert.match(error.message, /^(CONFIG_X|BR2_X): .+/);
          continue;
        }
        assert.ok(!/[\n\r\0]/.test(line), `one line: ${JSON.stringify(line)}`);
        assert.ok(!line.split(EXTERNAL_REFERENCE).join("").includes("$"), `no $ in ${JSON.stringify(line)}`);
        const parsed = parseConfig(line);
        assert.equal(parsed.size, 1);
        assert.deepEqual([...parsed.values()][0], text(value));
        accepted.push(line);
      }
    }),
    { numRuns: 2000 },
  );
  includeWithMake([accepted.join("\n") + "\n", `BR2_X="${EXTERNAL_REFERENCE}/board/x"\n`]);
});

test("property: one shell quoting function returns every word unchanged through bash", () => {
  const words: string[] = [];
  fc.assert(
    fc.property(hostileString, (word) => {
      if (word.includes("\0")) {
        assert.throws(() => shellQuote(word), UnsafeValueError);
        return;
      }
      words.push(word);
    }),
    { numRuns: 2000 },
  );
  roundTripThroughShell(words);
});

/** The configuration a key is tried in: arm-only keys on the arm stack, the rest on a minimal x86_64 board. */
const armStack = loadStack(loadProject(REPO_ROOT), "qemu-arm").config;
const ARM_KEYS = new Set(["cpu", "fpu", "kernelDts", "floatAbi"]);
const stringKeys = Object.entries(stackConfigSchema.shape)
  .filter(([, schema]) => {
    const type = (schema.toJSONSchema() as { type?: string }).type;
    return type === "string" || type === "array";
  })
  .map(([key]) => key)
  .sort();

interface Accepted {
  readonly key: string;
  readonly value: unknown;
  readonly board: ResolvedBoard;
}

/** Files of accepted boards, checked together at the end (one make run, one shell run). */
function checkGeneratedFiles(accepted: readonly Accepted[]): void {
  const defconfigs: string[] = [];
  const scripts = new Map<string, ResolvedBoard>();
  for (const { key, value, board } of accepted) {
    const files = renderBoardFiles(board, "stacks/Pulumi.hostile.yaml");
    const defconfig = files.find((file) => file.path.startsWith("configs/"))!.content;
    const parsed = parseConfig(defconfig);
    for (const entry of buildrootDefconfigEntries(board)) {
      assert.deepEqual(
        parsed.get(entry.symbol),
        entry.value,
        `${key}=${JSON.stringify(value)}: ${entry.symbol} parses back`,
      );
    }
    assert.equal(
      parsed.size,
      buildrootDefconfigEntries(board).length,
      `${key}=${JSON.stringify(value)}: no extra defconfig line`,
    );
    defconfigs.push(defconfig);
    scripts.set(files.find((file) => file.path.endsWith("start-qemu.sh"))!.content, board);
  }
  includeWithMake(defconfigs);

  // Every distinct start-qemu.sh: bash -n, then a run against a fake QEMU that records its arguments.
  const dir = scratch();
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const name of ["qemu-system-x86_64", "qemu-system-arm"]) {
    writeFileSync(join(bin, name), `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done > "$QEMU_ARGS_FILE"\n`);
    chmodSync(join(bin, name), 0o755);
  }
  [...scripts].forEach(([script, board], index) => {
    const images = join(dir, `images${index}`);
    mkdirSync(images);
    writeFileSync(join(images, "start-qemu.sh"), script, { mode: 0o755 });
    const syntax = spawnSync("bash", ["-n", join(images, "start-qemu.sh")], { encoding: "utf8" });
    assert.equal(syntax.status, 0, syntax.stderr);
    const argsFile = join(dir, `args${index}`);
    execFileSync("sh", [join(images, "start-qemu.sh")], {
      cwd: images,
      env: { ...process.env, PATH: `${bin}:${process.env["PATH"]}`, QEMU_ARGS_FILE: argsFile },
    });
    assert.deepEqual(readFileSync(argsFile, "utf8").split("\0").slice(0, -1), qemuInvocation(board).args);
  });
  const injected = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((path) => path.endsWith(MARKER));
  assert.deepEqual(injected, [], "a generated script ran an injected command");
}

for (const key of stringKeys) {
  test(`property: hostile values of br-criu:${key} are refused with a message or written safely`, () => {
    const base = ARM_KEYS.has(key) ? armStack : MINIMAL_X86;
    const isArray =
      (stackConfigSchema.shape[key as keyof typeof stackConfigSchema.shape].toJSONSchema() as { type?: string })
        .type === "array";
    const accepted: Accepted[] = [];
    fc.assert(
      fc.property(isArray ? fc.array(hostileString, { minLength: 1, maxLength: 3 }) : hostileString, (value) => {
        const result = resolveBoard({ ...base, [key]: value });
        if (!result.ok) {
          assert.ok(result.problems.length > 0);
          for (const problem of result.problems) {
            assert.ok(problem.message.length > 0 && problem.fix.length > 0, JSON.stringify(problem));
          }
          assert.ok(
            result.problems.some((problem) => problem.key === key || problem.key.startsWith(`${key}[`)),
            `the problem names br-criu:${key}: ${JSON.stringify(result.problems)}`,
          );
          return;
        }
        accepted.push({ key, value, board: result.board });
      }),
      { numRuns: RUNS_PER_KEY },
    );
    checkGeneratedFiles(accepted);
  });
}

test("property: hostile br-criu:kernelConfig symbols and values are refused or written as one parsable fragment line", () => {
  const fragments: string[] = [];
  fc.assert(
    fc.property(
      fc.oneof(hostileString, fc.constantFrom("ZRAM", "NR_CPUS", "__proto__", "constructor")),
      fc.oneof(
        hostileString,
        hostileString.map((v) => `"${v}"`),
        fc.constantFrom("y", "m", "4", "0x1f"),
      ),
      (symbol, value) => {
        // As JSON.parse and YAML build it: an own property, even for "__proto__".
        const result = resolveBoard({ ...MINIMAL_X86, kernelConfig: Object.fromEntries([[symbol, value]]) });
        if (!result.ok) {
          assert.ok(
            result.problems.every(
              (problem) => problem.key.startsWith("kernelConfig") && problem.message !== "" && problem.fix !== "",
            ),
            JSON.stringify(result.problems),
          );
          return;
        }
        const fragment = renderBoardFiles(result.board, "stacks/Pulumi.hostile.yaml").find((file) =>
          file.path.endsWith("linux-criu.fragment"),
        )!.content;
        const parsed = parseConfig(fragment);
        const [option] = result.board.kernel.extraOptions;
        assert.deepEqual(parsed.get(`CONFIG_${option!.symbol}`), option!.value);
        fragments.push(fragment);
      },
    ),
    { numRuns: RUNS_PER_KEY },
  );
  includeWithMake(fragments);
});
