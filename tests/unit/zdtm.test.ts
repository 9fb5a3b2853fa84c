/**
 * The ZDTM selection and its pure machinery: the .desc and Makefile readers,
 * the per-board run plan, the runner's list, the console protocol, outcomes
 * measured against the model, and the committed results document.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import {
  ARCHES,
  FEATURE_NAMES,
  ZDTM_FAILURE_EVIDENCE,
  ZDTM_GROUPS,
  ZDTM_SELECTION,
  zdtmExpectation,
  zdtmTestId,
  type FeatureStatus,
  type ZdtmTest,
} from "@br-criu/model";
import {
  ZDTM_RESULTS_DOC,
  parseZdtmConsole,
  parseZdtmDesc,
  parseZdtmMakefile,
  planZdtmSelection,
  planZdtmTest,
  renderZdtmList,
  renderZdtmResults,
  zdtmOutcomes,
  type ZdtmPlanEntry,
  type ZdtmRun,
} from "@br-criu/runtime";
import { listStacks, loadProject, loadStack, resolveStack } from "@br-criu/stacks";
import { REPO_ROOT } from "../support/project";

const project = loadProject(REPO_ROOT);
const boards = listStacks(project).map((name) => ({ name, board: resolveStack(loadStack(project, name)) }));

/** The shape of test/zdtm/static/Makefile's start rules, in a few lines. */
const MAKEFILE = [
  "TST_NOFILE\t:=\t\\",
  "\t\tsleeping00\t\\",
  "\t\tpipe00\t\\",
  "",
  "TST_NOFILE\t+=\tsigpending",
  "TST_FILE\t=\twrite_read00",
  "TST_DIR\t=\tcwd00",
  "",
  "$(TST_NOFILE:%=%.pid):\t%.pid:\t%",
  "\t$(<D)/$(<F) --pidfile=$@ --outfile=$<.out",
  "",
  "$(TST_FILE:%=%.pid):\t%.pid:\t%",
  "\t$(<D)/$(<F) --pidfile=$@ --outfile=$<.out --filename=$<.test",
  "",
  "$(TST_DIR:%=%.pid):\t%.pid:\t%",
  "\t$(<D)/$(<F) --pidfile=$@ --outfile=$<.out --dirname=$<.test",
  "",
  "pipe00.pid: pipe00",
  "\t$(<D)/$(<F) --pidfile=$@ --outfile=$<.out --size=4096",
  "",
].join("\n");

const feature = (name: string, state: Partial<FeatureStatus> = {}): FeatureStatus => ({
  name,
  summary: name,
  wanted: true,
  available: true,
  enabled: true,
  ...state,
});
const ALL_ENABLED = FEATURE_NAMES.map((name) => feature(name));
const onX86 = (features: FeatureStatus[] = ALL_ENABLED) => ({ arch: ARCHES.x86_64, features });

const selected = (program: string, needs: string[] = [], mode: ZdtmTest["mode"] = "dump"): ZdtmTest => ({
  program,
  group: "process-tree",
  needs,
  mode,
});

function planOf(
  program: string,
  desc: string | null,
  options: { needs?: string[]; mode?: ZdtmTest["mode"]; features?: FeatureStatus[]; machine?: string } = {},
) {
  const zdtmTest = selected(program, options.needs, options.mode);
  return planZdtmTest({
    test: zdtmTest,
    desc: desc === null ? {} : parseZdtmDesc(desc, `${program}.desc`),
    companions: [],
    startRules: parseZdtmMakefile(MAKEFILE),
    unameMachine: options.machine ?? "x86_64",
    expectation: zdtmExpectation(onX86(options.features), zdtmTest),
  });
}

function runOf(entry: ZdtmPlanEntry): ZdtmRun {
  if (!("run" in entry)) assert.fail(`expected a run, got: ${entry.notRun}`);
  return entry.run;
}

