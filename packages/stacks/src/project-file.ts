/**
 * Pulumi.yaml: generated from the stack schema so that the typed project
 * config declarations, their descriptions and their defaults cannot drift
 * from what the CLI and the program validate against.
 */
import { z } from "zod";
import { stringify } from "yaml";
import { PULUMI_NAMESPACE, stackConfigSchema } from "@br-criu/model";
import { PROVIDER_PLUGIN } from "@br-criu/generators";

export const PROJECT_FILE = "Pulumi.yaml";
const STACK_CONFIG_DIR = "stacks";
/** Local file backend inside the repo (git-ignored): no Pulumi Cloud account needed. */
const LOCAL_BACKEND_URL = "file://./.pulumi-state";

interface JsonSchemaProperty {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  items?: JsonSchemaProperty;
}

export interface ConfigDeclaration {
  type: "string" | "boolean" | "integer" | "array";
  description: string;
  default?: unknown;
  items?: { type: "string" };
}

const PULUMI_TYPES = new Set(["string", "boolean", "integer", "array"]);

/**
 * Project config declarations. Pulumi treats a typed key without a default as
 * required, so optional keys without a default (cpu, kernelDts, ...) are not
 * declared; they are listed in a comment instead.
 */
function projectConfigDeclarations(): {
  declared: Record<string, ConfigDeclaration>;
  optional: Record<string, string>;
} {
  const schema = z.toJSONSchema(stackConfigSchema, { io: "input" }) as {
    properties: Record<string, JsonSchemaProperty>;
    required?: string[];
  };
  const required = new Set(schema.required ?? []);
  const declared: Record<string, ConfigDeclaration> = {};
  const optional: Record<string, string> = {};
  for (const key of Object.keys(schema.properties).sort()) {
    const property = schema.properties[key]!;
    const description = property.enum
      ? `${property.description} One of: ${property.enum.join(", ")}.`
      : (property.description ?? "");
    // Optional keys are listed, not declared, so maps (kernelConfig) may be among them.
    if (!required.has(key) && property.default === undefined) {
      optional[key] = description;
      continue;
    }
    if (!property.type || !PULUMI_TYPES.has(property.type)) {
      throw new Error(
        `schema key ${key}: type ${property.type} cannot be declared in Pulumi.yaml (string, boolean, integer, array)`,
      );
    }
    declared[key] = {
      type: property.type as ConfigDeclaration["type"],
      description,
      ...(property.default === undefined ? {} : { default: property.default }),
      ...(property.type === "array" ? { items: { type: "string" as const } } : {}),
    };
  }
  return { declared, optional };
}

/** Pulumi config type of every schema key (declared or optional). */
export function configKeyTypes(): Record<string, ConfigDeclaration["type"]> {
  const { properties } = z.toJSONSchema(stackConfigSchema, { io: "input" }) as {
    properties: Record<string, JsonSchemaProperty>;
  };
  return Object.fromEntries(
    Object.entries(properties).map(([key, property]) => [key, property.type as ConfigDeclaration["type"]]),
  );
}

export function renderProjectFile(): string {
  const { declared, optional } = projectConfigDeclarations();
  const project = {
    name: PULUMI_NAMESPACE,
    description: "Reproducible Buildroot images with CRIU, one stack per board",
    runtime: { name: "nodejs" },
    main: "components/index.ts",
    stackConfigDir: STACK_CONFIG_DIR,
    backend: { url: LOCAL_BACKEND_URL },
    plugins: { providers: [{ ...PROVIDER_PLUGIN }] },
    config: declared,
  };
  const optionalLines = Object.entries(optional).map(
    ([key, description]) => `#   ${PULUMI_NAMESPACE}:${key}: ${description}`,
  );
  return [
    "# Generated from packages/model/src/schema.ts; do not edit.",
    "# Regenerate with: npm run generate",
    "#",
    "# Optional keys without a default (Pulumi would treat a declared key without a",
    "# default as required, so they are not declared below):",
    ...optionalLines,
    stringify(project, { lineWidth: 0 }).trimEnd(),
    "",
  ].join("\n");
}
