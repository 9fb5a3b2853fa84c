/**
 * Reading and writing Kconfig configuration files: a kernel `.config`, a
 * Buildroot `.config` or defconfig, and config fragments. They share one line
 * grammar, written by scripts/kconfig/confdata.c:
 *
 *   SYMBOL=y | SYMBOL=m | SYMBOL="text with \" and \\ escaped" | SYMBOL=42 | SYMBOL=0x1f
 *   # SYMBOL is not set
 *
 * Symbols are kept with their prefix (`CONFIG_TUN`, `BR2_x86_64`): the kernel
 * writes `CONFIG_`, Buildroot's symbols already start with `BR2_` and it
 * writes them bare.
 */

export type TristateValue = "y" | "m" | "n";

export type KconfigValue =
  | { readonly kind: "tristate"; readonly value: TristateValue }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "int"; readonly value: string }
  | { readonly kind: "hex"; readonly value: string };

/** Symbol -> value, in the order the symbols first appeared. */
export type KconfigMap = Map<string, KconfigValue>;

export const tristate = (value: TristateValue): KconfigValue => ({ kind: "tristate", value });
export const yes: KconfigValue = tristate("y");
export const no: KconfigValue = tristate("n");
export const text = (value: string): KconfigValue => ({ kind: "string", value });
export const int = (value: number | string): KconfigValue => ({ kind: "int", value: String(value) });
export const hex = (value: string): KconfigValue => ({ kind: "hex", value });

export class KconfigParseError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly content: string,
    readonly reason: string,
  ) {
    super(`${source}:${line}: ${reason}: ${JSON.stringify(content)}`);
    this.name = "KconfigParseError";
  }
}

const SYMBOL = "[A-Za-z0-9_]+";
const ASSIGNMENT = new RegExp(`^(${SYMBOL})=(.*)$`);
const NOT_SET = new RegExp(`^# (${SYMBOL}) is not set$`);
const INT_VALUE = /^-?[0-9]+$/;
const HEX_VALUE = /^0[xX][0-9a-fA-F]+$/;

/**
 * Parses the text of a config file. Comment and blank lines are skipped; a
 * symbol assigned twice keeps the later value, as `merge_config.sh` and
 * Kconfig do. Any other line is an error naming `source` and the line.
 */
export function parseConfig(content: string, source = "<config>"): KconfigMap {
  const entries: KconfigMap = new Map();
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === "") return;
    const unset = NOT_SET.exec(line);
    if (unset) {
      entries.set(unset[1]!, no);
      return;
    }
    if (line.startsWith("#")) return;
    const assignment = ASSIGNMENT.exec(line);
    if (!assignment) {
      throw new KconfigParseError(source, index + 1, raw, "not a SYMBOL=value line or a comment");
    }
    const value = parseValue(assignment[2]!);
    if (value === undefined) {
      throw new KconfigParseError(source, index + 1, raw, "value is not y/m/n, a quoted string, an integer or hex");
    }
    entries.set(assignment[1]!, value);
  });
  return entries;
}

function parseValue(raw: string): KconfigValue | undefined {
  if (raw === "y" || raw === "m" || raw === "n") return tristate(raw);
  if (raw.startsWith('"')) return parseQuoted(raw);
  if (INT_VALUE.test(raw)) return int(raw);
  if (HEX_VALUE.test(raw)) return hex(raw);
  return undefined;
}

function parseQuoted(raw: string): KconfigValue | undefined {
  let value = "";
  for (let i = 1; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === "\\") {
      i++;
      if (i >= raw.length) return undefined;
      value += raw[i];
    } else if (ch === '"') {
      return i === raw.length - 1 ? text(value) : undefined;
    } else {
      value += ch;
    }
  }
  return undefined;
}

/** The right-hand side of `SYMBOL=...` for a value (not used for `n`). */
export function formatValue(value: KconfigValue): string {
  switch (value.kind) {
    case "tristate":
    case "int":
    case "hex":
      return value.value;
    case "string":
      return `"${value.value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  }
}

/** One config line for a symbol: `SYM=value`, or `# SYM is not set` for `n`. */
export function formatEntry(symbol: string, value: KconfigValue): string {
  if (value.kind === "tristate" && value.value === "n") return `# ${symbol} is not set`;
  return `${symbol}=${formatValue(value)}`;
}

/** Human form of a value for reports: `y`, `"text"`, `42`, `0x1f`. */
export function describeValue(value: KconfigValue | undefined): string {
  return value === undefined ? "(absent)" : formatValue(value);
}

export function sameValue(a: KconfigValue | undefined, b: KconfigValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind !== b.kind) return false;
  if (a.kind === "hex") return a.value.toLowerCase() === b.value.toLowerCase();
  return a.value === b.value;
}

export interface WriteOptions {
  /** Lines written first, each prefixed with `# `. */
  readonly header?: readonly string[];
  /** Sort symbols by name (byte order) instead of keeping insertion order. */
  readonly sorted?: boolean;
}

/** Writes a config map back to text that `parseConfig` reads to the same map. */
export function writeConfig(entries: ReadonlyMap<string, KconfigValue>, options: WriteOptions = {}): string {
  const symbols = [...entries.keys()];
  if (options.sorted) symbols.sort(compareSymbols);
  const lines = (options.header ?? []).map((line) => (line === "" ? "#" : `# ${line}`));
  for (const symbol of symbols) lines.push(formatEntry(symbol, entries.get(symbol)!));
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** Byte-order comparison, independent of the locale, for stable output. */
export function compareSymbols(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
