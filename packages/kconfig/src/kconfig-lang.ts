/**
 * A reader for the Kconfig language, enough to explain resolved configs: for
 * every symbol, its type, its dependencies (own `depends on` plus those
 * inherited from enclosing `if`, `menu` and `choice` blocks), its prompts
 * with their conditions, and who `select`s it.
 *
 * File access is injected (`readFile`), so the parser itself does no I/O.
 */
import { allOf, parseExpr, type Expr } from "./expr";

export type SymbolType = "bool" | "tristate" | "string" | "int" | "hex" | "unknown";

export interface SymbolDefinition {
  readonly file: string;
  readonly line: number;
  type: SymbolType;
  /** Own `depends on` lines and enclosing if/menu/choice conditions, joined by &&. */
  readonly dependsOn: Expr[];
  /** Conditions of each prompt (`bool "x" if EXPERT`); a prompt without `if` has none. */
  readonly prompts: { readonly text: string; readonly condition?: Expr }[];
  readonly selects: { readonly symbol: string; readonly condition?: Expr }[];
  /** `default X [if C]` and `def_bool X [if C]` lines, in order. */
  readonly defaults: { readonly value: Expr; readonly condition?: Expr }[];
}

export interface KconfigSymbol {
  readonly name: string;
  readonly definitions: SymbolDefinition[];
  /** Symbols whose definitions `select` this one, with the select's condition. */
  readonly selectedBy: { readonly symbol: string; readonly condition?: Expr }[];
}

export interface KconfigTree {
  readonly symbols: ReadonlyMap<string, KconfigSymbol>;
  readonly files: readonly string[];
}

export interface KconfigReadOptions {
  /** Reads a file relative to the source tree, or returns undefined when it does not exist. */
  readonly readFile: (path: string) => string | undefined;
  /** Values for `$(VAR)` in source paths, e.g. { SRCARCH: "arm64" }. */
  readonly variables: Readonly<Record<string, string>>;
  /** Top-level Kconfig file, "Kconfig" by default. */
  readonly root?: string;
}

export class KconfigSyntaxError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "KconfigSyntaxError";
  }
}

type Block = { readonly kind: "if" | "menu" | "choice"; readonly condition: Expr[] };

const TYPE_KEYWORDS = new Set(["bool", "tristate", "string", "int", "hex", "boolean"]);
const IGNORED_ATTRIBUTES = new Set(["range", "imply", "option", "modules", "optional", "transitional", "defconfig_list", "allnoconfig_y", "mainmenu"]);

