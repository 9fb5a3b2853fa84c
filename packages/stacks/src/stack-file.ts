/**
 * Loading stack files the way Pulumi does: `stacks/Pulumi.<stack>.yaml`
 * holds `config:` with `br-criu:<key>` entries, and project-level defaults
 * from Pulumi.yaml fill in what the stack does not set.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { YAMLParseError, parse } from "yaml";
import { PULUMI_NAMESPACE, resolveBoard, type ConfigProblem, type ResolvedBoard } from "@br-criu/model";
import { asPulumiText, decodeStackConfig } from "./config-reader";
import { PROJECT_FILE } from "./project-file";

/** A problem found in one file. */
export interface FileProblem extends ConfigProblem {
  /** Path relative to the project root. */
  readonly file: string;
}

/** Stack files could not be used; the message has one paragraph per problem. */
export class StackError extends Error {
  readonly problems: readonly FileProblem[];

  constructor(problems: readonly FileProblem[]) {
    super(formatProblems(problems));
    this.name = "StackError";
    this.problems = problems;
  }

  static of(file: string, problems: readonly ConfigProblem[]): StackError {
    return new StackError(problems.map((problem) => ({ ...problem, file })));
  }
}

function formatProblem(p: FileProblem): string {
  const key = p.key === "" ? "" : p.key.includes(":") ? `${p.key}: ` : `${PULUMI_NAMESPACE}:${p.key}: `;
  return `${p.file}: ${key}${p.message}. Fix: ${p.fix}.`;
}

/** At most this many paragraphs; a stack with more problems gets "and N more". */
const MAX_PROBLEM_PARAGRAPHS = 20;

/**
 * One paragraph per problem, deduplicated: problems of the same list key
 * (`criuFeatures[3]`, `criuFeatures[9]`) with the same fix are one
 * paragraph, the first, saying how many more there were.
 */
function formatProblems(problems: readonly FileProblem[]): string {
  const groups = new Map<string, { first: FileProblem; count: number }>();
  for (const problem of problems) {
    const shape = `${problem.file}\0${problem.key.replace(/\[\d+\]/g, "[]")}\0${problem.fix}`;
    const group = groups.get(shape);
    if (group) group.count++;
    else groups.set(shape, { first: problem, count: 1 });
  }
  const paragraphs = [...groups.values()].map(
    ({ first, count }) => formatProblem(first) + (count > 1 ? ` (${count - 1} more like it)` : ""),
  );
  const shown = paragraphs.slice(0, MAX_PROBLEM_PARAGRAPHS);
  if (paragraphs.length > shown.length) shown.push(`and ${paragraphs.length - shown.length} more problems.`);
  return shown.join("\n\n");
}

export interface Project {
  /** Absolute directory holding Pulumi.yaml. */
  readonly root: string;
  readonly stackConfigDir: string;
  /** Project-level defaults of `br-criu:` keys (namespace stripped). */
  readonly defaults: Readonly<Record<string, unknown>>;
}

export interface LoadedStack {
  readonly name: string;
  /** Stack file path relative to the project root, for messages. */
  readonly file: string;
  /** `br-criu:` keys with the namespace stripped and project defaults applied. */
  readonly config: Readonly<Record<string, unknown>>;
}

/** Reads project and stack files from the working tree or from a git revision. */
export interface FileSource {
  read(relativePath: string): string | undefined;
  list(relativeDir: string): string[];
}

export function workingTree(root: string): FileSource {
  return {
    read: (path) => (existsSync(join(root, path)) ? readFileSync(join(root, path), "utf8") : undefined),
    list: (dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).sort() : []),
  };
}

/** Files as they were at a git revision (`diff --since`). */
export function gitRevision(root: string, ref: string): FileSource {
  const git = (args: string[]) =>
    execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  try {
    git(["rev-parse", "--verify", `${ref}^{commit}`]);
  } catch {
    throw StackError.of(ref, [
      {
        key: "",
        message: `git revision "${ref}" does not exist in ${root}`,
        fix: "name a commit, branch or tag of this repository",
      },
    ]);
  }
  return {
    read: (path) => {
      try {
        return git(["show", `${ref}:${path}`]);
      } catch {
        return undefined;
      }
    },
    list: (dir) =>
      git(["ls-tree", "--name-only", `${ref}:${dir}`])
        .split("\n")
        .filter((name) => name !== "")
        .sort(),
  };
}

export function findProjectRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, PROJECT_FILE))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(
        `no ${PROJECT_FILE} in ${start} or any parent directory; run br-criu inside the br-criu repository`,
      );
    dir = parent;
  }
}

