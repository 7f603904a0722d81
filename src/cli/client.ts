import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { fromGlobalId } from '../ids.js';
import { CliError } from './io.js';

// The CLI's GraphQL client: POST /graphql with fetch, subscriptions over graphql-ws (the `ws` package), and
// errors an operator can act on: where it tried to connect, the HTTP status, each GraphQL error with its code.

export interface ClientOptions {
  /** Base URL of the gateway, e.g. http://127.0.0.1:4000 (POSTs go to <url>/graphql). */
  url: string;
  apiKey?: string;
  /** A project name or id; sent as X-Craton-Project (names are looked up once). */
  project?: string;
  /** Abort a request after this many milliseconds. @default 60000 */
  timeoutMs?: number;
}

/** One GraphQL error as the gateway reports it. */
export interface GqlError {
  message: string;
  extensions?: { code?: string };
}

/** The gateway answered with GraphQL errors; the message lists them as `CODE: message`. */
export class GraphQLRequestError extends CliError {
  constructor(readonly errors: GqlError[]) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('\n'));
  }

  get codes(): string[] {
    return this.errors.map((e) => e.extensions?.code ?? 'ERROR');
  }
}

export interface SubscriptionHandlers<T> {
  next(value: T): void | Promise<void>;
}

export class CratonClient {
  private projectId: string | undefined;

  constructor(private readonly opts: ClientOptions) {}

  get url(): string {
    return this.opts.url.replace(/\/+$/, '');
  }

  /** Runs a query or mutation; throws GraphQLRequestError on errors, CliError when the gateway cannot be reached. */
  async request<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const headers = await this.headers();
    let res: Response;
    try {
      res = await fetch(`${this.url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CliError(`cannot reach Craton at ${this.url} (${why}); is the gateway running? Set CRATON_URL or --url`);
    }
    const text = await res.text();
    let body: { data?: T; errors?: GqlError[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new CliError(`${this.url}/graphql answered HTTP ${res.status} with something that is not GraphQL: ${text.slice(0, 200)}`);
    }
    if (body.errors?.length) throw new GraphQLRequestError(body.errors);
    if (body.data == null) throw new CliError(`${this.url}/graphql answered HTTP ${res.status} without data`);
    return body.data;
  }

  /**
   * Follows a subscription until it completes. When the connection drops, `resume()` says how to subscribe
   * again (new variables) — at most `retries` times in a row — so a stream with sequence numbers loses nothing.
   */
  async subscribe<T>(query: string, variables: () => Record<string, unknown>, handlers: SubscriptionHandlers<T>, retries = 5): Promise<void> {
    const headers = await this.headers();
    const connectionParams: Record<string, string> = { authorization: headers.authorization! };
    if (headers['x-craton-project']) connectionParams.project = headers['x-craton-project'];
    let attempt = 0;
    for (;;) {
      const client: Client = createClient({
        url: `${this.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams,
        lazy: true,
        retryAttempts: 0,
      });
      let received = false;
      try {
        await new Promise<void>((resolve, reject) => {
          let chain = Promise.resolve();
          client.subscribe<T>({ query, variables: variables() }, {
            next: (result) => {
              if (result.errors?.length) { reject(new GraphQLRequestError(result.errors as GqlError[])); return; }
              received = true;
              chain = chain.then(() => handlers.next(result.data as T)).catch(reject);
            },
            error: (err) => reject(err),
            complete: () => { chain.then(resolve, reject); },
          });
        });
        return;
      } catch (err) {
        if (err instanceof CliError) throw err;
        if (Array.isArray(err) && err.length) throw new GraphQLRequestError(err as GqlError[]);
        const close = err as { code?: number; reason?: string };
        if (typeof close.code === 'number' && close.code >= 4400 && close.code < 4500) {
          throw new CliError(`the gateway refused the subscription (${close.code}${close.reason ? `: ${close.reason}` : ''})`);
        }
        attempt = received ? 1 : attempt + 1;
        if (attempt > retries) throw new CliError(`lost the event stream from ${this.url}: ${describe(err)}`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      } finally {
        await client.dispose();
      }
    }
  }

  private async headers(): Promise<Record<string, string>> {
    if (!this.opts.apiKey) throw new CliError('no API key: set CRATON_API_KEY or pass --api-key', 2);
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${this.opts.apiKey}` };
    const project = await this.project();
    if (project) headers['x-craton-project'] = project;
    return headers;
  }

  /** The X-Craton-Project id: given as an id, or looked up by name among the projects the key sees. */
  private async project(): Promise<string | undefined> {
    const given = this.opts.project;
    if (!given || this.projectId) return this.projectId ?? undefined;
    if (isGlobalId(given, 'Project')) return (this.projectId = given);
    const data = await new CratonClient({ ...this.opts, project: undefined }).request<{ projects: { edges: Array<{ node: { id: string; name: string } }> } }>(
      'query CratonCliProjects { projects(first: 1000) { edges { node { id name } } } }',
    );
    const matches = data.projects.edges.filter((e) => e.node.name === given);
    if (matches.length === 0) throw new CliError(`no project named '${given}' is visible to this key (known: ${data.projects.edges.map((e) => e.node.name).join(', ') || 'none'})`, 2);
    if (matches.length > 1) throw new CliError(`${matches.length} projects are named '${given}'; pass the project id instead (${matches.map((m) => m.node.id).join(', ')})`, 2);
    return (this.projectId = matches[0]!.node.id);
  }
}

/** True when `text` is a Craton global id (of one of `types` when given). */
export function isGlobalId(text: string, ...types: string[]): boolean {
  try {
    const g = fromGlobalId(text);
    return types.length === 0 || types.includes(g.type);
  } catch {
    return false;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  const close = err as { code?: number; reason?: string; type?: string };
  if (typeof close.code === 'number') return `socket closed (${close.code}${close.reason ? `: ${close.reason}` : ''})`;
  return String(close.type ?? err);
}
