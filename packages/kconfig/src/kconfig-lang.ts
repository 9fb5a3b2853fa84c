/**
 * A reader for the Kconfig language, enough to explain resolved configs: for
 * every symbol, its type, its dependencies (own `depends on` plus those
 * inherited from enclosing `if`, `menu` and `choice` blocks), its prompts
 * with their conditions, and who `select`s it.
 *
 * File access is injected (`readFile`), so the parser itself does no I/O.
 */
import { parseExpr, type Expr } from "./expr";

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
const IGNORED_ATTRIBUTES = new Set([
  "range",
  "imply",
  "option",
  "modules",
  "optional",
  "transitional",
  "defconfig_list",
  "allnoconfig_y",
  "mainmenu",
]);

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

/** Where the reader is inside one file: the entry being defined and the block a `depends on` belongs to. */
interface FileState {
  readonly file: string;
  /** blocks.length when the file started: its blocks must all end inside it. */
  readonly depth: number;
  current?: SymbolDefinition;
  currentName?: string;
  pendingMenu?: Block;
  inHelp: boolean;
  helpIndent?: number;
}

/** One statement: its keyword, the words after it and the text after the keyword. */
interface Statement {
  readonly keyword: string;
  readonly words: readonly string[];
  readonly rest: string;
  readonly text: string;
  readonly line: number;
}

type StatementHandler = (reader: KconfigReader, state: FileState, statement: Statement) => void;

/** Ends the entry being defined: later attributes belong to nothing. */
const endEntry = (state: FileState) => {
  state.current = undefined;
  state.currentName = undefined;
  state.pendingMenu = undefined;
};

const openBlock =
  (kind: "menu" | "choice"): StatementHandler =>
  (reader, state) => {
    endEntry(state);
    state.pendingMenu = { kind, condition: [] };
    reader.blocks.push(state.pendingMenu);
  };

const closeBlock =
  (expected: Block["kind"]): StatementHandler =>
  (reader, state, statement) => {
    const block = reader.blocks.pop();
    if (!block || block.kind !== expected || reader.blocks.length < state.depth) {
      throw new KconfigSyntaxError(state.file, statement.line, `${statement.keyword} without matching ${expected}`);
    }
    endEntry(state);
  };

