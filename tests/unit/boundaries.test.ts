/**
 * The layering, enforced: each workspace package imports only the br-criu
 * packages its package.json declares, never another package's files by a
 * relative path, and the pure packages (functional core) import no file
 * system, process or Pulumi module: I/O is passed in.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "../support/project";

/** The functional core: compute only. */
const PURE_PACKAGES = ["kconfig", "model", "generators", "planner"];
/** Modules that do I/O or need the Pulumi engine. */
const IMPURE_IMPORT =
  /^(node:(fs|fs\/promises|child_process|os|net|http|https|worker_threads)|fs|child_process|os|@pulumi\/.*)$/;

interface Workspace {
  readonly name: string;
  readonly dir: string;
  readonly declared: ReadonlySet<string>;
}

function workspaces(): Workspace[] {
  const { workspaces: dirs } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
    workspaces: string[];
  };
  return dirs.map((dir) => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, dir, "package.json"), "utf8")) as {
      name: string;
      dependencies?: Record<string, string>;
    };
    return { name: manifest.name, dir, declared: new Set(Object.keys(manifest.dependencies ?? {})) };
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.parentPath.includes("node_modules"))
    .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

/** Module specifiers of a file's static imports and exports (`import ... from "x"`, `export * from "x"`). */
function importsOf(source: string): string[] {
  return [...source.matchAll(/^\s*(?:import|export)\b[^"';]*?\bfrom\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm)].map(
    (match) => (match[1] ?? match[2])!,
  );
}

interface SourceFile {
  /** Path relative to the repository root. */
  readonly file: string;
  readonly source: string;
}

/** Every way a workspace's files break the layering, as "file: problem" lines. */
function violationsIn(workspace: Workspace, files: readonly SourceFile[], pure: boolean): string[] {
  const problems: string[] = [];
  for (const { file, source } of files) {
    for (const specifier of importsOf(source)) {
      const brCriu = /^@br-criu\/[a-z-]+/.exec(specifier)?.[0];
      if (brCriu && brCriu !== workspace.name && !workspace.declared.has(brCriu)) {
        problems.push(`${file}: imports ${brCriu}, which ${workspace.dir}/package.json does not declare`);
      }
      if (
        specifier.startsWith(".") &&
        relative(join(REPO_ROOT, workspace.dir), resolve(REPO_ROOT, dirname(file), specifier)).startsWith("..")
      ) {
        problems.push(`${file}: imports ${specifier}, a file of another package; import the package instead`);
      }
      if (pure && IMPURE_IMPORT.test(specifier))
        problems.push(`${file}: the pure package ${workspace.name} imports ${specifier}; pass the I/O in instead`);
    }
  }
  return problems;
}

function violations(workspace: Workspace): string[] {
  const files = sourceFiles(workspace.dir).map((file) => ({
    file,
    source: readFileSync(join(REPO_ROOT, file), "utf8"),
  }));
  return violationsIn(
    workspace,
    files,
    PURE_PACKAGES.some((name) => workspace.dir === `packages/${name}`),
  );
}

test("the import scanner sees imports and re-exports, not strings", () => {
  assert.deepEqual(
    importsOf(
      'import { a } from "x";\nimport type { B } from "@br-criu/model";\nexport * from "./y";\nimport "z";\nconst s = "from \\"q\\"";\n',
    ),
    ["x", "@br-criu/model", "./y", "z"],
  );
});

test("every workspace package imports only what it declares; pure packages do no I/O and know no Pulumi", () => {
  const all = workspaces();
  assert.ok(all.length >= 9, `workspaces: ${all.map((w) => w.name).join(", ")}`);
  assert.deepEqual(all.flatMap(violations), []);
});

test("the boundary check catches an undeclared package, a relative reach into another package, I/O and Pulumi in a pure package", () => {
  const model = { name: "@br-criu/model", dir: "packages/model", declared: new Set<string>() };
  const source = [
    'import { readFileSync } from "node:fs";',
    'import { parseConfig } from "@br-criu/kconfig";',
    'import { y } from "../../generators/src/y";',
    'import * as pulumi from "@pulumi/pulumi";',
    'import { z } from "./z";',
  ].join("\n");
  assert.deepEqual(violationsIn(model, [{ file: "packages/model/src/x.ts", source }], true), [
    "packages/model/src/x.ts: the pure package @br-criu/model imports node:fs; pass the I/O in instead",
    "packages/model/src/x.ts: imports @br-criu/kconfig, which packages/model/package.json does not declare",
    "packages/model/src/x.ts: imports ../../generators/src/y, a file of another package; import the package instead",
    "packages/model/src/x.ts: the pure package @br-criu/model imports @pulumi/pulumi; pass the I/O in instead",
  ]);
  // An impure package may do I/O.
  assert.deepEqual(
    violationsIn(
      model,
      [{ file: "packages/model/src/x.ts", source: 'import { readFileSync } from "node:fs";' }],
      false,
    ),
    [],
  );
});

/** Relative imports between files, as a graph: file -> the files it imports. */
function relativeImportGraph(files: readonly SourceFile[]): Map<string, string[]> {
  const known = new Set(files.map((f) => f.file));
  const target = (from: string, specifier: string) =>
    [`${specifier}.ts`, `${specifier}/index.ts`]
      .map((candidate) => relative(REPO_ROOT, resolve(REPO_ROOT, dirname(from), candidate)))
      .find((path) => known.has(path));
  return new Map(
    files.map(({ file, source }) => [
      file,
      importsOf(source)
        .filter((specifier) => specifier.startsWith("."))
        .map((specifier) => target(file, specifier))
        .filter((path): path is string => path !== undefined),
    ]),
  );
}

/** Every circle of the graph, each once, as "a -> b -> a" (depth-first search). */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const found = new Set<string>();
  const state = new Map<string, "open" | "done">();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      const loop = path.slice(path.indexOf(file));
      // The same circle entered elsewhere is the same circle: start it at its smallest file.
      const start = loop.indexOf([...loop].sort()[0]!);
      found.add([...loop.slice(start), ...loop.slice(0, start), loop[start]].join(" -> "));
      return;
    }
    state.set(file, "open");
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) visit(file, []);
  return [...found].sort();
}

test("no two files import each other, directly or around a circle", () => {
  const files = workspaces().flatMap((workspace) =>
    sourceFiles(workspace.dir).map((file) => ({ file, source: readFileSync(join(REPO_ROOT, file), "utf8") })),
  );
  assert.deepEqual(circles(relativeImportGraph(files)), []);
});

test("the circle check finds a circle of two files and one of three", () => {
  const file = (name: string, ...imports: string[]) => ({
    file: `packages/x/src/${name}.ts`,
    source: imports.map((i) => `import { v } from "./${i}";`).join("\n"),
  });
  const graph = relativeImportGraph([
    file("a", "b"),
    file("b", "a"),
    file("c", "d"),
    file("d", "e"),
    file("e", "c", "a"),
  ]);
  assert.deepEqual(circles(graph), [
    "packages/x/src/a.ts -> packages/x/src/b.ts -> packages/x/src/a.ts",
    "packages/x/src/c.ts -> packages/x/src/d.ts -> packages/x/src/e.ts -> packages/x/src/c.ts",
  ]);
});
