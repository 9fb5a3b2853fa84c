/**
 * docs/configuration.md: every `br-criu:` key with its type, default and
 * value grammar, generated from the stack schema like Pulumi.yaml, so that
 * the reference cannot drift from what the CLI and the program accept.
 */
import { z } from "zod";
import { CRIU_RELEASES, FEATURE_NAMES, KERNEL_RELEASES, PULUMI_NAMESPACE, stackConfigSchema } from "@br-criu/model";

export const CONFIGURATION_DOC = "docs/configuration.md";

interface KeySchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  grammar?: string;
  maxItems?: number;
  items?: KeySchema;
}

/** What a value of the key may be: its grammar, enum or pattern (for a list: of each item). */
function valueRule(key: KeySchema): string {
  if (key.type === "array" && key.items) {
    const item = valueRule(key.items);
    const most = key.maxItems === undefined ? "" : `, at most ${key.maxItems}`;
    return `a list${most}; each item ${item}`;
  }
  if (key.enum) return `one of ${key.enum.map((v) => `\`${String(v)}\``).join(", ")}`;
  if (key.grammar) return key.grammar;
  if (key.pattern) return `matches \`${key.pattern.replace(/\|/g, "\\|")}\``;
  if (key.type === "object") return "a map (see below)";
  return key.type === "boolean" ? "`true` or `false`" : "any text";
}

function defaultText(key: KeySchema, required: boolean): string {
  if (required) return "required";
  if (key.default === undefined) return "unset";
  if (Array.isArray(key.default))
    return key.default.length === 0 ? "`[]`" : key.default.map((v) => `\`${v}\``).join(", ");
  return `\`${JSON.stringify(key.default).replace(/^"|"$/g, "")}\``;
}

/** Markdown table cells hold no pipes or line breaks. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderConfigurationDoc(): string {
  const schema = z.toJSONSchema(stackConfigSchema, { io: "input" }) as {
    properties: Record<string, KeySchema>;
    required?: string[];
  };
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties).map(
    ([name, key]) =>
      `| \`${PULUMI_NAMESPACE}:${name}\` | ${key.type ?? ""} | ${cell(defaultText(key, required.has(name)))} | ${cell(key.description ?? "")} | ${cell(valueRule(key))} |`,
  );
  return [
    "<!-- Generated from packages/model/src/schema.ts by packages/stacks/src/configuration-doc.ts; do not edit.",
    "     Regenerate with: npm run generate -->",
    "# Configuration",
    "",
    `A stack is \`stacks/Pulumi.<stack>.yaml\`; its keys are flat, under the \`${PULUMI_NAMESPACE}:\` namespace,`,
    `so \`npm run pulumi -- qemu-arm config set ${PULUMI_NAMESPACE}:hostname lab-arm\` works without \`--path\``,
    "(`npm run pulumi -- <stack> ...` runs the pinned `pulumi ... --stack <stack>`).",
    "After editing a stack, `npm run plan -- <stack>` shows what it resolves to, and `npm run generate`",
    "rewrites the board's files in the BR2_EXTERNAL tree (the build uses the checked-in tree).",
    "",
    "Every string value has a grammar (packages/model/src/grammar.ts): values reach a Buildroot",
    "defconfig, kernel fragments and shell scripts, so anything outside it is refused with the key, the",
    "offending character by code point and its position. A key outside the schema is refused with the",
    "closest known key.",
    "",
    "| key | type | default | what it is | value |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "## kernelConfig",
    "",
    "A map from Kconfig symbol (without `CONFIG_`) to `y`, `m`, `n`, a whole number, a `0x` hex number",
    'or a string in double quotes (`"console=ttyS0"`). The options are merged into the board\'s generated',
    "fragment after CRIU's; one CRIU needs with another value is refused. Set one with `--path`:",
    "",
    "```sh",
    `npm run pulumi -- qemu-x86_64 config set --path '${PULUMI_NAMESPACE}:kernelConfig.ZRAM' y`,
    "npm run generate",
    "```",
    "",
    "## criuFeatures",
    "",
    `Known features: ${FEATURE_NAMES.map((f) => `\`${f}\``).join(", ")}. \`npm run plan -- <stack>\``,
    "prints the feature matrix: which the architecture can have, which the stack enables, and why not.",
    "",
    "## Releases and their hashes",
    "",
    "Every defconfig sets `BR2_DOWNLOAD_FORCE_CHECK_HASHES=y`, so a release builds only with a recorded",
    "tarball hash (packages/model/src/releases.ts). Recorded:",
    "",
    ...Object.entries(KERNEL_RELEASES).map(([version, r]) => `- Linux ${version}: \`${r.sha256}\` (${r.source})`),
    ...Object.entries(CRIU_RELEASES).map(([version, r]) => `- CRIU ${version}: \`${r.sha256}\` (${r.tarball})`),
    "",
    `Another kernel release needs \`${PULUMI_NAMESPACE}:kernelSha256\` (from kernel.org's signed sha256sums.asc);`,
    "`npm run generate` writes it into the tree's linux and linux-headers hash files.",
    "",
  ].join("\n");
}
