/**
 * Request/response values of the fake OpenStack and the three error body shapes of nova-api.md §4.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A parsed request, routed to one service with the endpoint prefix removed. */
export interface FakeRequest {
  method: string;
  /** Path after the service prefix, e.g. `/servers/detail` or `/auth/tokens`. */
  route: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when empty. */
  body: unknown;
  /** True when a body was sent but is not JSON. */
  badJson: boolean;
  /** `http://127.0.0.1:PORT`. */
  baseUrl: string;
  /** The URL prefix of the endpoint that was called, e.g. `http://127.0.0.1:PORT/compute/v2.1/<project>`. */
  endpointUrl: string;
}

/** A response, or `reset` to destroy the socket without answering. */
export type FakeResponse = { status: number; body?: unknown; headers?: Record<string, string> } | 'reset';

const NOVA_FAULT_NAMES: Record<number, string> = {
  400: 'badRequest', 401: 'unauthorized', 403: 'forbidden', 404: 'itemNotFound', 405: 'badMethod', 409: 'conflictingRequest',
  413: 'overLimit', 415: 'badMediaType', 429: 'overLimit', 501: 'notImplemented', 503: 'serviceUnavailable',
};

/** Nova's fault body: `{"<faultName>": {"code", "message"}}`, `computeFault` for unnamed codes (406, 500). */
export function novaFault(status: number, message: string): FakeResponse {
  return { status, body: { [NOVA_FAULT_NAMES[status] ?? 'computeFault']: { code: status, message } } };
}

const KEYSTONE_TITLES: Record<number, [string, string]> = {
  400: ['Bad Request', 'The request you have made is invalid.'],
  401: ['Unauthorized', 'The request you have made requires authentication.'],
  403: ['Forbidden', 'You are not authorized to perform the requested action.'],
  404: ['Not Found', 'Could not find the requested resource.'],
  500: ['Internal Server Error', 'An unexpected error prevented the server from fulfilling your request.'],
  503: ['Service Unavailable', 'The service is unavailable.'],
};

/**
 * Keystone's error body `{"error": {"code", "title", "message"}}`; a 401 also carries
 * `WWW-Authenticate: Keystone uri="<identity url>"` (keystonemiddleware sends the same for Nova and Placement).
 */
export function keystoneError(status: number, baseUrl: string, message?: string): FakeResponse {
  const [title, text] = KEYSTONE_TITLES[status] ?? ['Error', 'Error'];
  return {
    status,
    body: { error: { code: status, title, message: message ?? text } },
    headers: status === 401 ? { 'WWW-Authenticate': `Keystone uri="${baseUrl}/identity"` } : {},
  };
}

const PLACEMENT_TITLES: Record<number, string> = {
  400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 409: 'Conflict', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** Placement's `{"errors": [{status, title, detail, request_id, code (1.23+)}]}`. */
export function placementError(status: number, detail: string, minor: number, extra: Record<string, unknown> = {}): FakeResponse {
  return {
    status,
    body: {
      errors: [
        {
          status,
          title: PLACEMENT_TITLES[status] ?? 'Error',
          detail,
          request_id: `req-${crypto.randomUUID()}`,
          ...(minor >= 23 ? { code: 'placement.undefined_code' } : {}),
          ...extra,
        },
      ],
    },
  };
}

/** The value of one service in an `OpenStack-API-Version` header (`compute 2.60, placement 1.14`). */
export function apiVersionFor(headers: IncomingHttpHeaders, service: string): string | undefined {
  const raw = headers['openstack-api-version'];
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  if (!text) return undefined;
  for (const part of text.split(',')) {
    const [name, version] = part.trim().split(/\s+/);
    if (name?.toLowerCase() === service && version) return version;
  }
  return undefined;
}
