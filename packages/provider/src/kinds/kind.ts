/**
 * What every kind of resource of br-criu's provider implements, and the
 * pieces they share: which input changes replace the resource (and so re-run
 * it) and which are recorded without running anything.
 */
import type { EngineLog } from "../engine-log";
import type { ProcessGroups } from "../run";

/** What a handler gets besides the resource's own properties. */
export interface KindContext {
  readonly urn: string;
  readonly log: EngineLog;
  readonly groups: ProcessGroups;
}

// Properties cross the gRPC boundary as plain JSON; each kind reads its own shape from them.
export type Properties = Record<string, unknown>;

/** An input that failed the provider's check, and why. */
export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

/** One changed property for the engine's display: added, removed or changed, and whether it replaces the resource. */
export interface DetailedDiff {
  readonly kind: "add" | "delete" | "update";
  readonly replace: boolean;
  /** The old value is an input (false: an output, such as what refresh found). */
  readonly inputDiff: boolean;
}

export interface DiffOutcome {
  readonly changes: boolean;
  /** Properties whose change replaces (re-runs) the resource. */
  readonly replaces: readonly string[];
  readonly deleteBeforeReplace: boolean;
  /** Every changed property, so that `preview --diff` shows these and nothing else. */
  readonly detailed: Readonly<Record<string, DetailedDiff>>;
}

export interface CreatedResource {
  readonly id: string;
  readonly outs: Properties;
}

export interface ResourceKind {
  /** Refuses inputs a stack could not have produced, naming the stack key (defence in depth). */
  check(news: Properties): CheckFailure[];
  /** `olds` is the state (inputs and outputs), `oldInputs` the inputs it was made from. */
  diff(olds: Properties, oldInputs: Properties, news: Properties): DiffOutcome;
  create(inputs: Properties, context: KindContext): Promise<CreatedResource>;
  /** `pulumi refresh`: the resource as it is now; an empty id says it is gone. */
  read(id: string, props: Properties, context: KindContext): Promise<{ id: string; props: Properties }>;
  /** Changes that replace nothing are recorded as they are, without running anything. */
  update(olds: Properties, news: Properties): Promise<Properties>;
  delete(id: string, props: Properties, context: KindContext): Promise<void>;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const asMap = (value: unknown) =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** The keys whose values differ between two maps, each as added, removed or changed, sorted. */
function changedKeys(before: unknown, after: unknown): [string, DetailedDiff["kind"]][] {
  const a = asMap(before);
  const b = asMap(after);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((key) => !same(a[key], b[key]))
    .sort()
    .map((key) => [key, !(key in a) ? "add" : !(key in b) ? "delete" : "update"]);
}

export interface DiffRules {
  /** Inputs whose change replaces the resource. */
  readonly replaceOn?: readonly string[];
  /** Maps whose every changed entry replaces it, reported one property per entry (options.CONFIG_ZRAM). */
  readonly replaceOnEntries?: readonly string[];
  /** Extra reasons to replace, from the old state (a product gone from disk). */
  readonly replaceIf?: (olds: Properties) => string[];
  /**
   * Delete the old one first: its delete removes what the new one would make
   * (the toolchain stage's empties the output directory). Otherwise the new
   * one is made first, and the engine can replace what builds on it by the
   * provider's own diff, which names the one upstream id that changed.
   */
  readonly deleteFirst?: boolean;
}

/**
 * The diff of a kind: replace for the inputs that need a re-run, an update
 * (recorded, nothing runs) for any other changed input, each changed
 * property named (one per changed entry of the maps that replace by entry).
 */
export function diffByRules(olds: Properties, oldInputs: Properties, news: Properties, rules: DiffRules): DiffOutcome {
  const detailed: Record<string, DetailedDiff> = {};
  for (const [key, kind] of changedKeys(oldInputs, news)) {
    if (rules.replaceOnEntries?.includes(key)) {
      for (const [entry, entryKind] of changedKeys(oldInputs[key], news[key]))
        detailed[`${key}.${entry}`] = { kind: entryKind, replace: true, inputDiff: true };
    } else {
      detailed[key] = { kind, replace: rules.replaceOn?.includes(key) ?? false, inputDiff: true };
    }
  }
  for (const reason of rules.replaceIf?.(olds) ?? [])
    detailed[reason] = { kind: "delete", replace: true, inputDiff: false };
  const replaces = Object.entries(detailed)
    .filter(([, diff]) => diff.replace)
    .map(([path]) => path);
  return {
    changes: Object.keys(detailed).length > 0,
    replaces,
    deleteBeforeReplace: rules.deleteFirst ?? false,
    detailed,
  };
}

/** Whether a resource's delete lines remove something (so its replacement must wait for them). */
export function deletesSomething(inputs: Properties): boolean {
  const run = inputs["run"] as { commands?: { delete?: unknown[] } } | undefined;
  return (run?.commands?.delete?.length ?? 0) > 0;
}

/** Inputs as the state records them, plus outputs: what create and update return. */
export const withOutputs = (inputs: Properties, outputs: Properties): Properties => ({ ...inputs, ...outputs });

/** The fields of an update: new inputs, with the outputs the last run produced. */
export function keepOutputs(olds: Properties, news: Properties, outputs: readonly string[]): Properties {
  return { ...news, ...Object.fromEntries(outputs.filter((key) => key in olds).map((key) => [key, olds[key]])) };
}
