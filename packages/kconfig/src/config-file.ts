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
const SYMBOL_ONLY = new RegExp(`^${SYMBOL}$`);
// "s": a value may hold U+2028/U+2029, which "." would not match otherwise.
const ASSIGNMENT = new RegExp(`^(${SYMBOL})=(.*)$`, "s");
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

/** A value a config file cannot carry safely; the writer refuses it rather than write it. */
export class UnsafeValueError extends Error {
  constructor(
    readonly symbol: string,
    readonly reason: string,
  ) {
    super(`${symbol}: ${reason}`);
    this.name = "UnsafeValueError";
  }
}

export interface FormatOptions {
  /**
   * Make variable references a string value may contain, written exactly
   * (e.g. `$(BR2_EXTERNAL_BR_CRIU_PATH)`). Any other `$` is refused: Buildroot's
   * make includes `.config`, and the kernel's make includes auto.conf, so a
   * `$(shell ...)` in a value would run.
   */
  readonly allowedReferences?: readonly string[];
}

// Matching control characters is this expression's purpose: values may not carry them.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

function describeCharacterAt(textValue: string, index: number): string {
  const code = textValue.codePointAt(index)!;
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")} at position ${index + 1}`;
}

/**
 * Why a string cannot be written as a config value (undefined when it can):
 * a control character (a newline would start a line of its own) or a `$`
 * that is not one of the allowed references.
 */
export function unsafeStringReason(textValue: string, options: FormatOptions = {}): string | undefined {
  const control = CONTROL_CHARACTER.exec(textValue);
  if (control)
    return `control character ${describeCharacterAt(textValue, control.index)} cannot be written in a config file`;
  let rest = textValue;
  for (const reference of options.allowedReferences ?? []) rest = rest.split(reference).join("");
  const dollar = rest.indexOf("$");
  if (dollar !== -1) {
    const allowed = options.allowedReferences?.length
      ? ` (only ${options.allowedReferences.join(", ")} may appear)`
      : "";
    return `"$" would be expanded by make when the config is included${allowed}`;
  }
  return undefined;
}

/** Kconfig's string quoting: `"` and `\\` escaped with a backslash. */
const quoteKconfigString = (textValue: string) => `"${textValue.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** The right-hand side of `SYMBOL=...` for a value (not used for `n`); refuses unsafe strings. */
export function formatValue(value: KconfigValue, options: FormatOptions = {}, symbol = "value"): string {
  switch (value.kind) {
    case "tristate":
    case "int":
    case "hex":
      return value.value;
    case "string": {
      const reason = unsafeStringReason(value.value, options);
      if (reason !== undefined) throw new UnsafeValueError(symbol, reason);
      return quoteKconfigString(value.value);
    }
  }
}

/** One config line for a symbol: `SYM=value`, or `# SYM is not set` for `n`. */
export function formatEntry(symbol: string, value: KconfigValue, options: FormatOptions = {}): string {
  if (!SYMBOL_ONLY.test(symbol)) throw new UnsafeValueError(symbol, "is not a Kconfig symbol (letters, digits and _)");
  if (value.kind === "tristate" && value.value === "n") return `# ${symbol} is not set`;
  return `${symbol}=${formatValue(value, options, symbol)}`;
}

/** A `# ...` comment line; refuses text that would end the comment (a newline or other control character). */
export function commentLine(textValue: string): string {
  const control = CONTROL_CHARACTER.exec(textValue);
  if (control)
    throw new UnsafeValueError(
      "comment",
      `control character ${describeCharacterAt(textValue, control.index)} would end the comment line`,
    );
  return textValue === "" ? "#" : `# ${textValue}`;
}

/** Human form of a value for reports: `y`, `"text"`, `42`, `0x1f`. */
export function describeValue(value: KconfigValue | undefined): string {
  if (value === undefined) return "(absent)";
  // Reports show what a resolved config holds, safe or not: JSON escapes control characters.
  return value.kind === "string"
    ? unsafeStringReason(value.value) === undefined
      ? quoteKconfigString(value.value)
      : JSON.stringify(value.value)
    : value.value;
}

export function sameValue(a: KconfigValue | undefined, b: KconfigValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind !== b.kind) return false;
  if (a.kind === "hex") return a.value.toLowerCase() === b.value.toLowerCase();
  return a.value === b.value;
}

export interface WriteOptions extends FormatOptions {
  /** Lines written first, each prefixed with `# `. */
  readonly header?: readonly string[];
  /** Sort symbols by name (byte order) instead of keeping insertion order. */
  readonly sorted?: boolean;
}

/** Writes a config map back to text that `parseConfig` reads to the same map. */
export function writeConfig(entries: ReadonlyMap<string, KconfigValue>, options: WriteOptions = {}): string {
  const symbols = [...entries.keys()];
  if (options.sorted) symbols.sort(compareSymbols);
  const lines = (options.header ?? []).map(commentLine);
  for (const symbol of symbols) lines.push(formatEntry(symbol, entries.get(symbol)!, options));
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** Byte-order comparison, independent of the locale, for stable output. */
export function compareSymbols(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
