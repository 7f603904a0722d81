/**
 * Keystone v3 password authentication, token caching and service-catalog endpoint selection, and the
 * authenticated request every OpenStack client of the driver goes through.
 */
import { z } from 'zod';
import { httpError, openstackError, type OpenStackErrorDetails } from './errors.js';
import { raceAbort, send, throwIfAborted, type HttpResult, type OpenStackEffects } from './http.js';

/** Which catalog URL of a service to use. */
export type EndpointInterface = 'public' | 'internal' | 'admin';

/** Catalog `type`s the driver talks to. */
export type ServiceType = 'compute' | 'placement';

/** Who we are and which endpoints to use. */
export interface KeystoneCredentials {
  /** Identity endpoint, with or without the trailing `/v3` (e.g. `https://keystone.example:5000/v3`). */
  authUrl: string;
  username: string;
  /** Domain of the user, by name. @default 'Default' */
  userDomainName?: string;
  password: string;
  /** Project to scope the token to, by name (with `projectDomainName`) or by `projectId`. */
  projectName?: string;
  /** @default 'Default' */
  projectDomainName?: string;
  projectId?: string;
  /** Catalog `region_id` of the endpoints to use. */
  region: string;
  /** @default 'public' */
  interface?: EndpointInterface;
  /** Re-authenticate this long before `expires_at`. @default 60000 */
  expirySkewMs?: number;
}

/** A request relative to a service endpoint. */
export interface ServiceRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Appended to the catalog URL, query included, e.g. `/os-hypervisors/detail`. */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  signal: AbortSignal;
}

const catalogSchema = z.array(
  z.looseObject({
    type: z.string(),
    endpoints: z.array(
      z.looseObject({ interface: z.string(), url: z.string(), region_id: z.string().nullish(), region: z.string().nullish() }),
    ),
  }),
);
const tokenBodySchema = z.object({
  token: z.looseObject({ expires_at: z.string().nullish(), catalog: catalogSchema.optional() }),
});

interface Token {
  value: string;
  /** Epoch ms, or null when Keystone says it never expires. */
  expiresAt: number | null;
  catalog: z.infer<typeof catalogSchema>;
}

/**
 * A Keystone session: authenticates lazily on the first request, caches the token, and re-authenticates
 * shortly before it expires and once whenever a service answers 401. Concurrent callers share one
 * authentication. The password is kept in memory only and never logged or put in error details.
 */
export class KeystoneSession {
  private token: Token | null = null;
  private pending: Promise<Token> | null = null;
  private readonly identityUrl: string;

  constructor(
    private readonly credentials: KeystoneCredentials,
    private readonly effects: OpenStackEffects,
  ) {
    if (!credentials.projectId && !credentials.projectName) {
      throw new Error('OpenStack credentials: give projectName (with projectDomainName) or projectId');
    }
    this.identityUrl = credentials.authUrl.replace(/\/+$/, '').replace(/\/v3$/, '') + '/v3';
  }

  /**
   * Sends an authenticated request to a service and returns its 2xx result. A 401 drops the cached
   * token and retries once with a fresh one; a second 401 throws `Unauthorized`. Other statuses throw
   * per the table in errors.ts. Costs one extra Keystone call whenever a token is (re)issued.
   */
  async request(service: ServiceType, request: ServiceRequest): Promise<HttpResult> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.currentToken(request.signal);
      const base = this.endpoint(token, service);
      const describe: OpenStackErrorDetails = { service, method: request.method, path: request.path };
      const result = await send(this.effects, {
        method: request.method,
        url: base + request.path,
        headers: { ...request.headers, 'X-Auth-Token': token.value },
        body: request.body,
        signal: request.signal,
        describe,
      });
      if (result.status === 401 && attempt === 1) {
        this.effects.log('openstack.reauth', { service, path: request.path });
        if (this.token === token) this.token = null;
        continue;
      }
      if (result.status >= 400) throw httpError(result.status, result.body, { ...describe, requestId: requestId(result.headers) });
      return result;
    }
  }

  /** The catalog URL (no trailing slash) of a service for the configured interface and region. */
  async endpointUrl(service: ServiceType, signal: AbortSignal): Promise<string> {
    return this.endpoint(await this.currentToken(signal), service);
  }

  /** Forgets the cached token, so the next request authenticates again. */
  invalidate(): void {
    this.token = null;
  }

  private async currentToken(signal: AbortSignal): Promise<Token> {
    throwIfAborted(signal);
    const skew = this.credentials.expirySkewMs ?? 60_000;
    const cached = this.token;
    if (cached && (cached.expiresAt === null || this.effects.now() < cached.expiresAt - skew)) return cached;
    if (!this.pending) {
      this.pending = this.authenticate().then(
        (token) => {
          this.pending = null;
          this.token = token;
          return token;
        },
        (err: unknown) => {
          this.pending = null;
          throw err;
        },
      );
    }
    return raceAbort(this.pending, signal);
  }

  /**
   * POST /v3/auth/tokens with password identity and project scope. Runs under the driver's own request
   * limit rather than one caller's signal, because the token it gets is shared.
   */
  private async authenticate(): Promise<Token> {
    const c = this.credentials;
    const project = c.projectId
      ? { id: c.projectId }
      : { name: c.projectName, domain: { name: c.projectDomainName ?? 'Default' } };
    const describe = { service: 'identity' as const, method: 'POST', path: '/auth/tokens' };
    const result = await send(this.effects, {
      method: 'POST',
      url: `${this.identityUrl}/auth/tokens`,
      headers: {},
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: c.username, domain: { name: c.userDomainName ?? 'Default' }, password: c.password } },
          },
          scope: { project },
        },
      },
      signal: new AbortController().signal,
      describe,
    });
    if (result.status !== 201 && result.status !== 200) {
      throw httpError(result.status, result.body, { ...describe, requestId: requestId(result.headers) });
    }
    const value = result.headers.get('x-subject-token');
    const parsed = tokenBodySchema.safeParse(result.body);
    if (!value || !parsed.success) {
      throw openstackError('BadResponse', 'Keystone issued no X-Subject-Token or an unexpected token body', false, describe);
    }
    const expiresAt = parsed.data.token.expires_at ? Date.parse(parsed.data.token.expires_at) : null;
    this.effects.log('openstack.authenticated', { expiresAt: parsed.data.token.expires_at ?? null });
    return { value, expiresAt: Number.isNaN(expiresAt) ? null : expiresAt, catalog: parsed.data.token.catalog ?? [] };
  }

  private endpoint(token: Token, service: ServiceType): string {
    const wanted = this.credentials.interface ?? 'public';
    const entry = token.catalog.find((e) => e.type === service);
    const match = entry?.endpoints.find(
      (e) => e.interface === wanted && (e.region_id ?? e.region) === this.credentials.region,
    );
    if (!match) {
      const offered = (entry?.endpoints ?? []).map((e) => `${e.interface}@${e.region_id ?? e.region}`);
      throw openstackError(
        'EndpointNotFound',
        `the service catalog has no ${wanted} ${service} endpoint in region ${this.credentials.region}` +
          (entry ? ` (offered: ${offered.join(', ') || 'none'})` : ' (no such service)'),
        false,
        { service, interface: wanted, region: this.credentials.region, offered },
      );
    }
    return match.url.replace(/\/+$/, '');
  }
}

function requestId(headers: Headers): string | undefined {
  return headers.get('x-openstack-request-id') ?? headers.get('x-compute-request-id') ?? undefined;
}