test(".desc files: dicts of strings and lists, comments; anything else names the file", () => {
  assert.deepEqual(
    parseZdtmDesc("# a comment\n{'flavor': 'ns h', \"flags\": 'suid',\n 'deps': ['/bin/sh', '/bin/ls'],}\n", "x.desc"),
    {
      flavor: "ns h",
      flags: "suid",
      deps: ["/bin/sh", "/bin/ls"],
    },
  );
  assert.deepEqual(parseZdtmDesc("{}", "x.desc"), {});
  for (const bad of [
    "{'a': 1}",
    "{'a': 'b'} + x",
    "{'a': 'b\\n'}",
    "{'a': 'open",
    "import os",
    "{'a' 'b'}",
    "{'a': 'b'",
  ])
    assert.throws(() => parseZdtmDesc(bad, "static/bad.desc"), /static\/bad\.desc/, bad);
});

test("the Makefile's start rules: pattern rules per list, continued lines, explicit rules win", () => {
  const rules = parseZdtmMakefile(MAKEFILE);
  assert.deepEqual(rules.get("sleeping00"), ["--pidfile=sleeping00.pid", "--outfile=sleeping00.out"]);
  assert.deepEqual(rules.get("sigpending"), ["--pidfile=sigpending.pid", "--outfile=sigpending.out"]);
  assert.deepEqual(rules.get("write_read00"), [
    "--pidfile=write_read00.pid",
    "--outfile=write_read00.out",
    "--filename=write_read00.test",
  ]);
  assert.deepEqual(rules.get("cwd00"), ["--pidfile=cwd00.pid", "--outfile=cwd00.out", "--dirname=cwd00.test"]);
  assert.deepEqual(rules.get("pipe00"), ["--pidfile=pipe00.pid", "--outfile=pipe00.out", "--size=4096"]);
  assert.equal(rules.get("nothing"), undefined);
  assert.throws(
    () => parseZdtmMakefile("TST_FILE = a\n$(TST_FILE:%=%.pid):\t%.pid:\t%\n\techo $@\n"),
    /does not start the test/,
  );
});

test("a plan follows the .desc: flavor, crfail, suid, options, timeout, feature", () => {
  const plain = runOf(planOf("sleeping00", null));
  assert.deepEqual(
    {
      flavor: plain.flavor,
      root: plain.root,
      crfail: plain.crfail,
      timeout: plain.timeoutSeconds,
      feature: plain.feature,
    },
    { flavor: "h", root: false, crfail: false, timeout: 30, feature: null },
  );
  assert.equal(runOf(planOf("sleeping00", "{'flavor': 'ns uns'}")).flavor, "ns");
  const rich = runOf(
    planOf(
      "write_read00",
      "{'flags': 'suid crfail', 'opts': '--file-locks', 'dopts': '--leave-stopped', 'ropts': '--restore-sibling', 'timeout': '90', 'feature': 'kcmp_epoll timerfd'}",
    ),
  );
  assert.equal(rich.root, true);
  assert.equal(rich.crfail, true);
  assert.equal(rich.timeoutSeconds, 90);
  assert.equal(rich.feature, "kcmp_epoll,timerfd");
  assert.deepEqual(rich.dumpOptions, ["--file-locks", "--leave-stopped"]);
  assert.deepEqual(rich.restoreOptions, ["--file-locks", "--restore-sibling"]);
  assert.equal(rich.startArgs.at(-1), "--filename=write_read00.test");
  assert.equal(runOf(planOf("sleeping00", null, { mode: "pre-dump" })).id, "sleeping00/pre-dump");
});

test("a plan says why a test is not run, or refuses a selection it cannot run", () => {
  const notRun = (entry: ZdtmPlanEntry) => ("notRun" in entry ? entry.notRun : assert.fail("expected not run"));
  assert.match(notRun(planOf("sleeping00", "{'arch': 'x86_64'}", { machine: "aarch64" })), /restricts it to x86_64/);
  assert.equal(runOf(planOf("sleeping00", "{'arch': 'x86_64'}")).program, "sleeping00");
  const disabled = ALL_ENABLED.map((f) => (f.name === "fanotify" ? { ...f, enabled: false, wanted: false } : f));
  assert.match(
    notRun(planOf("sleeping00", null, { needs: ["fanotify"], features: disabled })),
    /does not enable the fanotify/,
  );
  // An impossible feature: run anyway, without the .desc's feature check, so that it fails rather than skips.
  const impossible = ALL_ENABLED.map((f) =>
    f.name === "pre-dump" ? { ...f, available: false, enabled: false, reason: "no soft-dirty" } : f,
  );
  assert.equal(
    runOf(planOf("sleeping00", "{'feature': 'mem_dirty_track'}", { needs: ["pre-dump"], features: impossible }))
      .feature,
    null,
  );
  assert.throws(() => planOf("absent", null), /Makefile has no program absent/);
  assert.throws(() => planOf("sleeping00", "{'flags': 'noauto'}"), /noauto/);
  assert.throws(() => planOf("sleeping00", "{'deps': ['/bin/sh']}"), /deps/);
  assert.throws(() => planOf("sleeping00", "{'flavor': 'uns'}"), /only the uns flavors/);
  assert.throws(
    () => planOf("sleeping00", null, { needs: ["no-such-feature"] }),
    /"no-such-feature" is not a br-criu feature/,
  );
  assert.throws(
    () => planZdtmTest({ ...planInput("sleeping00"), companions: ["sleeping00.hook"] }),
    /sleeping00\.hook, Python/,
  );
});

