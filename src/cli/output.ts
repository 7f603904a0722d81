import type { OutStream } from './io.js';

// Output the way Craton's original client printed it: PrettyTable-style tables by default, `--json` for
// scripts (indent 4, sorted keys; lists as one JSON array).

/** A bordered table; cells may span several lines. */
export function table(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c)).split('\n')));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => Math.max(...(r[i] ?? ['']).map((l) => l.length)))));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (parts: string[]) => `| ${parts.map((p, i) => p.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [rule, line(headers), rule];
  for (const r of cells) {
    const height = Math.max(1, ...r.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(line(headers.map((_, i) => r[i]?.[k] ?? '')));
  }
  out.push(rule);
  return `${out.join('\n')}\n`;
}

/** Two columns, Property/Value (show commands), values wrapped at `width` characters. */
export function propertyTable(props: Array<[string, unknown]>, width = 72): string {
  return table(['Property', 'Value'], props.map(([k, v]) => [k, wrap(display(v), width)]));
}

/** A cell's text: strings as they are, everything else as JSON (objects pretty-printed). */
export function display(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v, null, 2);
  return String(v);
}

/** Hard-wraps each line of `text` at `width` characters. */
export function wrap(text: string, width: number): string {
  return text.split('\n').flatMap((l) => (l.length <= width ? [l] : l.match(new RegExp(`.{1,${width}}`, 'g')) ?? [l])).join('\n');
}

/** JSON with sorted keys and an indent of 4, as the original client's `--format json`. */
export function json(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 4)}\n`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

/** Writes and waits for the stream to drain when it asks to. */
export async function write(out: OutStream, text: string): Promise<void> {
  if (!out.write(text) && out.once) await new Promise<void>((resolve) => out.once!('drain', resolve));
}
