/**
 * Craton's CLI auto-typing of a value typed by a person (`vars-set key=value`, CSV `var.<key>` cells):
 * integers and floats become numbers, `true`/`false` booleans, `null`/`none` null, a "double-quoted" text is
 * a string (JSON-decoded, so `"12"` stays the string 12), `{…}` and `[…]` are parsed as JSON when they are
 * JSON; anything else is the text itself.
 */
export function autoType(text: string): unknown {
  const t = text.trim();
  if (/^-?\d+$/.test(t) && Number.isSafeInteger(Number(t))) return Number(t);
  if (/^-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  const lower = t.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null' || lower === 'none') return null;
  if ((t.startsWith('"') && t.endsWith('"') && t.length >= 2) || t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t);
    } catch {
      if (t.startsWith('"')) return t.slice(1, -1);
    }
  }
  return text;
}
