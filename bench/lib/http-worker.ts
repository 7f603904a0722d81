// An HTTP client in a worker thread: the fleet page scenario's requests are sent and their 6 MB answers
// received here, on the other core, as a real client in another process would. Sent from the main thread,
// the client's receiving, concatenating and decoding shared the gateway's event loop and heap (its garbage
// was collected on the gateway's time), which no deployed gateway pays.
import { Agent, request } from 'node:http';
import { parentPort, Worker } from 'node:worker_threads';

interface Ask {
  id: number;
  url: string;
  key?: string;
  body: string;
  headers: Record<string, string>;
}

interface Answer {
  id: number;
  status?: number;
  bytes?: number;
  text?: string;
  error?: string;
}

/** A client running in its own thread; `post` resolves when the last byte of the answer arrived there. */
export interface WorkerClient {
  post(ep: { url: string; key?: string }, body: string, opts?: { headers?: Record<string, string>; keepText?: boolean }): Promise<{ status: number; bytes: number; text?: string }>;
  close(): Promise<void>;
}

export function startWorkerClient(): WorkerClient {
  const worker = new Worker(new URL(import.meta.url));
  const pending = new Map<number, { resolve: (a: Answer) => void; keepText: boolean }>();
  let next = 0;
  worker.on('message', (a: Answer) => pending.get(a.id)?.resolve(a));
  worker.on('error', (err) => {
    for (const p of pending.values()) p.resolve({ id: -1, error: String(err) });
    pending.clear();
  });
  return {
    post: (ep, body, opts = {}) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, {
          keepText: Boolean(opts.keepText),
          resolve: (a) => {
            pending.delete(id);
            if (a.error !== undefined) reject(new Error(`worker client: ${a.error}`));
            else resolve({ status: a.status!, bytes: a.bytes!, text: a.text });
          },
        });
        const ask: Ask & { keepText: boolean } = { id, url: ep.url, key: ep.key, body, headers: opts.headers ?? {}, keepText: Boolean(opts.keepText) };
        worker.postMessage(ask);
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

if (parentPort) {
  const port = parentPort;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  port.on('message', (ask: Ask & { keepText: boolean }) => {
    const u = new URL('/graphql', ask.url);
    const req = request(
      {
        host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ask.body), ...(ask.key ? { authorization: `Bearer ${ask.key}` } : {}), ...ask.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (ask.keepText) chunks.push(c);
        });
        res.on('end', () => port.postMessage({ id: ask.id, status: res.statusCode ?? 0, bytes, text: ask.keepText ? Buffer.concat(chunks).toString('utf8') : undefined } satisfies Answer));
        res.on('error', (err) => port.postMessage({ id: ask.id, error: err.message } satisfies Answer));
      },
    );
    req.on('error', (err) => port.postMessage({ id: ask.id, error: err.message } satisfies Answer));
    req.end(ask.body);
  });
}
