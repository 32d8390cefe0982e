import { MAX_SCOPE_LENGTH, scopeGrants } from "./scopes.js";

/** Longest permission query accepted, in UTF-16 units. */
export const MAX_PERMISSION_QUERY_LENGTH = 1000;
/** Deepest nesting of parentheses accepted: the parser and the evaluator recurse once per level. */
export const MAX_PERMISSION_QUERY_DEPTH = 32;

/**
 * A parsed permission query (Unkey's syntax: `a`, `a AND b`, `a OR b`, parentheses, AND binding tighter than
 * OR). Chains of one operator are flattened into one node, so only parentheses make the tree deeper.
 */
export type PermissionQuery =
  | { kind: "permission"; name: string }
  | { kind: "and" | "or"; operands: PermissionQuery[] };

/** The outcome of parsing a query: malformed input is data, not an exception (it comes from a request body). */
export type ParsedPermissionQuery = { ok: true; query: PermissionQuery } | { ok: false; error: string };

type Token =
  | { type: "name"; value: string; at: number }
  | { type: "and" | "or" | "open" | "close"; at: number }
  | { type: "end"; at: number };

class QueryError extends Error {}

/**
 * Parses a permission query such as `documents.read AND (documents.write OR admin)`. Names are 1–128 characters
 * from `A-Z a-z 0-9 . _ : * -`; the keywords are the uppercase words `AND` and `OR`. Scanned by a character loop,
 * never a regex, and bounded in length and depth.
 */
export function parsePermissionQuery(text: string): ParsedPermissionQuery {
  if (typeof text !== "string") return { ok: false, error: "The permission query must be a string." };
  if (text.length > MAX_PERMISSION_QUERY_LENGTH) {
    return {
      ok: false,
      error: `The permission query must be at most ${MAX_PERMISSION_QUERY_LENGTH} characters long.`,
    };
  }
  try {
    const tokens = tokenize(text);
    const parser = new Parser(tokens);
    const query = parser.parseOr(0);
    const next = parser.peek();
    if (next.type !== "end") throw new QueryError(`Expected AND, OR or the end at position ${next.at + 1}.`);
    return { ok: true, query };
  } catch (error) {
    if (error instanceof QueryError) return { ok: false, error: error.message };
    throw error;
  }
}

/** True when scopes a key holds satisfy the query; each name is matched with {@link scopeGrants}. */
export function evaluatePermissionQuery(query: PermissionQuery, granted: readonly string[]): boolean {
  switch (query.kind) {
    case "permission":
      return granted.some((have) => scopeGrants(have, query.name));
    case "and":
      return query.operands.every((operand) => evaluatePermissionQuery(operand, granted));
    case "or":
      return query.operands.some((operand) => evaluatePermissionQuery(operand, granted));
  }
}

/** The names in the query that no granted scope satisfies, each once, in the order they appear. */
export function unmetPermissions(query: PermissionQuery, granted: readonly string[]): string[] {
  const unmet = new Set<string>();
  const walk = (node: PermissionQuery): void => {
    if (node.kind === "permission") {
      if (!granted.some((have) => scopeGrants(have, node.name))) unmet.add(node.name);
      return;
    }
    for (const operand of node.operands) walk(operand);
  };
  walk(query);
  return [...unmet];
}

function isNameChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 46 || // .
    c === 95 || // _
    c === 58 || // :
    c === 42 || // *
    c === 45 // -
  );
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 40) {
      tokens.push({ type: "open", at: i++ });
    } else if (c === 41) {
      tokens.push({ type: "close", at: i++ });
    } else if (isNameChar(c)) {
      const start = i;
      while (i < text.length && isNameChar(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      if (word === "AND") tokens.push({ type: "and", at: start });
      else if (word === "OR") tokens.push({ type: "or", at: start });
      else if (word.length > MAX_SCOPE_LENGTH) {
        throw new QueryError(
          `The permission at position ${start + 1} is longer than ${MAX_SCOPE_LENGTH} characters.`,
        );
      } else tokens.push({ type: "name", value: word, at: start });
    } else {
      // The character itself is not echoed: a query is not a secret, but an error names positions, not input.
      throw new QueryError(
        `Unexpected character at position ${i + 1}: permissions use letters, digits and . _ : * -.`,
      );
    }
  }
  if (tokens.length === 0) throw new QueryError("The permission query is empty.");
  tokens.push({ type: "end", at: text.length });
  return tokens;
}

class Parser {
  readonly #tokens: Token[];
  #index = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  peek(): Token {
    // The token list always ends with "end", and the parser never moves past it.
    return this.#tokens[this.#index] as Token;
  }

  parseOr(depth: number): PermissionQuery {
    const operands = [this.parseAnd(depth)];
    while (this.peek().type === "or") {
      this.#index++;
      operands.push(this.parseAnd(depth));
    }
    return operands.length === 1 ? (operands[0] as PermissionQuery) : { kind: "or", operands };
  }

  parseAnd(depth: number): PermissionQuery {
    const operands = [this.parsePrimary(depth)];
    while (this.peek().type === "and") {
      this.#index++;
      operands.push(this.parsePrimary(depth));
    }
    return operands.length === 1 ? (operands[0] as PermissionQuery) : { kind: "and", operands };
  }

  parsePrimary(depth: number): PermissionQuery {
    const token = this.peek();
    if (token.type === "name") {
      this.#index++;
      return { kind: "permission", name: token.value };
    }
    if (token.type === "open") {
      if (depth >= MAX_PERMISSION_QUERY_DEPTH) {
        throw new QueryError(
          `The permission query nests parentheses deeper than ${MAX_PERMISSION_QUERY_DEPTH} levels.`,
        );
      }
      this.#index++;
      const inner = this.parseOr(depth + 1);
      const close = this.peek();
      if (close.type !== "close") {
        throw new QueryError(`Expected a closing parenthesis at position ${close.at + 1}.`);
      }
      this.#index++;
      return inner;
    }
    if (token.type === "end")
      throw new QueryError("The permission query ends where a permission was expected.");
    throw new QueryError(`Expected a permission or "(" at position ${token.at + 1}.`);
  }
}
