/**
 * Requested kernel options vs the resolved .config, explained with the
 * Kconfig tree: which options Kconfig dropped and which unmet dependency
 * dropped them. Pure: the caller supplies the parsed configs and tree.
 */
import {
  allOf,
  blockers,
  describeValue,
  evaluate,
  formatExpr,
  verifyResolved,
  type Expr,
  type KconfigTree,
  type KconfigValue,
  type SymbolLookup,
} from "@br-criu/kconfig";

/** Where a requested option came from: a model level, or a user fragment. */
export type OptionOrigin = "required" | "feature" | "arch" | "machine" | "fragment";

export interface OptionFinding {
  /** With the CONFIG_ prefix. */
  readonly symbol: string;
  readonly origin: OptionOrigin;
  readonly feature?: string;
  readonly requested: string;
  readonly resolved: string;
  /** One line saying why, e.g. "depends on NETDEVICES && NET_CORE && INET [NETDEVICES=n]". */
  readonly explanation: string;
}

export interface RequestedOption {
  readonly value: KconfigValue;
  readonly origin: OptionOrigin;
  readonly feature?: string;
}

export interface ConfigAnalysis {
  readonly requested: number;
  readonly kept: readonly string[];
  readonly dropped: readonly OptionFinding[];
  readonly changed: readonly OptionFinding[];
}

const PREFIX = "CONFIG_";
const bare = (symbol: string) => (symbol.startsWith(PREFIX) ? symbol.slice(PREFIX.length) : symbol);

export function lookupIn(resolved: ReadonlyMap<string, KconfigValue>): SymbolLookup {
  return (name) => resolved.get(`${PREFIX}${name}`);
}

function dedupe(conditions: readonly Expr[]): Expr[] {
  const seen = new Set<string>();
  return conditions.filter((c) => {
    const text = formatExpr(c);
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

/** Why a symbol is off (or not what was requested) in a resolved config. */
export function explainSymbol(
  symbol: string,
  tree: KconfigTree,
  resolved: ReadonlyMap<string, KconfigValue>,
  karch: string,
): string {
  const lookup = lookupIn(resolved);
  const entry = tree.symbols.get(bare(symbol));
  if (!entry || entry.definitions.length === 0) return `not defined in the Kconfig of ARCH=${karch}`;
  const unmet: string[] = [];
  for (const definition of entry.definitions) {
    const condition = allOf(dedupe(definition.dependsOn));
    if (condition && evaluate(condition, lookup) === 0) {
      unmet.push(`depends on ${formatExpr(condition)} [${blockers(condition, lookup).join(", ")}]`);
      continue;
    }
    // Dependencies hold: the value is then decided by the prompt's visibility or by select/default.
    if (definition.prompts.length === 0) {
      const selectors = entry.selectedBy.map((s) => s.symbol);
      return `has no prompt, so only select or default can set it${selectors.length ? ` (selected by ${selectors.slice(0, 5).join(", ")}${selectors.length > 5 ? ", ..." : ""})` : ""}`;
    }
    const hidden = definition.prompts.filter((p) => p.condition && evaluate(p.condition, lookup) === 0);
    if (hidden.length === definition.prompts.length) {
      return `prompt only visible if ${hidden.map((p) => `${formatExpr(p.condition!)} [${blockers(p.condition!, lookup).join(", ")}]`).join(" or ")}`;
    }
    const forcedBy = entry.selectedBy.filter((s) => evaluate({ op: "symbol", name: s.symbol }, lookup) > 0);
    if (forcedBy.length > 0) return `selected by ${forcedBy.map((s) => s.symbol).join(", ")}`;
    return "dependencies are met; the value was limited by a tristate dependency or a range";
  }
  return unmet.join("; or ");
}

export function analyzeConfig(
  requested: ReadonlyMap<string, RequestedOption>,
  resolved: ReadonlyMap<string, KconfigValue>,
  tree: KconfigTree,
  karch: string,
): ConfigAnalysis {
  const values = new Map([...requested].map(([symbol, option]) => [symbol, option.value]));
  const result = verifyResolved(values, resolved);
  const finding = (outcome: {
    symbol: string;
    requested: KconfigValue;
    resolved: KconfigValue | undefined;
  }): OptionFinding => {
    const option = requested.get(outcome.symbol)!;
    return {
      symbol: outcome.symbol,
      origin: option.origin,
      ...(option.feature ? { feature: option.feature } : {}),
      requested: describeValue(outcome.requested),
      resolved: describeValue(outcome.resolved),
      explanation: explainSymbol(outcome.symbol, tree, resolved, karch),
    };
  };
  return {
    requested: requested.size,
    kept: result.kept,
    dropped: result.dropped.map(finding),
    changed: result.changed.map(finding),
  };
}
