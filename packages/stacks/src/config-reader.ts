/**
 * The one configuration reader, used by `br-criu plan` and by the Pulumi
 * program alike, so that `plan` is a faithful twin of `preview`.
 *
 * Its input is what Pulumi hands a program: every key of the stack as text.
 * `pulumi config set br-criu:ccache false` stores the string "false", a
 * typed YAML value `false` arrives as "false" too, and maps and lists
 * (`--path` or YAML) arrive as JSON. The stack-file loader turns YAML into
 * that same form first (`asPulumiText`), then both paths decode it here by
 * the keys' declared types.
 */
import { PULUMI_NAMESPACE, STACK_CONFIG_KEYS, ownEntry, type ConfigProblem } from "@br-criu/model";
import { configKeyTypes } from "./project-file";

/** Namespaces owned by Pulumi itself and by the providers the program uses. */
const FOREIGN_NAMESPACES: readonly string[] = ["command", "docker", "pulumi"];

/** A config value the way Pulumi passes it to a program: scalars as text, maps and lists as JSON. */
export function asPulumiText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value ?? null);
}

export interface DecodedConfig {
  /** `br-criu:` keys with the namespace stripped, decoded by their declared types. */
  readonly config: Record<string, unknown>;
  readonly problems: readonly ConfigProblem[];
}

/** Decodes one value by its declared type; text that does not decode is left for the schema to refuse. */
function decodeValue(type: string | undefined, text: string): unknown {
  if (type === "string" || type === undefined) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function decodeStackConfig(all: Readonly<Record<string, string>>): DecodedConfig {
  const types = configKeyTypes();
  // Entries, not assignments: a key "__proto__" must stay a key (and be refused), not set a prototype.
  const decoded: [string, unknown][] = [];
  const problems: ConfigProblem[] = [];
  for (const fullKey of Object.keys(all).sort()) {
    const separator = fullKey.indexOf(":");
    if (separator === -1) {
      problems.push({
        key: fullKey,
        message: `"${fullKey}" has no namespace, so Pulumi cannot read it`,
        fix: `write ${PULUMI_NAMESPACE}:${closestKey(fullKey) ?? fullKey}`,
      });
      continue;
    }
    const namespace = fullKey.slice(0, separator);
    const key = fullKey.slice(separator + 1);
    if (namespace === PULUMI_NAMESPACE) {
      decoded.push([key, decodeValue(ownEntry(types, key), all[fullKey]!)]);
    } else if (!FOREIGN_NAMESPACES.includes(namespace)) {
      const suggestion = closestKey(key);
      problems.push({
        key: fullKey,
        message: `unknown namespace "${namespace}" (neither ${PULUMI_NAMESPACE}: nor one of ${FOREIGN_NAMESPACES.map((n) => `${n}:`).join(", ")}), so the value would be ignored`,
        fix:
          suggestion === undefined
            ? `use ${PULUMI_NAMESPACE}:<key> with one of: ${STACK_CONFIG_KEYS.join(", ")}`
            : `did you mean ${PULUMI_NAMESPACE}:${suggestion}?`,
      });
    }
  }
  return { config: Object.fromEntries(decoded), problems };
}

/** The known key nearest to a misspelt one (at most a third of its letters off), if any. */
function closestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of STACK_CONFIG_KEYS) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
