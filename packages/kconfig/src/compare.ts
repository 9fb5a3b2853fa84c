import { compareSymbols, sameValue, type KconfigValue } from "./config-file";

export interface ConfigChange {
  readonly symbol: string;
  readonly from: KconfigValue;
  readonly to: KconfigValue;
}

export interface ConfigDiff {
  /** In `after` only, sorted by symbol. */
  readonly added: ReadonlyArray<{ readonly symbol: string; readonly value: KconfigValue }>;
  /** In `before` only, sorted by symbol. */
  readonly removed: ReadonlyArray<{ readonly symbol: string; readonly value: KconfigValue }>;
  /** In both with different values, sorted by symbol. */
  readonly changed: readonly ConfigChange[];
}

/**
 * Textual diff of two configs. `# X is not set` and an absent X are kept
 * apart here (a defconfig that starts saying "not set" did change); use
 * `verifyResolved` for the semantic question "did my option survive".
 */
export function diffConfigs(
  before: ReadonlyMap<string, KconfigValue>,
  after: ReadonlyMap<string, KconfigValue>,
): ConfigDiff {
  const symbols = [...new Set([...before.keys(), ...after.keys()])].sort(compareSymbols);
  const added: { symbol: string; value: KconfigValue }[] = [];
  const removed: { symbol: string; value: KconfigValue }[] = [];
  const changed: ConfigChange[] = [];
  for (const symbol of symbols) {
    const from = before.get(symbol);
    const to = after.get(symbol);
    if (from === undefined) added.push({ symbol, value: to! });
    else if (to === undefined) removed.push({ symbol, value: from });
    else if (!sameValue(from, to)) changed.push({ symbol, from, to });
  }
  return { added, removed, changed };
}

export function isEmptyDiff(diff: ConfigDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}

export interface RequestedOutcome {
  readonly symbol: string;
  readonly requested: KconfigValue;
  /** What the resolved config says; undefined when the symbol is absent. */
  readonly resolved: KconfigValue | undefined;
}

export interface VerifyResult {
  /** Requested symbols whose resolved value is the requested one, sorted. */
  readonly kept: readonly string[];
  /** Requested on (y, m, a string or number) but absent or `n` in the resolved config. */
  readonly dropped: readonly RequestedOutcome[];
  /** Present with another value than requested (y became m, a string differs, n was forced on). */
  readonly changed: readonly RequestedOutcome[];
}

const isOff = (value: KconfigValue | undefined) =>
  value === undefined || (value.kind === "tristate" && value.value === "n");

/**
 * Compares what was requested (a fragment or generated defconfig) with what
 * Kconfig resolved (`make olddefconfig` / `make defconfig` output). Kconfig
 * drops a symbol silently when its dependencies are unmet; this finds it.
 */
export function verifyResolved(
  requested: ReadonlyMap<string, KconfigValue>,
  resolved: ReadonlyMap<string, KconfigValue>,
): VerifyResult {
  const kept: string[] = [];
  const dropped: RequestedOutcome[] = [];
  const changed: RequestedOutcome[] = [];
  for (const symbol of [...requested.keys()].sort(compareSymbols)) {
    const want = requested.get(symbol)!;
    const got = resolved.get(symbol);
    const outcome = { symbol, requested: want, resolved: got };
    if (isOff(want) ? isOff(got) : sameValue(want, got)) {
      kept.push(symbol);
    } else if (!isOff(want) && isOff(got)) {
      dropped.push(outcome);
    } else {
      changed.push(outcome);
    }
  }
  return { kept, dropped, changed };
}
