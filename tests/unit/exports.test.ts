/**
 * No dead exports: every name a module of packages/*\/src or components/
 * exports is imported somewhere (by another module, a test, the benchmark),
 * directly or through its package's entry point. A type may instead be
 * named by another export's declaration in its module (a parameter or
 * result type of a function that is imported). The entry points the engine
 * and node run (components/index.ts, the CLI's and provider's main.ts)
 * export nothing by name.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { REPO_ROOT } from "../support/project";

interface ModuleExports {
  /** Exported names declared in the module, with whether each is a type and its declaration's text. */
  readonly declared: Map<string, { type: boolean; text: string }>;
  /** `export { a } from "x"` and `export * from "x"`: name (or "*") -> the module it comes from. */
  readonly reexports: { name: string; from: string }[];
}

/** name imported -> from which module (a file path). */
type Imports = { name: string; from: string }[];

const SOURCE_DIRS = ["packages", "components", "tests", "bench"];

function sourceFiles(): string[] {
  return SOURCE_DIRS.flatMap((dir) =>
    readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: "utf8" })
      .filter((path) => path.endsWith(".ts") && !path.includes("node_modules"))
      .map((path) => join(REPO_ROOT, dir, path)),
  );
}

/** The file a module specifier names, or undefined for a package outside br-criu. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const candidates = (base: string) => [`${base}.ts`, join(base, "index.ts"), base];
  let base: string;
  if (specifier.startsWith(".")) base = resolve(dirname(from), specifier);
  else if (specifier === "@br-criu/components") base = join(REPO_ROOT, "components/index");
  else if (specifier.startsWith("@br-criu/")) {
    const [, name, ...rest] = specifier.split("/");
    base =
      rest.length > 0 ? join(REPO_ROOT, "packages", name!, ...rest) : join(REPO_ROOT, "packages", name!, "src/index");
  } else return undefined;
  return candidates(base).find((path) => existsSync(path) && path.endsWith(".ts"));
}

const isExported = (node: ts.Node) =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** What a file exports and imports. */
function scan(file: string): { exports: ModuleExports; imports: Imports } {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const declared = new Map<string, { type: boolean; text: string }>();
  const reexports: ModuleExports["reexports"] = [];
  const imports: Imports = [];
  const importFrom = (specifier: string, names: string[]) => {
    const target = resolveSpecifier(file, specifier);
    if (target) for (const name of names) imports.push({ name, from: target });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const bindings = node.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings))
        importFrom(
          node.moduleSpecifier.text,
          bindings.elements.map((e) => (e.propertyName ?? e.name).text),
        );
      else if (bindings && ts.isNamespaceImport(bindings)) importFrom(node.moduleSpecifier.text, ["*"]);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const target = resolveSpecifier(file, node.moduleSpecifier.text);
      if (target) {
        if (!node.exportClause) reexports.push({ name: "*", from: target });
        else if (ts.isNamedExports(node.exportClause))
          for (const e of node.exportClause.elements)
            reexports.push({ name: (e.propertyName ?? e.name).text, from: target });
      }
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "require") {
      // A lazy `require("x")`: the names its result is read by (destructured or a property).
      const [argument] = node.arguments;
      let parent: ts.Node = node.parent;
      while (ts.isAsExpression(parent) || ts.isParenthesizedExpression(parent)) parent = parent.parent;
      const names = ts.isPropertyAccessExpression(parent)
        ? [parent.name.text]
        : ts.isVariableDeclaration(parent) && ts.isObjectBindingPattern(parent.name)
          ? parent.name.elements.map((e) => ((e.propertyName ?? e.name) as ts.Identifier).text)
          : ["*"];
      if (argument && ts.isStringLiteral(argument)) importFrom(argument.text, names);
    } else if (isExported(node)) {
      const text = node.getText(source);
      const type = ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node);
      if (ts.isVariableStatement(node))
        for (const d of node.declarationList.declarations)
          if (ts.isIdentifier(d.name)) declared.set(d.name.text, { type: false, text });
      const name = (node as ts.DeclarationStatement).name;
      if (name && ts.isIdentifier(name)) declared.set(name.text, { type, text });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { exports: { declared, reexports }, imports };
}

/** Every exported name of a module and where it is declared, following re-exports (`path` guards against circles). */
function exportedNames(
  file: string,
  modules: Map<string, ModuleExports>,
  path = new Set<string>(),
): Map<string, string> {
  const names = new Map<string, string>();
  const module = modules.get(file);
  if (!module || path.has(file)) return names;
  path.add(file);
  for (const name of module.declared.keys()) names.set(name, file);
  for (const { name, from } of module.reexports) {
    const below = exportedNames(from, modules, path);
    if (name === "*") for (const [n, where] of below) names.set(n, where);
    else if (below.has(name)) names.set(name, below.get(name)!);
  }
  path.delete(file);
  return names;
}

/** Exports of packages/*\/src and components/ that nothing imports, as "file: name". */
function deadExports(files: readonly string[]): string[] {
  const scanned = new Map(files.map((file) => [file, scan(file)]));
  const modules = new Map([...scanned].map(([file, { exports }]) => [file, exports]));
  // (declaring file, name) pairs something imports, through any chain of re-exports.
  const used = new Set<string>();
  for (const { imports } of scanned.values()) {
    for (const { name, from } of imports) {
      const names = exportedNames(from, modules);
      if (name === "*") for (const [n, where] of names) used.add(`${where}\0${n}`);
      else if (names.has(name)) used.add(`${names.get(name)!}\0${name}`);
    }
  }
  const dead: string[] = [];
  for (const [file, { declared }] of modules) {
    const path = relative(REPO_ROOT, file);
    if (!/^(packages\/[^/]+\/src|components)\//.test(path)) continue;
    for (const [name, { type }] of declared) {
      if (used.has(`${file}\0${name}`)) continue;
      // A type named by another export of its module is part of that export's signature.
      const inSignature =
        type && [...declared].some(([other, d]) => other !== name && new RegExp(`\\b${name}\\b`).test(d.text));
      if (!inSignature) dead.push(`${path}: ${name}`);
    }
  }
  return dead.sort();
}

test("no module exports a name nothing imports", () => {
  const files = sourceFiles();
  assert.ok(files.length > 80, `only ${files.length} source files found`);
  assert.deepEqual(deadExports(files), []);
});
