/** Tokenizer and recursive-descent parser for the expression language inside `${{ }}`. */
import { didYouMean } from "./suggest.ts";

/** A syntax (or evaluation) error; `offset` is 0-based within the expression source. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = "ExpressionError";
  }
}

export type Literal = string | number | boolean | null;
export type BinaryOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||";

/** Function names with their allowed argument counts. */
export const FUNCTIONS = {
  success: [0, 0],
  failure: [0, 0],
  always: [0, 0],
  cancelled: [0, 0],
  contains: [2, 2],
  startsWith: [2, 2],
  endsWith: [2, 2],
  format: [1, Number.POSITIVE_INFINITY],
  toJSON: [1, 1],
  fromJSON: [1, 1],
} as const satisfies Record<string, readonly [number, number]>;
export type FunctionName = keyof typeof FUNCTIONS;

export type Expr =
  | { kind: "literal"; value: Literal; offset: number }
  | { kind: "name"; name: string; offset: number }
  | { kind: "property"; object: Expr; name: string; offset: number }
  | { kind: "index"; object: Expr; index: Expr; offset: number }
  | { kind: "not"; operand: Expr; offset: number }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; offset: number }
  | { kind: "call"; name: FunctionName; args: Expr[]; offset: number };

type Token =
  | { type: "string"; value: string; offset: number }
  | { type: "number"; value: number; offset: number }
  | { type: "ident" | "punct"; value: string; offset: number }
  | { type: "eof"; value: ""; offset: number };

const PUNCT = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ".", ","];
const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![A-Za-z0-9_])/y;
// Mistakes people make coming from JS or shell, with the fix spelled out.
const MISTAKES: Record<string, string> = {
  '"': "strings use single quotes: 'text'",
  "=": "use == to compare",
  "&": "use && for 'and'",
  "|": "use || for 'or'",
  "$": "expressions cannot nest ${{ }}",
};

