/**
 * No function in the packages' sources, the components or the provider runs
 * over 60 lines (as Prettier lays them out): a longer one is split into
 * functions that each say what they do.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { REPO_ROOT } from "../support/project";

const MAX_LINES = 60;

/** Every function, method, constructor and arrow function with a body longer than `max` lines, as "file:line (n lines)". */
function longFunctions(file: string, source: string, max: number): string[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const line = (position: number) => tree.getLineAndCharacterOfPosition(position).line;
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const lines = line(node.getEnd()) - line(node.getStart()) + 1;
      if (lines > max) found.push(`${file}:${line(node.getStart()) + 1} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

/** Every .ts file below a directory (none when it does not exist). */
function typeScriptFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".ts") && !name.includes("node_modules"))
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}

test(`no function in packages/*/src or components/ is longer than ${MAX_LINES} lines`, () => {
  const sources = [
    ...readdirSync(join(REPO_ROOT, "packages"), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((entry) => typeScriptFiles(join(REPO_ROOT, "packages", entry.name, "src"))),
    ...typeScriptFiles(join(REPO_ROOT, "components")),
  ];
  assert.ok(sources.length > 40, `only ${sources.length} source files found`);
  const long = sources.flatMap((path) =>
    longFunctions(relative(REPO_ROOT, path), readFileSync(path, "utf8"), MAX_LINES),
  );
  assert.deepEqual(long, []);
});

test("the length check counts a function's lines from its start to its end", () => {
  const body = Array.from({ length: 5 }, (_, i) => `  const v${i} = ${i};`).join("\n");
  const source = `function short() {\n${body}\n}\nconst arrow = () => {\n${body}\n};\n`;
  assert.deepEqual(longFunctions("x.ts", source, 7), []);
  assert.deepEqual(longFunctions("x.ts", source, 6), ["x.ts:1 (7 lines)", "x.ts:8 (7 lines)"]);
});