function planInput(program: string) {
  const zdtmTest = selected(program);
  return {
    test: zdtmTest,
    desc: {},
    companions: [],
    startRules: parseZdtmMakefile(MAKEFILE),
    unameMachine: "x86_64",
    expectation: zdtmExpectation(onX86(), zdtmTest),
  };
}

test("hostile words in a .desc never reach the runner's list", () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 12 }), (word) => {
      fc.pre(/[^A-Za-z0-9_=./:,+@%[\]-]/.test(word) && !/['"\\\n\s#]/.test(word));
      assert.throws(() => planOf("sleeping00", `{'opts': '--a ${word}'}`), /characters the runner does not pass on/);
    }),
  );
  for (const word of ["$(reboot)", "`id`", ";halt", "a|b", "x>y", "&", "*", "~root"])
    assert.throws(() => planOf("sleeping00", `{'dopts': '${word}'}`), /does not pass on/, word);
  assert.throws(() => planOf("sleeping00", "{'feature': 'a;b'}"), /does not pass on/);
});

test("the runner's list: one tab-separated line per run, '-' for none", () => {
  const runs = [runOf(planOf("sleeping00", null)), runOf(planOf("pipe00", "{'flags': 'suid crfail', 'opts': '--x'}"))];
  assert.equal(
    renderZdtmList(runs),
    [
      "sleeping00\tsleeping00\th\t0\tdump\t0\t30\t-\t--pidfile=sleeping00.pid --outfile=sleeping00.out\t-\t-",
      "pipe00\tpipe00\th\t1\tdump\t1\t30\t-\t--pidfile=pipe00.pid --outfile=pipe00.out --size=4096\t--x\t--x",
      "",
    ].join("\n"),
  );
});

test("the console protocol: verdicts, their logs, the end marker", () => {
  const parsed = parseZdtmConsole(
    [
      "[    1.0] booting",
      "BR-CRIU-ZDTM sleeping00 pass 812",
      "BR-CRIU-ZDTM-LOG pipe00 (00.1) Error (criu/pipes.c:1): splice",
      "BR-CRIU-ZDTM pipe00 fail 95 dump failed",
      "BR-CRIU-ZDTM epoll skip 3 no kcmp_epoll\r",
      "BR-CRIU-ZDTM bogus maybe 3",
      "BR-CRIU-ZDTM-DONE 3",
    ].join("\r\n"),
  );
  assert.equal(parsed.done, true);
  assert.deepEqual([...parsed.verdicts.keys()], ["sleeping00", "pipe00", "epoll"]);
  assert.deepEqual(parsed.verdicts.get("pipe00"), {
    verdict: "fail",
    ms: 95,
    reason: "dump failed",
    log: ["(00.1) Error (criu/pipes.c:1): splice"],
  });
  assert.equal(parsed.verdicts.get("epoll")!.reason, "no kcmp_epoll");
  assert.equal(parseZdtmConsole("BR-CRIU-ZDTM sleeping00 pass 1").done, false);
});