/** Splits `"prompt text" if COND` into text and condition. */
function splitPrompt(rest: string): { text: string; condition?: Expr } {
  const match = /^(["'])((?:\\.|(?!\1).)*)\1\s*(?:if\s+(.+))?$/.exec(rest.trim());
  if (!match) return { text: rest.trim() };
  return { text: match[2]!, ...(match[3] ? { condition: parseExpr(match[3]) } : {}) };
}

function splitCondition(rest: string): { head: string; condition?: Expr } {
  const match = /^(.*?)\s+if\s+(.+)$/.exec(rest.trim());
  if (!match) return { head: rest.trim() };
  return { head: match[1]!, condition: parseExpr(match[2]!) };
}

export function readKconfigTree(options: KconfigReadOptions): KconfigTree {
  const symbols = new Map<string, KconfigSymbol>();
  const files: string[] = [];
  const symbol = (name: string) => {
    let entry = symbols.get(name);
    if (!entry) {
      entry = { name, definitions: [], selectedBy: [] };
      symbols.set(name, entry);
    }
    return entry;
  };
  // `$(VAR)` (kernel) and `$VAR` (Buildroot's BR2_EXTERNAL_*_PATH) in source paths.
  const expand = (path: string) =>
    path.replace(/\$\(([A-Za-z0-9_]+)\)|\$([A-Za-z0-9_]+)/g, (whole, paren: string | undefined, bare: string | undefined) => options.variables[(paren ?? bare)!] ?? whole);
  const blocks: Block[] = [];

  const readFile = (file: string, optional: boolean) => {
    const content = options.readFile(file);
    if (content === undefined) {
      if (optional) return;
      throw new Error(`Kconfig file ${file} not found`);
    }
    files.push(file);
    const lines = content.split("\n");
    let current: SymbolDefinition | undefined;
    let currentName: string | undefined;
    let pendingMenu: Block | undefined;
    let helpIndent: number | undefined;
    let inHelp = false;
    const depth = blocks.length;

    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]!;
      const lineNumber = i + 1;
      if (inHelp) {
        const indent = indentation(line);
        if (line.trim() === "") continue;
        if (helpIndent === undefined) helpIndent = indent;
        if (indent >= helpIndent && indent > 0) continue;
        inHelp = false;
      }
      while (line.endsWith("\\") && i + 1 < lines.length) line = line.slice(0, -1) + " " + lines[++i]!;
      const stripped = stripComment(line).trim();
      if (stripped === "") continue;
      const [keyword, ...restWords] = stripped.split(/\s+/);
      const rest = stripped.slice(keyword!.length).trim();
      const fail = (message: string): never => {
        throw new KconfigSyntaxError(file, lineNumber, message);
      };
      const inherited = () => blocks.flatMap((b) => b.condition);

      switch (keyword) {
        case "config":
        case "menuconfig": {
          currentName = restWords[0] ?? fail(`${keyword} without a symbol`);
          current = { file, line: lineNumber, type: "unknown", dependsOn: inherited(), prompts: [], selects: [], defaults: [] };
          symbol(currentName).definitions.push(current);
          pendingMenu = undefined;
          continue;
        }
        case "choice":
          current = undefined;
          currentName = undefined;
          pendingMenu = { kind: "choice", condition: [] };
          blocks.push(pendingMenu);
          continue;
        case "endchoice":
        case "endmenu":
        case "endif": {
          const expected = keyword === "endchoice" ? "choice" : keyword === "endmenu" ? "menu" : "if";
          const block = blocks.pop();
          if (!block || block.kind !== expected || blocks.length < depth) fail(`${keyword} without matching ${expected}`);
          current = undefined;
          pendingMenu = undefined;
          continue;
        }
        case "menu":
          current = undefined;
          pendingMenu = { kind: "menu", condition: [] };
          blocks.push(pendingMenu);
          continue;
        case "if":
          current = undefined;
          pendingMenu = undefined;
          blocks.push({ kind: "if", condition: [parseExpr(rest)] });
          continue;
        case "comment":
        case "mainmenu":
          current = undefined;
          pendingMenu = undefined;
          continue;
        case "source":
        case "osource":
        case "rsource":
        case "orsource": {
          const target = expand(splitPrompt(rest).text);
          const relative = keyword.includes("rsource") ? joinPath(dirname(file), target) : target;
          current = undefined;
          pendingMenu = undefined;
          if (/[*?[]/.test(relative)) continue; // globbed sources are not used by the kernel trees we read
          readFile(relative, keyword.startsWith("o"));
          continue;
        }
        case "help":
        case "---help---":
          inHelp = true;
          helpIndent = undefined;
          continue;
        case "depends": {
          const expr = parseExpr(rest.replace(/^on\s+/, ""));
          if (current) current.dependsOn.push(expr);
          else if (pendingMenu) pendingMenu.condition.push(expr);
          continue;
        }
        case "visible":
          continue; // menu visibility does not change symbol values
        case "prompt":
          if (current) current.prompts.push(splitPrompt(rest));
          continue;
        case "select": {
          const { head, condition } = splitCondition(rest);
          if (current && currentName) {
            current.selects.push({ symbol: head, ...(condition ? { condition } : {}) });
            symbol(head).selectedBy.push({ symbol: currentName, ...(condition ? { condition } : {}) });
          }
          continue;
        }
        case "def_bool":
        case "def_tristate":
        case "default": {
          if (!current) continue;
          if (keyword !== "default") current.type = keyword === "def_bool" ? "bool" : "tristate";
          const { head, condition } = splitCondition(rest);
          current.defaults.push({ value: parseExpr(head), ...(condition ? { condition } : {}) });
          continue;
        }
        default:
          if (TYPE_KEYWORDS.has(keyword!)) {
            if (current) {
              current.type = keyword === "boolean" ? "bool" : (keyword as SymbolType);
              if (rest !== "") current.prompts.push(splitPrompt(rest));
            }
            continue;
          }
          if (IGNORED_ATTRIBUTES.has(keyword!)) continue;
          // Macro definitions of the Kconfig preprocessor: `cc-option = ...`, `X := $(shell ...)`.
          // Top-level macro calls such as `$(error-if,...)` only check the build host.
          if (/^[A-Za-z0-9_-]+\s*(:=|\+=|=)/.test(stripped) || stripped.startsWith("$(")) continue;
          fail(`unknown Kconfig statement "${keyword}"`);
      }
    }
    if (blocks.length !== depth) throw new KconfigSyntaxError(file, lines.length, "unterminated if/menu/choice block");
  };

  readFile(options.root ?? "Kconfig", false);
  return { symbols, files };
}

/** All conditions under which a definition exists, as one expression (undefined: always). */
export function definitionCondition(definition: SymbolDefinition): Expr | undefined {
  return allOf(definition.dependsOn);
}

/** Leading white space width, with tabs to the next multiple of 8 as Kconfig's lexer counts them. */
function indentation(line: string): number {
  let column = 0;
  for (const ch of line) {
    if (ch === " ") column++;
    else if (ch === "\t") column = (Math.floor(column / 8) + 1) * 8;
    else break;
  }
  return column;
}

/** Removes a `#` comment that is outside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "#") return line.slice(0, i);
  }
  return line;
}

function dirname(path: string): string {
  const index = path.lastIndexOf("/");
  return index === -1 ? "" : path.slice(0, index);
}

function joinPath(dir: string, path: string): string {
  return dir === "" ? path : `${dir}/${path}`;
}
