/**
 * Kconfig expressions (`depends on`, `if`, `visible if`, `default ... if`):
 * parsing, printing and tristate evaluation against a resolved config.
 */
import type { KconfigValue } from "./config-file";

export type Expr =
  | { readonly op: "symbol"; readonly name: string }
  | { readonly op: "not"; readonly operand: Expr }
  | { readonly op: "and" | "or"; readonly left: Expr; readonly right: Expr }
  | { readonly op: "=" | "!=" | "<" | "<=" | ">" | ">="; readonly left: Expr; readonly right: Expr };

const OPERATOR = /^(\|\||&&|!=|<=|>=|[!()=<>])/;
const WORD = /^[A-Za-z0-9_.-]+/;

/** Splits an expression into tokens; `$(macro ...)` calls are kept whole (balanced parentheses). */
function tokenize(source: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    if (rest.startsWith("$(")) {
      let depth = 0;
      let j = i;
      for (; j < source.length; j++) {
        if (source[j] === "(") depth++;
        else if (source[j] === ")" && --depth === 0) break;
      }
      if (depth !== 0) throw new Error(`unbalanced macro in Kconfig expression "${source}"`);
      tokens.push(source.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    const quote = /^(["'])((?:\\.|(?!\1).)*)\1/.exec(rest);
    const match = quote ?? OPERATOR.exec(rest) ?? WORD.exec(rest);
    if (!match) throw new Error(`cannot read Kconfig expression at "${rest}" in "${source}"`);
    tokens.push(match[0]);
    i += match[0].length;
  }
  return tokens;
}

/** Parses `A && (B || !C) && D=y`; precedence: ! > comparisons > && > ||. */
export function parseExpr(source: string): Expr {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const orExpr = (): Expr => {
    let left = andExpr();
    while (peek() === "||") {
      next();
      left = { op: "or", left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): Expr => {
    let left = unary();
    while (peek() === "&&") {
      next();
      left = { op: "and", left, right: unary() };
    }
    return left;
  };
  const unary = (): Expr => {
    if (peek() === "!") {
      next();
      return { op: "not", operand: unary() };
    }
    if (peek() === "(") {
      next();
      const inner = orExpr();
      if (next() !== ")") throw new Error(`missing ")" in Kconfig expression "${source}"`);
      return inner;
    }
    const token = next();
    if (token === undefined) throw new Error(`Kconfig expression ends early: "${source}"`);
    const left: Expr = { op: "symbol", name: unquote(token) };
    const comparison = peek();
    if (
      comparison === "=" ||
      comparison === "!=" ||
      comparison === "<" ||
      comparison === "<=" ||
      comparison === ">" ||
      comparison === ">="
    ) {
      next();
      const right = next();
      if (right === undefined) throw new Error(`comparison without right side in "${source}"`);
      return { op: comparison, left, right: { op: "symbol", name: unquote(right) } };
    }
    return left;
  };
  const expr = orExpr();
  if (pos !== tokens.length) throw new Error(`unexpected "${tokens[pos]}" in Kconfig expression "${source}"`);
  return expr;
}

function unquote(token: string): string {
  return /^["']/.test(token) ? token.slice(1, -1).replace(/\\(.)/g, "$1") : token;
}

const PRECEDENCE: Record<Expr["op"], number> = {
  or: 1,
  and: 2,
  "=": 3,
  "!=": 3,
  "<": 3,
  "<=": 3,
  ">": 3,
  ">=": 3,
  not: 4,
  symbol: 5,
};

export function formatExpr(expr: Expr, parentPrecedence = 0): string {
  let text: string;
  switch (expr.op) {
    case "symbol":
      return expr.name;
    case "not":
      text = `!${formatExpr(expr.operand, PRECEDENCE.not)}`;
      break;
    case "and":
    case "or":
      text = `${formatExpr(expr.left, PRECEDENCE[expr.op])} ${expr.op === "and" ? "&&" : "||"} ${formatExpr(expr.right, PRECEDENCE[expr.op])}`;
      break;
    default:
      text = `${formatExpr(expr.left, PRECEDENCE[expr.op])}${expr.op}${formatExpr(expr.right, PRECEDENCE[expr.op])}`;
  }
  return PRECEDENCE[expr.op] < parentPrecedence ? `(${text})` : text;
}

/** Joins conditions with &&, skipping none; undefined when there are none. */
export function allOf(conditions: readonly Expr[]): Expr | undefined {
  return conditions.reduce<Expr | undefined>((acc, e) => (acc ? { op: "and", left: acc, right: e } : e), undefined);
}

/** Symbols referenced by an expression (constants y/m/n and numbers excluded), in order, unique. */
export function referencedSymbols(expr: Expr): string[] {
  const out: string[] = [];
  const walk = (e: Expr) => {
    if (e.op === "symbol") {
      if (isSymbolName(e.name) && !out.includes(e.name)) out.push(e.name);
    } else if (e.op === "not") walk(e.operand);
    else {
      walk(e.left);
      walk(e.right);
    }
  };
  walk(expr);
  return out;
}

const isSymbolName = (name: string) =>
  /^[A-Za-z0-9_]+$/.test(name) && !/^[ymn]$/.test(name) && !/^-?[0-9]+$/.test(name) && !/^0x/i.test(name);

/** Looks a symbol (without prefix) up in a resolved config. */
export type SymbolLookup = (name: string) => KconfigValue | undefined;

/** 0 (n), 1 (m) or 2 (y), Kconfig's tristate logic. */
export type Tri = 0 | 1 | 2;

function triOf(value: KconfigValue | undefined): Tri {
  if (value === undefined) return 0;
  if (value.kind !== "tristate") return 0;
  return value.value === "y" ? 2 : value.value === "m" ? 1 : 0;
}

function textOf(name: string, lookup: SymbolLookup): string {
  if (name === "y" || name === "m" || name === "n" || !isSymbolName(name)) return name;
  const value = lookup(name);
  if (value === undefined) return "n";
  return value.kind === "tristate" ? value.value : value.value;
}

export function evaluate(expr: Expr, lookup: SymbolLookup): Tri {
  switch (expr.op) {
    case "symbol":
      if (expr.name === "y") return 2;
      if (expr.name === "m") return 1;
      if (expr.name === "n" || !isSymbolName(expr.name)) return 0;
      return triOf(lookup(expr.name));
    case "not":
      return (2 - evaluate(expr.operand, lookup)) as Tri;
    case "and":
      return Math.min(evaluate(expr.left, lookup), evaluate(expr.right, lookup)) as Tri;
    case "or":
      return Math.max(evaluate(expr.left, lookup), evaluate(expr.right, lookup)) as Tri;
    default: {
      const left = textOf((expr.left as { name: string }).name, lookup);
      const right = textOf((expr.right as { name: string }).name, lookup);
      const numeric =
        /^-?(0x)?[0-9a-f]+$/i.test(left) && /^-?(0x)?[0-9a-f]+$/i.test(right) && !/^[ymn]$/.test(left + right);
      const cmp = numeric ? Number(left) - Number(right) : left < right ? -1 : left > right ? 1 : 0;
      const holds =
        expr.op === "="
          ? cmp === 0
          : expr.op === "!="
            ? cmp !== 0
            : expr.op === "<"
              ? cmp < 0
              : expr.op === "<="
                ? cmp <= 0
                : expr.op === ">"
                  ? cmp > 0
                  : cmp >= 0;
      return holds ? 2 : 0;
    }
  }
}

/**
 * Why an expression is false: the smallest set of symbol settings that make
 * it so, e.g. ["NETDEVICES=n"] for `NETDEVICES && NET_CORE` when NETDEVICES
 * is off, or ["OABI_COMPAT=y"] for `!OABI_COMPAT`.
 */
export function blockers(expr: Expr, lookup: SymbolLookup): string[] {
  const out: string[] = [];
  const add = (text: string) => {
    if (!out.includes(text)) out.push(text);
  };
  const walk = (e: Expr, wantTrue: boolean) => {
    const value = evaluate(e, lookup);
    if (value > 0 === wantTrue) return;
    switch (e.op) {
      case "symbol":
        add(`${e.name}=${textOf(e.name, lookup)}`);
        return;
      case "not":
        walk(e.operand, !wantTrue);
        return;
      case "and":
      case "or":
        // A false AND (or a true OR that should be false) is caused by each failing side.
        walk(e.left, wantTrue);
        walk(e.right, wantTrue);
        return;
      default:
        add(
          `${formatExpr(e)} [${referencedSymbols(e)
            .map((s) => `${s}=${textOf(s, lookup)}`)
            .join(", ")}]`,
        );
    }
  };
  walk(expr, true);
  return out;
}
