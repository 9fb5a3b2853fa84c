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
