/**
 * The provider's own checks of what it is asked to run: the config reader
 * and the writers have refused hostile values already, so a failure here
 * means a bug or a hand-edited state, and it names the stack key the value
 * came from. Values reach commands only as single arguments or through the
 * generators' quoting; these checks keep control characters and option-like
 * values out all the same.
 */
import type { CheckFailure, Properties } from "./kind";
import { DOCKER_ENDPOINT, checkGrammar, type Grammar } from "@br-criu/model";

/** No control characters (a newline would start another shell command). */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\x00-\x1f\x7f]/;

/** What the engine sends for a value not known yet (a preview, before the resource it comes from exists). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

class Checker {
  readonly failures: CheckFailure[] = [];

  constructor(private readonly news: Properties) {}

  private fail(property: string, reason: string): void {
    this.failures.push({ property, reason });
  }

  /** A string input that must follow the grammar of the stack key it comes from. */
  grammar(property: string, grammar: Grammar, stackKey: string, value: unknown = this.news[property]): void {
    if (typeof value !== "string") return this.fail(property, `br-criu:${stackKey}: expected a string`);
    const violation = checkGrammar(grammar, value);
    if (violation) this.fail(property, `br-criu:${stackKey}: ${violation.message}; ${violation.fix}`);
  }

  /** A string input matching a pattern. */
  pattern(property: string, pattern: RegExp, what: string, value: unknown = this.news[property]): void {
    if (typeof value !== "string" || !pattern.test(value)) this.fail(property, `${what}: got ${JSON.stringify(value)}`);
  }

  /** An absolute path without `..` or control characters (paths come from br-criu:workDir and the repository). */
  absolutePath(property: string, value: unknown = this.news[property]): void {
    if (typeof value !== "string" || !value.startsWith("/") || value.split("/").includes("..") || CONTROL.test(value))
      this.fail(property, `br-criu:workDir: ${JSON.stringify(value)} is not an absolute path without '..'`);
  }

  /** A build host: its address under br-criu:buildHost's grammar, its TLS directory an absolute path. */
  endpoint(property: string, value: unknown = this.news[property]): void {
    if (value === undefined) return;
    const endpoint = value as { host?: unknown; tlsDir?: unknown };
    this.grammar(`${property}.host`, DOCKER_ENDPOINT, "buildHost", endpoint.host);
    if (endpoint.tlsDir !== undefined) this.absolutePath(`${property}.tlsDir`, endpoint.tlsDir);
  }

  /** A map of single-line strings (stage inputs, build arguments). */
  stringMap(property: string, keyPattern: RegExp, describeKey: (key: string) => string): void {
    const value = this.news[property];
    if (value === UNKNOWN) return;
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return this.fail(property, "expected a map of strings");
    for (const [key, entry] of Object.entries(value)) {
      if (!keyPattern.test(key)) this.fail(`${property}.${key}`, `${describeKey(key)}: not a valid key`);
      else if (typeof entry !== "string" || CONTROL.test(entry))
        this.fail(`${property}.${key}`, `${describeKey(key)}: ${JSON.stringify(entry)} is not one line of text`);
    }
  }

  /** Command lines: lists of strings (newlines only between steps, never inside one). */
  commands(property: string): void {
    const run = this.news[property] as { dir?: unknown; commands?: Record<string, unknown> } | undefined;
    if (typeof run !== "object" || run === null) return this.fail(property, "expected the commands to run");
    this.absolutePath(`${property}.dir`, run.dir);
    this.endpoint(`${property}.buildHost`, (run as { buildHost?: unknown }).buildHost);
    for (const list of ["create", "cleanup", "delete"]) {
      const lines = run.commands?.[list];
      if (!Array.isArray(lines) || lines.some((line) => typeof line !== "string" || CONTROL.test(line)))
        this.fail(`${property}.commands.${list}`, "expected a list of command lines, one line each");
    }
  }
}

/** Runs the checks of a kind and returns what failed. */
export function check(news: Properties, rules: (checker: Checker) => void): CheckFailure[] {
  const checker = new Checker(news);
  rules(checker);
  return checker.failures;
}
