import type { Readable } from 'node:stream';
import type { ImportRecord, SourceRow } from './types.js';

/**
 * Streams the records of a JSON text: one top-level array (`[ {...}, {...} ]`), or a sequence of top-level
 * objects (JSON Lines, or objects one after another). A small scanner finds where each element begins and
 * ends (tracking strings and nesting) and JSON.parses one element at a time, so memory holds one element,
 * whatever the size of the file. An element that is not valid JSON is a rejected row.
 */
export async function* parseJson(input: Readable): AsyncGenerator<SourceRow> {
  input.setEncoding('utf8');
  let mode: 'unknown' | 'array' | 'sequence' | 'done' = 'unknown';
  let depth = 0;
  let inString = false;
  let escape = false;
  let line = 1;
  let pending = '';
  let collecting = false;
  let startLine = 0;
  const out: SourceRow[] = [];

  const emit = (text: string) => {
    const trimmed = text.trim();
    if (!trimmed) return;
    try {
      const value = JSON.parse(trimmed) as unknown;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) out.push({ line: startLine, error: `expected a JSON object, got ${trimmed.slice(0, 60)}`, record: value });
      else out.push({ line: startLine, record: value as ImportRecord });
    } catch (err) {
      out.push({ line: startLine, error: `invalid JSON: ${(err as Error).message}` });
    }
  };

  for await (const chunk of input as AsyncIterable<string>) {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) line++;
      if (inString) {
        if (escape) escape = false;
        else if (c === 92 /* \ */) escape = true;
        else if (c === 34 /* " */) inString = false;
        continue;
      }
      if (c === 10 && collecting && mode === 'sequence' && depth === 0) {
        // A top-level scalar in JSON Lines ends with its line.
        pending += chunk.slice(from, i);
        emit(pending);
        collecting = false;
        continue;
      }
      if (c === 32 || c === 10 || c === 13 || c === 9) continue;
      if (c === 0xfeff && mode === 'unknown') continue;
      if (mode === 'unknown') {
        if (c === 91 /* [ */) { mode = 'array'; depth = 1; continue; }
        mode = 'sequence';
      }
      if (mode === 'done') {
        out.push({ line, error: 'unexpected text after the closing ] of the top-level array' });
        mode = 'sequence';
      }
      const top = mode === 'array' ? 1 : 0;
      if (!collecting) {
        if (mode === 'array' && c === 93 /* ] */ && depth === 1) { mode = 'done'; depth = 0; continue; }
        if (mode === 'array' && c === 44 /* , */ && depth === 1) continue;
        collecting = true;
        startLine = line;
        from = i;
        pending = '';
      }
      if (c === 34) { inString = true; continue; }
      if (c === 123 || c === 91) { depth++; continue; }
      if (c === 125 || c === 93) {
        if (depth === top) {
          // `]` closes the top-level array; any other closer at the top is stray: report it and resynchronise.
          const ends = mode === 'array' && c === 93;
          pending += chunk.slice(from, ends ? i : i + 1);
          emit(pending);
          collecting = false;
          if (ends) { mode = 'done'; depth = 0; }
          continue;
        }
        depth--;
        if (depth === top && mode === 'sequence') {
          pending += chunk.slice(from, i + 1);
          emit(pending);
          collecting = false;
        }
        continue;
      }
      if (c === 44 && depth === top && mode === 'array') {
        pending += chunk.slice(from, i);
        emit(pending);
        collecting = false;
      }
    }
    if (collecting) {
      pending += chunk.slice(from);
      from = chunk.length;
    }
    while (out.length) yield out.shift()!;
  }
  if (collecting && pending.trim()) {
    if (mode === 'array' && depth === 1) emit(pending);
    else out.push({ line: startLine, error: 'the JSON text ends inside this element (unterminated object, array or string)' });
  } else if (mode === 'array') out.push({ line, error: 'the JSON array is not closed with ]' });
  while (out.length) yield out.shift()!;
}