function parseYaml(textContent: string, file: string): unknown {
  try {
    return parse(textContent);
  } catch (error) {
    if (error instanceof YAMLParseError && error.code === "DUPLICATE_KEY") {
      // The error points at the repeated key's line; the key is what stands before its colon.
      const line = error.linePos?.[0].line;
      const lineText = line === undefined ? "" : (textContent.split(/\r?\n/)[line - 1] ?? "");
      const key = /^\s*(?:- )?(["']?)(.+?)\1\s*:(?:\s|$)/.exec(lineText)?.[2] ?? lineText.trim();
      throw StackError.of(file, [
        {
          key: "",
          message: `key ${JSON.stringify(key)} appears twice${line ? ` (again at line ${line})` : ""}`,
          fix: "keep one of the two entries",
        },
      ]);
    }
    throw StackError.of(file, [
      {
        key: "",
        message: `not valid YAML (${(error as Error).message.split("\n")[0]})`,
        fix: "correct the YAML syntax",
      },
    ]);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function loadProject(root: string, files: FileSource = workingTree(root)): Project {
  const content = files.read(PROJECT_FILE);
  if (content === undefined)
    throw StackError.of(PROJECT_FILE, [{ key: "", message: "missing", fix: "run br-criu in the repository root" }]);
  const project = parseYaml(content, PROJECT_FILE);
  if (!isRecord(project))
    throw StackError.of(PROJECT_FILE, [
      { key: "", message: "is not a mapping", fix: "restore it with npm run generate" },
    ]);
  const defaults: Record<string, unknown> = {};
  const config = isRecord(project["config"]) ? project["config"] : {};
  for (const [rawKey, declaration] of Object.entries(config)) {
    const key = rawKey.startsWith(`${PULUMI_NAMESPACE}:`) ? rawKey.slice(PULUMI_NAMESPACE.length + 1) : rawKey;
    // A declaration is {type, default, ...}; anything else is a shorthand value.
    if (isRecord(declaration) && ("type" in declaration || "default" in declaration || "description" in declaration)) {
      if ("default" in declaration) defaults[key] = declaration["default"];
    } else {
      defaults[key] = declaration;
    }
  }
  const stackConfigDir = typeof project["stackConfigDir"] === "string" ? project["stackConfigDir"] : ".";
  return { root, stackConfigDir, defaults };
}

export function stackFilePath(project: Project, stack: string): string {
  return join(project.stackConfigDir, `Pulumi.${stack}.yaml`);
}

export function listStacks(project: Project, files: FileSource = workingTree(project.root)): string[] {
  return files
    .list(project.stackConfigDir)
    .map((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

export function loadStack(project: Project, stack: string, files: FileSource = workingTree(project.root)): LoadedStack {
  const file = stackFilePath(project, stack);
  const content = files.read(file);
  if (content === undefined) {
    const known = listStacks(project, files);
    throw StackError.of(file, [
      {
        key: "",
        message: `unknown stack "${stack}": the file does not exist`,
        fix: `use one of: ${known.join(", ") || "(no stacks)"}, or create ${file}`,
      },
    ]);
  }
  const parsed = parseYaml(content, file) ?? {};
  if (!isRecord(parsed))
    throw StackError.of(file, [{ key: "", message: "is not a mapping", fix: "write `config:` with br-criu: keys" }]);
  const rawConfig = parsed["config"] ?? {};
  if (!isRecord(rawConfig))
    throw StackError.of(file, [
      { key: "", message: "`config` is not a mapping", fix: "write `config:` with br-criu: keys" },
    ]);
  // What Pulumi hands the program: project defaults, then the stack's values, all as text.
  const asPulumi: Record<string, string> = Object.fromEntries([
    ...Object.entries(project.defaults).map(([key, value]): [string, string] => [
      `${PULUMI_NAMESPACE}:${key}`,
      asPulumiText(value),
    ]),
    ...Object.entries(rawConfig).map(([key, value]): [string, string] => [key, asPulumiText(value)]),
  ]);
  const { config, problems } = decodeStackConfig(asPulumi);
  if (problems.length > 0) throw StackError.of(file, problems);
  return { name: stack, file, config };
}

/** Loads and resolves a stack, throwing a StackError with every problem found. */
export function resolveStack(stack: LoadedStack): ResolvedBoard {
  const result = resolveBoard(stack.config);
  if (!result.ok) throw StackError.of(stack.file, result.problems);
  return result.board;
}
