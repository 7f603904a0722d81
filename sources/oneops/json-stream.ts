// Reads a JSON array from a byte stream one element at a time. OneOps returns whole lists (no paging),
// tens of megabytes for a big namespace; parsing element by element means the adapter holds the text of
// one CI at a time and maps each to a host record before the next arrives, instead of buffering the body
// and then a parsed copy of all of it.

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/** Thrown when the body is not a JSON array of objects/arrays; the message says where it went wrong. */
export class JsonStreamError extends Error {
  override name = 'JsonStreamError';
}

/**
 * Yields each element of the top-level JSON array in `body`, parsed. Elements must be objects or arrays
 * (a CI list is an array of objects); anything else is a {@link JsonStreamError}. Aborting the request
 * that produced `body` ends the iteration with the abort's error.
 */
export async function* parseJsonArray(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder('utf-8');
  let opened = false; // saw '['
  let closed = false; // saw the matching ']'
  let depth = 0; // nesting inside the current element
  let inString = false;
  let escaped = false;
  let pending = ''; // text of the current element carried over from earlier chunks
  let offset = 0; // characters consumed before this chunk, for messages

  const chunks = Symbol.asyncIterator in body ? body : streamIterator(body);
  for await (const bytes of chunks) {
    const text = decoder.decode(bytes, { stream: true });
    let start = depth > 0 ? 0 : -1; // where the current element starts in `text`
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (depth > 0) {
        if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') {
          depth--;
          if (depth === 0) {
            const element = pending + text.slice(start, i + 1);
            pending = '';
            start = -1;
            yield parseElement(element, offset + i);
          }
        }
        continue;
      }
      if (WHITESPACE.has(c)) continue;
      if (!opened) {
        if (c !== '[') throw new JsonStreamError(`expected a JSON array, got '${c}' at character ${offset + i}`);
        opened = true;
      } else if (closed) {
        throw new JsonStreamError(`unexpected '${c}' after the end of the array at character ${offset + i}`);
      } else if (c === ']') {
        closed = true;
      } else if (c === ',') {
        continue;
      } else if (c === '{' || c === '[') {
        depth = 1;
        start = i;
      } else {
        throw new JsonStreamError(`expected an object in the array, got '${c}' at character ${offset + i}`);
      }
    }
    if (depth > 0) pending += text.slice(start);
    offset += text.length;
  }
  if (!opened || !closed || depth > 0) throw new JsonStreamError(`the JSON array ends early (after ${offset} characters)`);
}

function parseElement(text: string, at: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new JsonStreamError(`invalid JSON element ending at character ${at}: ${(err as Error).message}`);
  }
}

async function* streamIterator(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stopping early (a bad element, an abort) must not leave the connection half-read.
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
