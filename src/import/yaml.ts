import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { load } from 'js-yaml';
import type { ImportRecord, SourceRow } from './types.js';

/**
 * Streams the records of a YAML text, cut into small pieces that js-yaml parses one at a time:
 * - a document whose top level is a block sequence (`- kind: host` items at column 0) is cut at each item,
 *   so memory holds one item however long the list is;
 * - any other document (`---`-separated: one mapping per document, or a flow-style list) is parsed whole:
 *   memory holds that one document.
 * Anchors and aliases therefore work within one item (or document), not across items.
 */
export async function* parseYaml(input: Readable): AsyncGenerator<SourceRow> {
  let mode: 'start' | 'sequence' | 'document' = 'start';
  let buf: string[] = [];
  let bufLine = 0;
  let line = 0;
  const out: SourceRow[] = [];

  const flush = () => {
    const text = buf.join('\n');
    const start = bufLine;
    const wasSequence = mode === 'sequence';
    buf = [];
    if (!text.trim()) return;
    let value: unknown;
    try {
      value = load(text, { filename: `line ${start}` });
    } catch (err) {
      out.push({ line: start, error: `invalid YAML: ${(err as Error).message.split('\n')[0]}` });
      return;
    }
    if (value === null || value === undefined) return;
    const items = Array.isArray(value) ? value : [value];
    if (wasSequence && items.length !== 1) {
      out.push({ line: start, error: 'expected one list item here' });
      return;
    }
    for (const item of items) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) out.push({ line: start, error: `expected a mapping (kind: …, name: …), got ${JSON.stringify(item)}`, record: item });
      else out.push({ line: start, record: item as ImportRecord });
    }
  };

  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const raw of lines) {
    line++;
    const text = line === 1 ? raw.replace(/^\ufeff/, '') : raw;
    if (/^---(\s|$)/.test(text) || /^\.\.\.(\s|$)/.test(text)) {
      flush();
      mode = 'start';
      const rest = text.slice(3).trim();
      if (rest && !rest.startsWith('#') && text.startsWith('---')) { buf.push(rest); bufLine = line; mode = 'document'; }
      continue;
    }
    if (mode === 'start') {
      if (/^%/.test(text) || /^\s*(#.*)?$/.test(text)) continue;
      mode = /^-(\s|$)/.test(text) ? 'sequence' : 'document';
      bufLine = line;
    } else if (mode === 'sequence' && /^-(\s|$)/.test(text)) {
      flush();
      bufLine = line;
    }
    buf.push(text);
    if (out.length) while (out.length) yield out.shift()!;
  }
  flush();
  while (out.length) yield out.shift()!;
}
