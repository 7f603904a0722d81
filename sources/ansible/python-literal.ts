// Python's ast.literal_eval for the values of an INI inventory, which Ansible passes through it
// (InventoryModule._parse_value): what is a Python literal becomes that value, everything else stays text.
//
//   80 → 80    -1.5 → -1.5    True → true    None → null    'a' / "a" → a
//   [1, 'x'] and (1, 2) → arrays    {'k': 1} → object    {1, 2} → array (a set)
//   010, yes, 10.0.0.1, a b, {'k': → unchanged text (not literals, as in Python 3)

class NotLiteral extends Error {}

/** The Python literal `text` denotes, or `text` itself when it is not one. */
export function parsePythonLiteral(text: string): unknown {
  try {
    const p = new Parser(text);
    const value = p.value();
    p.skipSpace();
    if (!p.done()) throw new NotLiteral();
    return value;
  } catch (err) {
    if (err instanceof NotLiteral) return text;
    throw err;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  skipSpace(): void {
    while (!this.done() && /\s/.test(this.s[this.i]!)) this.i++;
  }

  value(): unknown {
    this.skipSpace();
    const c = this.s[this.i];
    if (c === undefined) throw new NotLiteral();
    if (c === "'" || c === '"') {
      // Adjacent string literals concatenate: 'a' "b" → ab.
      let out = this.string();
      for (;;) {
        const save = this.i;
        this.skipSpace();
        if (this.s[this.i] !== "'" && this.s[this.i] !== '"') {
          this.i = save;
          return out;
        }
        out += this.string();
      }
    }
    if (c === '[') return this.sequence(']');
    if (c === '(') return this.sequence(')');
    if (c === '{') return this.mapping();
    const word = /^(?:True|False|None)\b/.exec(this.s.slice(this.i));
    if (word) {
      this.i += word[0].length;
      return word[0] === 'True' ? true : word[0] === 'False' ? false : null;
    }
    return this.number();
  }

  private number(): number {
    const m = /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?|\d[\d_]*\.)/.exec(this.s.slice(this.i));
    if (!m) throw new NotLiteral();
    const raw = m[0].replace(/_/g, '');
    const body = raw.replace(/^[+-]/, '');
    // Python 3 rejects leading zeros on a decimal integer (010), which therefore stays text.
    if (/^0\d/.test(body) && /^\d+$/.test(body)) throw new NotLiteral();
    this.i += m[0].length;
    const sign = raw.startsWith('-') ? -1 : 1;
    if (/^0[xob]/i.test(body)) return sign * Number(body);
    return Number(raw);
  }

  private string(): string {
    const quote = this.s[this.i]!;
    const triple = this.s.startsWith(quote.repeat(3), this.i);
    const end = triple ? quote.repeat(3) : quote;
    this.i += end.length;
    let out = '';
    while (!this.s.startsWith(end, this.i)) {
      const c = this.s[this.i];
      if (c === undefined) throw new NotLiteral();
      if (c === '\\') {
        const n = this.s[this.i + 1];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        if (n !== undefined && n in map) {
          out += map[n];
          this.i += 2;
          continue;
        }
        out += c; // unknown escapes keep the backslash, as Python does
        this.i++;
        continue;
      }
      out += c;
      this.i++;
    }
    this.i += end.length;
    return out;
  }

  private sequence(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.skipSpace();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) throw new NotLiteral();
    }
  }

  private mapping(): Record<string, unknown> | unknown[] {
    this.i++;
    const obj: Record<string, unknown> = {};
    const set: unknown[] = [];
    let kind: 'dict' | 'set' | null = null;
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] === '}') {
        this.i++;
        return kind === 'set' ? set : obj;
      }
      const key = this.value();
      this.skipSpace();
      if (this.s[this.i] === ':' && kind !== 'set') {
        kind = 'dict';
        this.i++;
        obj[typeof key === 'string' ? key : JSON.stringify(key)] = this.value();
      } else if (kind !== 'dict') {
        kind = 'set';
        set.push(key);
      } else {
        throw new NotLiteral();
      }
      this.skipSpace();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') throw new NotLiteral();
    }
  }
}