test("outcomes against the model: expected failures, unexpected passes, skips and silence fail", () => {
  const impossible = ALL_ENABLED.map((f) =>
    f.name === "pre-dump" ? { ...f, available: false, enabled: false, reason: "no soft-dirty tracking" } : f,
  );
  const plan: ZdtmPlanEntry[] = ZDTM_SELECTION.map((t) => ({ id: zdtmTestId(t), run: {} as ZdtmRun }));
  const [first, second, third] = ZDTM_SELECTION.filter((t) => t.mode === "dump").map(zdtmTestId);
  const preDumps = ZDTM_SELECTION.filter((t) => t.mode === "pre-dump").map(zdtmTestId);
  const lines = ZDTM_SELECTION.flatMap((t) =>
    t.mode === "pre-dump"
      ? [
          `BR-CRIU-ZDTM-LOG ${zdtmTestId(t)} pre-dump.log: (00.1) Error (criu/mem.c:46): BUG at criu/mem.c:46`,
          `BR-CRIU-ZDTM ${zdtmTestId(t)} fail 5 pre-dump: criu pre-dump failed`,
        ]
      : [`BR-CRIU-ZDTM ${zdtmTestId(t)} pass 5`],
  );
  const outcome = (console: string, entries = plan, features = impossible) =>
    new Map(zdtmOutcomes(onX86(features), entries, parseZdtmConsole(console)).map((o) => [o.id, o]));

  const expected = outcome([...lines, `BR-CRIU-ZDTM-DONE ${lines.length}`].join("\n"));
  assert.equal(expected.get(first!)!.outcome, "passed");
  for (const id of preDumps) {
    assert.equal(expected.get(id)!.outcome, "expected-fail");
    assert.equal(expected.get(id)!.feature, "pre-dump");
  }
  // A failure for another reason than the missing feature is a failure.
  const otherwise = outcome(lines.filter((l) => !l.includes("BUG at criu/mem.c")).join("\n"));
  assert.match(
    otherwise.get(preDumps[0]!)!.reason!,
    /not the way a missing pre-dump fails \(CRIU's BUG in criu\/mem\.c/,
  );
  // The model says pass: the same failures are failures.
  assert.equal(outcome(lines.join("\n"), plan, ALL_ENABLED).get(preDumps[0]!)!.outcome, "failed");
  // A pass where the model says the feature is impossible is a failure of the model.
  const unexpected = outcome(lines.map((l) => l.replace(" fail ", " pass ")).join("\n"));
  assert.match(unexpected.get(preDumps[0]!)!.reason!, /pass although the model says pre-dump is impossible/);
  const others = lines.filter((l) => !l.includes(` ${second} `) && !l.includes(` ${third} `));
  const skipped = outcome([...others, `BR-CRIU-ZDTM ${third} skip 1 no feature`, "BR-CRIU-ZDTM-DONE 1"].join("\n"));
  assert.equal(skipped.get(second!)!.reason, "the runner reported nothing");
  assert.deepEqual([skipped.get(third!)!.outcome, skipped.get(third!)!.reason], ["failed", "skip: no feature"]);
  assert.equal(outcome(others.join("\n")).get(second!)!.reason, "the guest stopped before it");
  const missing = outcome(lines.join("\n"), plan.slice(1));
  assert.equal(missing.get(first!)!.reason, "not in the run plan");
  const ruledOut = outcome(lines.join("\n"), [
    { id: first!, notRun: "its .desc restricts it to x86_64" },
    ...plan.slice(1),
  ]);
  assert.deepEqual(
    [ruledOut.get(first!)!.outcome, ruledOut.get(first!)!.reason],
    ["not-run", "its .desc restricts it to x86_64"],
  );
});

test("the selection: many programs, every group used, needs are features, ids unique, failures have evidence", () => {
  assert.ok(ZDTM_SELECTION.length >= 40, `only ${ZDTM_SELECTION.length} tests`);
  for (const group of Object.keys(ZDTM_GROUPS))
    assert.ok(
      ZDTM_SELECTION.some((t) => t.group === group),
      `no test in the ${group} group`,
    );
  for (const t of ZDTM_SELECTION)
    for (const need of t.needs) assert.ok(FEATURE_NAMES.includes(need), `${t.program}: ${need}`);
  const ids = ZDTM_SELECTION.map(zdtmTestId);
  assert.equal(new Set(ids).size, ids.length);
  for (const t of ZDTM_SELECTION.filter((t) => t.mode === "pre-dump"))
    assert.ok(t.needs.includes("pre-dump"), t.program);
  // Every feature some board's test is expected to fail for says how that failure shows.
  for (const { board } of boards)
    for (const t of ZDTM_SELECTION) {
      const expectation = zdtmExpectation(board, t);
      if (expectation.outcome === "fail")
        assert.ok(ZDTM_FAILURE_EVIDENCE[expectation.feature], `no ZDTM_FAILURE_EVIDENCE for ${expectation.feature}`);
    }
});

test("every board's expectations: pre-dump must fail exactly where soft-dirty is missing", () => {
  const failing = boards.map(({ name, board }) => [
    name,
    ZDTM_SELECTION.filter((t) => zdtmExpectation(board, t).outcome === "fail").map(zdtmTestId),
  ]);
  const preDumps = ZDTM_SELECTION.filter((t) => t.mode === "pre-dump").map(zdtmTestId);
  assert.deepEqual(Object.fromEntries(failing), {
    "qemu-aarch64": preDumps,
    "qemu-arm": ["memfd02-hugetlb", ...preDumps],
    "qemu-ppc64le": [],
    "qemu-riscv64": preDumps,
    "qemu-x86_64": [],
  });
});

test("programs that cannot run on an architecture are not run there, with the reason", () => {
  const notRun = Object.fromEntries(
    boards.map(({ name, board }) => [
      name,
      ZDTM_SELECTION.filter((t) => zdtmExpectation(board, t).outcome === "not-run").map(zdtmTestId),
    ]),
  );
  assert.deepEqual(notRun, {
    "qemu-aarch64": [],
    "qemu-arm": ["maps02", "fanotify00"],
    "qemu-ppc64le": ["memfd02-hugetlb"],
    "qemu-riscv64": [],
    "qemu-x86_64": [],
  });
  const arm = boards.find((b) => b.name === "qemu-arm")!.board;
  const maps02 = ZDTM_SELECTION.find((t) => t.program === "maps02")!;
  assert.match(JSON.stringify(zdtmExpectation(arm, maps02)), /MAP_DROPPABLE memory, which Linux has only on 64-bit/);
});

/** The rows of one of the results document's tables (after its heading). */
function tableRows(doc: string, heading: string): string[][] {
  const section = doc.split(`## ${heading}\n`)[1] ?? assert.fail(`${ZDTM_RESULTS_DOC} has no "${heading}" section`);
  return section
    .split("\n## ")[0]!
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| ---") && !line.startsWith("| test |"))
    .map((line) => line.slice(2, -2).split(" | "));
}

test(`${ZDTM_RESULTS_DOC} holds the model's expected failures and the selection's groups`, () => {
  const doc = readFileSync(join(REPO_ROOT, ZDTM_RESULTS_DOC), "utf8");
  const predicted = boards.flatMap(({ board }) =>
    ZDTM_SELECTION.flatMap((t) => {
      const expectation = zdtmExpectation(board, t);
      return expectation.outcome === "fail"
        ? [[zdtmTestId(t), board.arch.name, expectation.feature, expectation.reason]]
        : [];
    }),
  );
  const key = (row: readonly string[]) => row.join(" | ");
  assert.deepEqual(tableRows(doc, "Expected failures").map(key).sort(), predicted.map(key).sort());
  const groups = renderZdtmResults([]).split("## The groups\n")[1];
  assert.equal(doc.split("## The groups\n")[1], groups, `regenerate: BR_CRIU_UPDATE_DOCS=1 npm run test:runtime`);
});

test("a board's plan on the real selection refuses nothing it was given", () => {
  // Every selected program in a start rule, no .desc: each becomes a run or a model not-run.
  const makefile = `TST_NOFILE := ${[...new Set(ZDTM_SELECTION.map((t) => t.program))].join(" ")}\n$(TST_NOFILE:%=%.pid):\t%.pid:\t%\n\t$(<D)/$(<F) --pidfile=$@ --outfile=$<.out\n`;
  for (const { name, board } of boards) {
    const plan = planZdtmSelection(board, ZDTM_SELECTION, { makefile, descs: {}, companions: {} });
    assert.deepEqual(
      plan.map((e) => e.id),
      ZDTM_SELECTION.map(zdtmTestId),
      name,
    );
  }
});