const source: StatementHandler = (reader, state, { keyword, rest }) => {
  const target = reader.expand(splitPrompt(rest).text);
  const path = keyword.includes("rsource") ? joinPath(dirname(state.file), target) : target;
  endEntry(state);
  if (/[*?[]/.test(path)) return; // globbed sources are not used by the kernel trees we read
  reader.readFile(path, keyword.startsWith("o"));
};

const defaultValue: StatementHandler = (_reader, { current }, { keyword, rest }) => {
  if (!current) return;
  if (keyword !== "default") current.type = keyword === "def_bool" ? "bool" : "tristate";
  const { head, condition } = splitCondition(rest);
  current.defaults.push({ value: parseExpr(head), ...(condition ? { condition } : {}) });
};

const typeDeclaration: StatementHandler = (_reader, { current }, { keyword, rest }) => {
  if (!current) return;
  current.type = keyword === "boolean" ? "bool" : (keyword as SymbolType);
  if (rest !== "") current.prompts.push(splitPrompt(rest));
};

/** What each Kconfig statement does to the tree being read. */
const STATEMENTS: Readonly<Record<string, StatementHandler>> = {
  config: (reader, state, { keyword, words, line }) => {
    const name = words[0];
    if (!name) throw new KconfigSyntaxError(state.file, line, `${keyword} without a symbol`);
    endEntry(state);
    state.currentName = name;
    state.current = {
      file: state.file,
      line,
      type: "unknown",
      dependsOn: reader.blocks.flatMap((b) => b.condition),
      prompts: [],
      selects: [],
      defaults: [],
    };
    reader.symbol(name).definitions.push(state.current);
  },
  choice: openBlock("choice"),
  menu: openBlock("menu"),
  endchoice: closeBlock("choice"),
  endmenu: closeBlock("menu"),
  endif: closeBlock("if"),
  if: (reader, state, { rest }) => {
    endEntry(state);
    reader.blocks.push({ kind: "if", condition: [parseExpr(rest)] });
  },
  comment: (_reader, state) => endEntry(state),
  source,
  help: (_reader, state) => {
    state.inHelp = true;
    state.helpIndent = undefined;
  },
  depends: (_reader, { current, pendingMenu }, { rest }) => {
    const expr = parseExpr(rest.replace(/^on\s+/, ""));
    if (current) current.dependsOn.push(expr);
    else if (pendingMenu) pendingMenu.condition.push(expr);
  },
  visible: () => undefined, // menu visibility does not change symbol values
  prompt: (_reader, { current }, { rest }) => {
    if (current) current.prompts.push(splitPrompt(rest));
  },
  select: (reader, { current, currentName }, { rest }) => {
    if (!current || !currentName) return;
    const { head, condition } = splitCondition(rest);
    current.selects.push({ symbol: head, ...(condition ? { condition } : {}) });
    reader.symbol(head).selectedBy.push({ symbol: currentName, ...(condition ? { condition } : {}) });
  },
  def_bool: defaultValue,
  def_tristate: defaultValue,
  default: defaultValue,
};
const ALIASES: Readonly<Record<string, string>> = {
  menuconfig: "config",
  mainmenu: "comment",
  "---help---": "help",
  osource: "source",
  rsource: "source",
  orsource: "source",
};

/** Reads a Kconfig tree file by file, following `source` statements. */
class KconfigReader {
  readonly symbols = new Map<string, KconfigSymbol>();
  readonly files: string[] = [];
  readonly blocks: Block[] = [];

  constructor(private readonly options: KconfigReadOptions) {}

  symbol(name: string): KconfigSymbol {
    let entry = this.symbols.get(name);
    if (!entry) {
      entry = { name, definitions: [], selectedBy: [] };
      this.symbols.set(name, entry);
    }
    return entry;
  }

  /** `$(VAR)` (kernel) and `$VAR` (Buildroot's BR2_EXTERNAL_*_PATH) in source paths. */
  expand(path: string): string {
    return path.replace(
      /\$\(([A-Za-z0-9_]+)\)|\$([A-Za-z0-9_]+)/g,
      (whole, paren: string | undefined, bare: string | undefined) => this.options.variables[(paren ?? bare)!] ?? whole,
    );
  }

  readFile(file: string, optional: boolean): void {
    const content = this.options.readFile(file);
    if (content === undefined) {
      if (optional) return;
      throw new Error(`Kconfig file ${file} not found`);
    }
    this.files.push(file);
    const lines = content.split("\n");
    const state: FileState = { file, depth: this.blocks.length, inHelp: false };
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]!;
      if (state.inHelp && isHelpText(state, line)) continue;
      const lineNumber = i + 1;
      while (line.endsWith("\\") && i + 1 < lines.length) line = line.slice(0, -1) + " " + lines[++i]!;
      const text = stripComment(line).trim();
      if (text !== "") this.statement(state, text, lineNumber);
    }
    if (this.blocks.length !== state.depth)
      throw new KconfigSyntaxError(file, lines.length, "unterminated if/menu/choice block");
  }

  private statement(state: FileState, text: string, line: number): void {
    const [keyword, ...words] = text.split(/\s+/);
    const statement = { keyword: keyword!, words, rest: text.slice(keyword!.length).trim(), text, line };
    const handler = STATEMENTS[ALIASES[keyword!] ?? keyword!];
    if (handler) return handler(this, state, statement);
    if (TYPE_KEYWORDS.has(keyword!)) return typeDeclaration(this, state, statement);
    if (IGNORED_ATTRIBUTES.has(keyword!)) return;
    // Macro definitions of the Kconfig preprocessor: `cc-option = ...`, `X := $(shell ...)`.
    // Top-level macro calls such as `$(error-if,...)` only check the build host.
    if (/^[A-Za-z0-9_-]+\s*(:=|\+=|=)/.test(text) || text.startsWith("$(")) return;
    throw new KconfigSyntaxError(state.file, line, `unknown Kconfig statement "${keyword}"`);
  }
}

/** Inside a help text: blank lines and lines indented at least as far as its first line belong to it. */
function isHelpText(state: FileState, line: string): boolean {
  if (line.trim() === "") return true;
  const indent = indentation(line);
  if (state.helpIndent === undefined) state.helpIndent = indent;
  if (indent >= state.helpIndent && indent > 0) return true;
  state.inHelp = false;
  return false;
}

export function readKconfigTree(options: KconfigReadOptions): KconfigTree {
  const reader = new KconfigReader(options);
  reader.readFile(options.root ?? "Kconfig", false);
  return { symbols: reader.symbols, files: reader.files };
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
