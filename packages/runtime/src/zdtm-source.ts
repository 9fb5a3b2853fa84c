/**
 * What CRIU's source says about each ZDTM program, read the way zdtm.py
 * reads it: how test/zdtm/static/Makefile starts it (its .pid rule: the
 * pidfile, outfile and the --filename/--dirname or special arguments), and
 * its .desc file (flags, CRIU options, namespaces, required CRIU feature).
 * From those and the model's expectation, one run plan per selected test
 * for the guest's runner. Pure: the files' text is passed in.
 */
import { zdtmExpectation, zdtmTestId, type ZdtmBoard, type ZdtmExpectation, type ZdtmTest } from "@br-criu/model";

/** A .desc file: a Python dict literal of strings and lists of strings. */
export type ZdtmDesc = Readonly<Record<string, string | readonly string[]>>;

/**
 * Parses the subset of Python literals .desc files use: `{'key': 'value',
 * 'deps': ['a', 'b']}` with # comments. Anything else (some .desc files
 * compute their dict in Python) is an error naming the file.
 */
export function parseZdtmDesc(text: string, file: string): ZdtmDesc {
  const tokens = descTokens(text, file);
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what}; br-criu reads only dicts of quoted strings and lists of them`);
  };
  const next = () => tokens[at++] ?? fail("the dict ends early");
  const expect = (punct: string) => {
    const token = next();
    if (token.kind !== "punct" || token.text !== punct)
      fail(`expected "${punct}", found ${JSON.stringify(token.text)}`);
  };
  const string = () => {
    const token = next();
    if (token.kind !== "string") fail(`expected a quoted string, found ${JSON.stringify(token.text)}`);
    return token.text;
  };
  const value = (): string | string[] => {
    if (tokens[at]?.text !== "[") return string();
    at++;
    const items: string[] = [];
    while (tokens[at]?.text !== "]") {
      items.push(string());
      if (tokens[at]?.text === ",") at++;
    }
    at++;
    return items;
  };
  const desc: Record<string, string | string[]> = {};
  expect("{");
  while (tokens[at]?.text !== "}") {
    const key = string();
    expect(":");
    desc[key] = value();
    if (tokens[at]?.text === ",") at++;
  }
  at++;
  if (at !== tokens.length) fail("text follows the dict");
  return desc;
}

type DescToken = { readonly kind: "string" | "punct"; readonly text: string };

function descTokens(text: string, file: string): DescToken[] {
  const tokens: DescToken[] = [];
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if (c === "#") while (i < text.length && text[i] !== "\n") i++;
    else if ("{}[]:,".includes(c)) tokens.push({ kind: "punct", text: text[i++]! });
    else if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new Error(`${file}: an unterminated string`);
      const body = text.slice(i + 1, end);
      if (body.includes("\\") || body.includes("\n")) throw new Error(`${file}: escapes in strings are not read`);
      tokens.push({ kind: "string", text: body });
      i = end + 1;
    } else throw new Error(`${file}: unexpected ${JSON.stringify(text.slice(i, i + 20))}; not a dict of strings`);
  }
  return tokens;
}

/** How the Makefile starts one program: its .pid recipe's arguments, in the program's directory. */
export type ZdtmStartRules = ReadonlyMap<string, readonly string[]>;

/** Joins backslash-continued lines. */
function logicalLines(text: string): string[] {
  return text.replace(/\\\n/g, " ").split("\n");
}

/** The names a variable of the Makefile lists (TST_NOFILE := ..., TST_NOFILE += ...). */
function variableLists(lines: readonly string[]): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  for (const line of lines) {
    const match = /^([A-Z_]+)\s*(:?=|\+=)(.*)$/.exec(line);
    if (!match) continue;
    const [, name, op, words] = match;
    const list = op === "+=" ? (lists.get(name!) ?? []) : [];
    list.push(...words!.trim().split(/\s+/).filter(Boolean));
    lists.set(name!, list);
  }
  return lists;
}

/** A .pid recipe's words for `program`: the Makefile's automatic variables replaced, the program itself dropped. */
function recipeArgs(recipe: string, program: string): string[] {
  const words = recipe.trim().split(/\s+/);
  if (words[0] !== "$(<D)/$(<F)")
    throw new Error(`ZDTM Makefile: the .pid recipe "${recipe.trim()}" does not start the test`);
  return words.slice(1).map((word) => word.replace(/\$@/g, `${program}.pid`).replace(/\$</g, program));
}

/**
 * Every program's start arguments from test/zdtm/static/Makefile: the static
 * pattern rules `$(TST_FILE:%=%.pid): %.pid: %` with their recipe, then the
 * explicit `name.pid: name` rules, which take precedence as in make.
 */
export function parseZdtmMakefile(text: string): ZdtmStartRules {
  const lines = logicalLines(text);
  const lists = variableLists(lines);
  const rules = new Map<string, string[]>();
  const explicit = new Map<string, string[]>();
  lines.forEach((line, index) => {
    const recipe = lines[index + 1];
    if (recipe === undefined || !recipe.startsWith("\t")) return;
    const pattern = /^\$\(([A-Z_]+):%=%\.pid\):\s*%\.pid:\s*%\s*$/.exec(line);
    if (pattern) {
      for (const program of lists.get(pattern[1]!) ?? []) rules.set(program, recipeArgs(recipe, program));
      return;
    }
    const single = /^([\w+.-]+)\.pid:\s*([\w+.-]+)\s*$/.exec(line);
    if (single && single[1] === single[2]) explicit.set(single[1]!, recipeArgs(recipe, single[1]!));
  });
  for (const [program, args] of explicit) rules.set(program, args);
  return rules;
}

/** What the runner is told about one test (a line of its list). */
export interface ZdtmRun {
  /** The test's name in reports (zdtmTestId). */
  readonly id: string;
  /** The program in test/zdtm/static. */
  readonly program: string;
  /** zdtm.py's flavors: h runs in the runner's namespaces, ns in new PID, mount, network, UTS and IPC namespaces. */
  readonly flavor: "h" | "ns";
  /** The .desc's crfail flag: the dump must fail, and the program must still pass. */
  readonly crfail: boolean;
  /** A plain dump, or two pre-dumps before it. */
  readonly mode: ZdtmTest["mode"];
  /** The .desc's suid flag: runs as root (zdtm.py runs the others as uid 18943). */
  readonly root: boolean;
  /** How long the program may take to stop and report once signalled (the .desc's timeout, zdtm.py's 30 s default). */
  readonly timeoutSeconds: number;
  /** A `criu check --feature` the .desc requires; the runner skips the test without it. */
  readonly feature: string | null;
  /** The Makefile's .pid recipe arguments (pidfile, outfile, file or directory names). */
  readonly startArgs: readonly string[];
  /** CRIU options of the dump (and pre-dumps): the .desc's opts and dopts. */
  readonly dumpOptions: readonly string[];
  /** CRIU options of the restore: the .desc's opts and ropts. */
  readonly restoreOptions: readonly string[];
}

/** What may appear in a word the runner passes on: no shell syntax, no spaces (it splits on them). */
const SAFE_WORD = /^[A-Za-z0-9_=./:,+@%[\]-]+$/;

function safeWords(words: readonly string[], where: string): string[] {
  for (const word of words)
    if (!SAFE_WORD.test(word))
      throw new Error(`${where}: ${JSON.stringify(word)} has characters the runner does not pass on`);
  return [...words];
}

const descString = (desc: ZdtmDesc, key: string): string => {
  const value = desc[key];
  return typeof value === "string" ? value : "";
};
const descWords = (desc: ZdtmDesc, key: string): string[] => descString(desc, key).split(/\s+/).filter(Boolean);

/** Why a selected test cannot be run as zdtm.py would run it here; a fault of br-criu's selection. */
function selectionProblem(desc: ZdtmDesc, companions: readonly string[]): string | undefined {
  const flags = descWords(desc, "flags");
  if (flags.includes("noauto")) return "its .desc marks it noauto (zdtm.py runs it by hand only)";
  if (Array.isArray(desc["deps"]) && desc["deps"].length > 0) return "it needs programs (deps) the test system lacks";
  if (companions.length > 0) return `it comes with ${companions.join(" and ")}, Python the test system cannot run`;
  if (desc["bind"]) return "it needs a bind mount (bind) the runner does not make";
  return undefined;
}

export interface ZdtmPlanInput {
  /** The selected test. */
  readonly test: ZdtmTest;
  /** The parsed .desc ({} when the program has none, as zdtm.py's default). */
  readonly desc: ZdtmDesc;
  /** .hook and .checkskip files next to the program. */
  readonly companions: readonly string[];
  /** The Makefile's start rules of every program. */
  readonly startRules: ZdtmStartRules;
  /** `uname -m` of the board. */
  readonly unameMachine: string;
  /** What the model says the board must make of the test. */
  readonly expectation: ZdtmExpectation;
}

/** A run for the guest, or why the test is not run on this board. */
export type ZdtmPlanEntry =
  { readonly id: string; readonly run: ZdtmRun } | { readonly id: string; readonly notRun: string };

/**
 * The run plan of one selected test. A test the selection should not hold
 * (unknown program, noauto, needs Python hooks or tools, no flavor the
 * runner has) is an error naming it; one the board's model or the .desc's
 * `arch` rules out is "not run", with the reason.
 */
export function planZdtmTest(input: ZdtmPlanInput): ZdtmPlanEntry {
  const { test, desc } = input;
  const id = zdtmTestId(test);
  const where = `ZDTM test ${id} (packages/model/src/zdtm.ts)`;
  const startArgs = input.startRules.get(test.program);
  if (!startArgs) throw new Error(`${where}: test/zdtm/static/Makefile has no program ${test.program}`);
  const problem = selectionProblem(desc, input.companions);
  if (problem) throw new Error(`${where}: ${problem}; select another program`);
  const flavors = (descString(desc, "flavor") || "h ns uns").split(/\s+/);
  const flavor = flavors.includes("h") ? "h" : flavors.includes("ns") ? "ns" : undefined;
  if (!flavor)
    throw new Error(`${where}: its .desc allows only the ${flavors.join(", ")} flavors; the runner has h and ns`);
  const arch = descString(desc, "arch");
  if (arch && arch !== input.unameMachine) return { id, notRun: `its .desc restricts it to ${arch}` };
  if (input.expectation.outcome === "not-run") return { id, notRun: input.expectation.reason };
  const flags = descWords(desc, "flags");
  const options = descWords(desc, "opts");
  // A test the model expects to fail runs without its .desc's feature check, so that it fails rather than skips.
  const feature = input.expectation.outcome === "pass" ? descString(desc, "feature") || null : null;
  return {
    id,
    run: {
      id,
      program: test.program,
      flavor,
      crfail: flags.includes("crfail"),
      mode: test.mode,
      root: flags.includes("suid"),
      timeoutSeconds: Number(descString(desc, "timeout") || 30),
      feature: feature === null ? null : safeWords(feature.split(/\s+/), where).join(","),
      startArgs: safeWords(startArgs, where),
      dumpOptions: safeWords([...options, ...descWords(desc, "dopts")], where),
      restoreOptions: safeWords([...options, ...descWords(desc, "ropts")], where),
    },
  };
}

/**
 * The runner's list: one tab-separated line per run (id, program, flavor,
 * crfail, mode, root, timeout, feature, then the start arguments, dump
 * options and restore options, each space-separated, "-" for none).
 */
export function renderZdtmList(runs: readonly ZdtmRun[]): string {
  const words = (list: readonly string[]) => (list.length > 0 ? list.join(" ") : "-");
  return runs
    .map((run) =>
      [
        run.id,
        run.program,
        run.flavor,
        run.crfail ? "1" : "0",
        run.mode,
        run.root ? "1" : "0",
        String(run.timeoutSeconds),
        run.feature ?? "-",
        words(run.startArgs),
        words(run.dumpOptions),
        words(run.restoreOptions),
      ].join("\t"),
    )
    .map((line) => `${line}\n`)
    .join("");
}

/** What the plan reads from CRIU's source (kept with each ZDTM build). */
export interface ZdtmSourceText {
  /** test/zdtm/static/Makefile. */
  readonly makefile: string;
  /** Each selected program's .desc file, null when it has none. */
  readonly descs: Readonly<Record<string, string | null>>;
  /** Each selected program's .hook and .checkskip files (Python the test system cannot run). */
  readonly companions: Readonly<Record<string, readonly string[]>>;
}

/** The board's plan for every test of the selection, in the selection's order. */
export function planZdtmSelection(
  board: ZdtmBoard,
  selection: readonly ZdtmTest[],
  source: ZdtmSourceText,
): ZdtmPlanEntry[] {
  const startRules = parseZdtmMakefile(source.makefile);
  return selection.map((test) => {
    const text = source.descs[test.program];
    return planZdtmTest({
      test,
      desc: text ? parseZdtmDesc(text, `test/zdtm/static/${test.program}.desc`) : {},
      companions: source.companions[test.program] ?? [],
      startRules,
      unameMachine: board.arch.unameMachine,
      expectation: zdtmExpectation(board, test),
    });
  });
}
