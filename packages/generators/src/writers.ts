/**
 * The writers every generated file and command line goes through, so that no
 * configuration value reaches make or a shell unescaped, whatever it holds.
 * The model's grammars refuse hostile values first; these refuse or quote
 * them again (defence in depth), and a property test feeds them hostile
 * values directly.
 */
import { UnsafeValueError, formatEntry, formatValue, type FormatOptions, type KconfigValue } from "@br-criu/kconfig";
import { codePoint } from "@br-criu/model";
import { EXTERNAL_NAME } from "./layout";

/** The only make variable reference a generated Buildroot value may contain. */
export const EXTERNAL_REFERENCE = `$(BR2_EXTERNAL_${EXTERNAL_NAME}_PATH)`;

/**
 * Buildroot pastes many string values unquoted into shell recipes (overlay
 * directories in a `for` loop, post-image script arguments, the host name in
 * an `echo`), so a Buildroot string value holds no shell syntax either: only
 * these characters, besides the external tree reference.
 */
const BUILDROOT_STRING = /^[A-Za-z0-9 _./:=,+@%-]*$/;
const BUILDROOT_FORMAT: FormatOptions = { allowedReferences: [EXTERNAL_REFERENCE] };

function checkBuildrootString(symbol: string, value: KconfigValue): void {
  if (value.kind !== "string") return;
  const bare = value.value.split(EXTERNAL_REFERENCE).join("");
  if (BUILDROOT_STRING.test(bare)) return;
  const offending = [...bare].find((character) => !BUILDROOT_STRING.test(character))!;
  throw new UnsafeValueError(
    symbol,
    `character ${codePoint(offending)} at position ${value.value.indexOf(offending) + 1} is not allowed in a Buildroot string value (Buildroot uses such values in shell commands)`,
  );
}

/** A Buildroot defconfig line. */
export function formatBuildrootEntry(symbol: string, value: KconfigValue): string {
  checkBuildrootString(symbol, value);
  return formatEntry(symbol, value, BUILDROOT_FORMAT);
}

/** The right-hand side of a Buildroot defconfig line (for triggers and JSON). */
export function formatBuildrootValue(symbol: string, value: KconfigValue): string {
  checkBuildrootString(symbol, value);
  return formatValue(value, BUILDROOT_FORMAT, symbol);
}

/** Words that need no quoting in a POSIX shell. */
const SHELL_BARE_WORD = /^[A-Za-z0-9_./:=@%+,-]+$/;

/**
 * POSIX shell quoting of one word: bare when it is made of safe characters,
 * else in single quotes (inside which nothing is special; a single quote is
 * written as '\''). A NUL cannot be passed to a program at all, so it is refused.
 */
export function shellQuote(word: string): string {
  if (word.includes("\0")) throw new UnsafeValueError("shell word", "a NUL byte cannot be part of a command line");
  return SHELL_BARE_WORD.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line from words, each quoted. */
export const shellCommandLine = (words: readonly string[]) => words.map(shellQuote).join(" ");