/** Splits an expression into tokens. */
function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] ?? "";
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "'") {
      let value = "";
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw new ExpressionError("unterminated string; add a closing '", i);
        if (src[j] === "'") {
          if (src[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += src[j];
        j++;
      }
      tokens.push({ type: "string", value, offset: i });
      i = j + 1;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(src);
    if (num && (ch !== "-" || /\d/.test(src[i + 1] ?? ""))) {
      tokens.push({ type: "number", value: Number(num[0]), offset: i });
      i += num[0].length;
      continue;
    }
    IDENT.lastIndex = i;
    const ident = IDENT.exec(src);
    if (ident) {
      tokens.push({ type: "ident", value: ident[0], offset: i });
      i += ident[0].length;
      continue;
    }
    const punct = PUNCT.find((p) => src.startsWith(p, i));
    if (punct) {
      tokens.push({ type: "punct", value: punct, offset: i });
      i += punct.length;
      continue;
    }
    const hint = MISTAKES[ch];
    throw new ExpressionError(`unexpected character ${JSON.stringify(ch)}${hint ? `; ${hint}` : ""}`, i);
  }
  tokens.push({ type: "eof", value: "", offset: src.length });
  return tokens;
}

/** Describes a token for error messages. */
function describe(token: Token): string {
  if (token.type === "eof") return "the end of the expression";
  if (token.type === "string") return `'${token.value}'`;
  return `"${String(token.value)}"`;
}

/**
 * Deepest expression: parentheses, brackets, function calls, `!`, operators and property accesses all nest, and
 * the parser and evaluator recurse once per level, so thousands of levels would overflow the stack.
 */
export const MAX_EXPRESSION_DEPTH = 64;

class Parser {
  private pos = 0;
  /** Levels of parentheses, brackets, arguments and `!` entered. */
  private nesting = 0;
  /** Height of each node built, so a long chain (`a || b || ...`, `a.b.c...`) is bounded like nesting. */
  private readonly heights = new WeakMap<Expr, number>();
  constructor(private readonly tokens: Token[]) {}

  /** Records `expr` as one level above its deepest child; throws past MAX_EXPRESSION_DEPTH. */
  private node<T extends Expr>(expr: T, ...children: Expr[]): T {
    const height = 1 + Math.max(0, ...children.map((c) => this.heights.get(c) ?? 1));
    if (height > MAX_EXPRESSION_DEPTH) throw this.tooDeep(expr.offset);
    this.heights.set(expr, height);
    return expr;
  }

  /** Runs `parse` one nesting level down; throws past MAX_EXPRESSION_DEPTH. */
  private nested<T>(offset: number, parse: () => T): T {
    if (++this.nesting > MAX_EXPRESSION_DEPTH) throw this.tooDeep(offset);
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  private tooDeep(offset: number): ExpressionError {
    return new ExpressionError(`the expression is nested more than ${MAX_EXPRESSION_DEPTH} levels deep (the limit); split it into steps or simplify it`, offset);
  }

  private peek(): Token {
    return this.tokens[this.pos] ?? this.tokens[this.tokens.length - 1]!;
  }
  private next(): Token {
    const token = this.peek();
    if (token.type !== "eof") this.pos++;
    return token;
  }
  private isPunct(value: string): boolean {
    const token = this.peek();
    return token.type === "punct" && token.value === value;
  }
  private expect(value: string, context: string): Token {
    const token = this.peek();
    if (token.type !== "punct" || token.value !== value) {
      throw new ExpressionError(`expected "${value}" ${context} but found ${describe(token)}`, token.offset);
    }
    return this.next();
  }

  parse(): Expr {
    if (this.peek().type === "eof") throw new ExpressionError("empty expression", 0);
    const expr = this.binary(0);
    const rest = this.peek();
    if (rest.type !== "eof") throw new ExpressionError(`unexpected ${describe(rest)} after a complete expression`, rest.offset);
    return expr;
  }

  // Precedence levels, loosest first; `!` and member access bind tighter than all of them.
  private static readonly LEVELS: BinaryOp[][] = [["||"], ["&&"], ["==", "!="], ["<", "<=", ">", ">="]];

  private binary(level: number): Expr {
    const ops = Parser.LEVELS[level];
    if (!ops) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const token = this.peek();
      const op = ops.find((candidate) => token.type === "punct" && token.value === candidate);
      if (!op) return left;
      this.next();
      if (this.peek().type === "eof") throw new ExpressionError(`expected a value after "${op}"`, token.offset);
      const right = this.binary(level + 1);
      left = this.node({ kind: "binary", op, left, right, offset: token.offset }, left, right);
    }
  }

  private unary(): Expr {
    const token = this.peek();
    if (token.type === "punct" && token.value === "!") {
      this.next();
      const operand = this.nested(token.offset, () => this.unary());
      return this.node({ kind: "not", operand, offset: token.offset }, operand);
    }
    return this.postfix(this.primary());
  }

  private postfix(expr: Expr): Expr {
    for (;;) {
      if (this.isPunct(".")) {
        const dot = this.next();
        const name = this.next();
        if (name.type !== "ident") throw new ExpressionError(`expected a property name after "." but found ${describe(name)}`, name.offset);
        expr = this.node({ kind: "property", object: expr, name: name.value, offset: dot.offset }, expr);
      } else if (this.isPunct("[")) {
        const open = this.next();
        const index = this.nested(open.offset, () => this.binary(0));
        this.expect("]", "to close the index");
        expr = this.node({ kind: "index", object: expr, index, offset: open.offset }, expr, index);
      } else {
        return expr;
      }
    }
  }

  private primary(): Expr {
    const token = this.next();
    switch (token.type) {
      case "string":
      case "number":
        return { kind: "literal", value: token.value, offset: token.offset };
      case "eof":
        throw new ExpressionError("expected a value but the expression ended", token.offset);
      case "punct":
        if (token.value === "(") {
          const inner = this.nested(token.offset, () => this.binary(0));
          this.expect(")", "to close the parenthesis");
          return inner;
        }
        throw new ExpressionError(`expected a value but found ${describe(token)}`, token.offset);
      case "ident":
        return this.identifier(token);
    }
  }

  private identifier(token: { value: string; offset: number }): Expr {
    const keyword: Record<string, Literal> = { true: true, false: false, null: null };
    if (token.value in keyword) return { kind: "literal", value: keyword[token.value] ?? null, offset: token.offset };
    if (!this.isPunct("(")) return { kind: "name", name: token.value, offset: token.offset };
    // Function names are case-insensitive, as in GitHub Actions.
    const name = (Object.keys(FUNCTIONS) as FunctionName[]).find((fn) => fn.toLowerCase() === token.value.toLowerCase());
    if (!name) {
      throw new ExpressionError(`unknown function "${token.value}"${didYouMean(token.value, Object.keys(FUNCTIONS))}`, token.offset);
    }
    this.next();
    const args: Expr[] = [];
    if (!this.isPunct(")")) {
      do args.push(this.nested(token.offset, () => this.binary(0)));
      while (this.isPunct(",") && this.next());
    }
    this.expect(")", `to close the arguments of ${name}()`);
    const [min, max] = FUNCTIONS[name];
    if (args.length < min || args.length > max) {
      const want = min === max ? `${min}` : `at least ${min}`;
      throw new ExpressionError(`${name}() takes ${want} argument${min === 1 ? "" : "s"}, got ${args.length}`, token.offset);
    }
    return this.node({ kind: "call", name, args, offset: token.offset }, ...args);
  }
}

/** Parses the source of one expression (the text between `${{` and `}}`). */
export function parseExpression(src: string): Expr {
  return new Parser(tokenize(src)).parse();
}
