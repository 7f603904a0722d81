/**
 * Fake Keystone v3: `POST /v3/auth/tokens` with password identity and project scope (nova-api.md §1), a
 * service catalog pointing at the fake itself, and token validation for the other services.
 *
 * Catalog (all on the fake's own port):
 * | type      | interface | region    | url                                    |
 * |-----------|-----------|-----------|----------------------------------------|
 * | compute   | public    | RegionOne | `/compute/v2.1/<project id>`           |
 * | compute   | internal  | RegionOne | `/internal/compute/v2.1/<project id>`  |
 * | compute   | public    | RegionTwo | `/r2/compute/v2.1/<project id>`        |
 * | placement | public / internal / RegionTwo | … | `/placement`, `/internal/placement`, `/r2/placement` |
 */
import { randomBytes } from 'node:crypto';
import { keystoneError, type FakeRequest, type FakeResponse } from './http.js';

/** Who may authenticate, and how long tokens live. */
export interface FakeKeystoneOptions {
  username: string;
  password: string;
  /** @default 'Default' */
  userDomain?: string;
  projectName: string;
  projectId: string;
  tokenTtlMs: number;
  now: () => number;
}

/** How Keystone is doing: answering, answering 503, or dropping connections. */
export type KeystoneMode = 'up' | 'unavailable' | 'reset';

const hex = (n: number) => randomBytes(n).toString('hex');

/** The identity service of the fake. */
export class FakeKeystone {
  mode: KeystoneMode = 'up';
  readonly tokens = new Map<string, { expiresAt: number; projectId: string }>();
  /** Tokens issued so far. */
  issued = 0;
  private readonly userId = hex(16);

  constructor(private readonly options: FakeKeystoneOptions) {}

  /** The project (id) a valid token is scoped to, or null for a missing, unknown or expired token. */
  validate(token: string | undefined): string | null {
    const entry = token ? this.tokens.get(token) : undefined;
    if (!entry || entry.expiresAt <= this.options.now()) return null;
    return entry.projectId;
  }

  /** Revokes every token, as a Keystone restart with new fernet keys would. */
  revokeAll(): void {
    this.tokens.clear();
  }

  /** Answers POST /v3/auth/tokens (201 with X-Subject-Token), or fails as the current {@link KeystoneMode} says. */
  handle(req: FakeRequest): FakeResponse {
    if (this.mode === 'reset') return 'reset';
    if (this.mode === 'unavailable') return keystoneError(503, req.baseUrl);
    if (req.route !== '/auth/tokens') return keystoneError(404, req.baseUrl, `Could not find: ${req.route}.`);
    if (req.method !== 'POST') return { status: 405, body: { error: { code: 405, title: 'Method Not Allowed', message: 'The method is not allowed for the requested URL.' } } };
    if (req.badJson) return keystoneError(400, req.baseUrl, 'Expecting to find valid JSON in request body.');
    const problem = this.check(req.body);
    if (problem) return keystoneError(problem.status, req.baseUrl, problem.message);
    const token = `gAAAAA${hex(24)}`;
    const issuedAt = this.options.now();
    const expiresAt = issuedAt + this.options.tokenTtlMs;
    this.tokens.set(token, { expiresAt, projectId: this.options.projectId });
    this.issued++;
    const o = this.options;
    return {
      status: 201,
      headers: { 'X-Subject-Token': token, Vary: 'X-Auth-Token', 'x-openstack-request-id': `req-${crypto.randomUUID()}` },
      body: {
        token: {
          audit_ids: [hex(8)],
          catalog: req.query.has('nocatalog') ? undefined : catalog(req.baseUrl, o.projectId),
          expires_at: new Date(expiresAt).toISOString(),
          issued_at: new Date(issuedAt).toISOString(),
          is_domain: false,
          methods: ['password'],
          project: { domain: { id: 'default', name: 'Default' }, id: o.projectId, name: o.projectName },
          roles: [{ id: hex(16), name: 'admin' }],
          user: { domain: { id: 'default', name: o.userDomain ?? 'Default' }, id: this.userId, name: o.username, password_expires_at: null },
        },
      },
    };
  }

  /** Keystone's checks of the request body; 400 for a malformed one, 401 for wrong credentials. */
  private check(body: unknown): { status: 400 | 401; message?: string } | null {
    const auth = (body as { auth?: Record<string, unknown> } | undefined)?.auth;
    const identity = auth?.identity as { methods?: unknown; password?: { user?: Record<string, unknown> } } | undefined;
    if (!identity || !Array.isArray(identity.methods) || !identity.methods.includes('password')) {
      return { status: 400, message: "'identity' is a required property" };
    }
    const user = identity.password?.user;
    if (!user || typeof user.password !== 'string') return { status: 400, message: "'password' is a required property" };
    if (typeof user.name === 'string' && !isDomain(user.domain, this.options.userDomain ?? 'Default')) {
      return { status: user.domain ? 401 : 400, message: user.domain ? undefined : 'Expected a domain for user name' };
    }
    if (user.name !== this.options.username || user.password !== this.options.password) return { status: 401 };
    const scope = auth?.scope as Record<string, unknown> | undefined;
    if (scope && Object.keys(scope).length > 1) return { status: 400, message: 'Only one scope may be given' };
    const project = scope?.project as { id?: unknown; name?: unknown; domain?: unknown } | undefined;
    if (!project) return { status: 400, message: 'The fake issues project-scoped tokens only' };
    if (project.id !== undefined) return project.id === this.options.projectId ? null : { status: 401 };
    if (!project.domain) return { status: 400, message: 'Expected a domain for project name' };
    return project.name === this.options.projectName && isDomain(project.domain, 'Default') ? null : { status: 401 };
  }
}

function isDomain(domain: unknown, name: string): boolean {
  const d = domain as { id?: unknown; name?: unknown } | undefined;
  return !!d && (d.name === name || d.id === name.toLowerCase());
}

function catalog(base: string, projectId: string): unknown[] {
  const endpoint = (iface: string, region: string, url: string) => ({ id: hex(16), interface: iface, region, region_id: region, url });
  return [
    {
      type: 'identity', name: 'keystone', id: hex(16),
      endpoints: [endpoint('public', 'RegionOne', `${base}/identity/v3`)],
    },
    {
      type: 'compute', name: 'nova', id: hex(16),
      endpoints: [
        endpoint('public', 'RegionOne', `${base}/compute/v2.1/${projectId}`),
        endpoint('internal', 'RegionOne', `${base}/internal/compute/v2.1/${projectId}`),
        endpoint('public', 'RegionTwo', `${base}/r2/compute/v2.1/${projectId}`),
      ],
    },
    {
      type: 'placement', name: 'placement', id: hex(16),
      endpoints: [
        endpoint('public', 'RegionOne', `${base}/placement`),
        endpoint('internal', 'RegionOne', `${base}/internal/placement`),
        endpoint('public', 'RegionTwo', `${base}/r2/placement`),
      ],
    },
  ];
}
