/**
 * How OpenStack failures become `TaskError`s. Every error the OpenStack driver throws is a TaskError whose
 * `type` is one of {@link OpenStackErrorType} and whose `details` is a serialisable {@link OpenStackErrorDetails}
 * (never a token, never a request body).
 *
 * | HTTP / cause                       | type                 | retryable |
 * |------------------------------------|----------------------|-----------|
 * | 400                                | `BadRequest`         | no        |
 * | 401 (after one re-authentication)  | `Unauthorized`       | no        |
 * | 403                                | `Forbidden`          | no        |
 * | 404                                | `NotFound`           | no        |
 * | 406 (microversion out of range)    | `NotAcceptable`      | no        |
 * | 409 (task_state, locked, ...)      | `Conflict`           | yes       |
 * | 413 / 429                          | `OverLimit`          | yes       |
 * | 501                                | `NotImplemented`     | no        |
 * | other 5xx                          | `ServerError`        | yes       |
 * | connection refused / reset / DNS   | `NetworkError`       | yes       |
 * | the driver's own per-request limit | `Timeout`            | yes       |
 * | the caller's AbortSignal           | `Aborted`            | yes       |
 * | catalog has no such endpoint       | `EndpointNotFound`   | no        |
 * | body is not the documented shape   | `BadResponse`        | no        |
 */
import { TaskError } from '../../types.js';

/** The `TaskError.type`s the OpenStack driver and tasks throw; use them in `nonRetryableErrorTypes`. */
export type OpenStackErrorType =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'NotAcceptable'
  | 'Conflict'
  | 'OverLimit'
  | 'NotImplemented'
  | 'ServerError'
  | 'HttpError'
  | 'NetworkError'
  | 'Timeout'
  | 'Aborted'
  | 'EndpointNotFound'
  | 'BadResponse'
  // Raised by the polling helpers and the tasks rather than by one HTTP call:
  | 'MigrationFailed'
  | 'MigrationTimeout'
  | 'ServerInError'
  | 'NotLiveMigratable'
  | 'HostNotFound'
  | 'HostNotEmpty'
  | 'InvalidParameter'
  | 'DriverMissing';

/** Error types that no retry can fix: a definition's retry policies list them as non-retryable. */
export const PERMANENT_OPENSTACK_ERRORS: OpenStackErrorType[] = [
  'BadRequest',
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'NotAcceptable',
  'NotImplemented',
  'EndpointNotFound',
  'BadResponse',
  'ServerInError',
  'NotLiveMigratable',
  'HostNotFound',
  'InvalidParameter',
  'DriverMissing',
];

/** Which service and call failed; stored with the failure record. */
export interface OpenStackErrorDetails {
  service: 'identity' | 'compute' | 'placement';
  method: string;
  /** Path relative to the service endpoint, query included. */
  path: string;
  status?: number;
  /** `x-openstack-request-id` / `x-compute-request-id`, to find the call in the service's logs. */
  requestId?: string;
  [key: string]: unknown;
}

/** A typed OpenStack TaskError. */
export function openstackError(
  type: OpenStackErrorType,
  message: string,
  retryable: boolean,
  details?: OpenStackErrorDetails | Record<string, unknown>,
): TaskError {
  return new TaskError(message, type, retryable, details);
}

/**
 * Maps an HTTP error response to a TaskError, taking the message from whichever body shape the service
 * used: Nova `{"<faultName>": {code, message}}`, Keystone `{"error": {code, title, message}}` (also any 401
 * from keystonemiddleware) or Placement `{"errors": [{status, title, detail}]}`. Unknown bodies fall back
 * to the status text.
 */
export function httpError(status: number, body: unknown, details: OpenStackErrorDetails): TaskError {
  const text = faultMessage(body) ?? `HTTP ${status}`;
  const message = `${details.service} ${details.method} ${details.path} failed with ${status}: ${text}`;
  const [type, retryable] = classify(status);
  return openstackError(type, message, retryable, { ...details, status, fault: text });
}

function classify(status: number): [OpenStackErrorType, boolean] {
  switch (status) {
    case 400:
      return ['BadRequest', false];
    case 401:
      return ['Unauthorized', false];
    case 403:
      return ['Forbidden', false];
    case 404:
      return ['NotFound', false];
    case 406:
      return ['NotAcceptable', false];
    case 409:
      return ['Conflict', true];
    case 413:
    case 429:
      return ['OverLimit', true];
    case 501:
      return ['NotImplemented', false];
    default:
      if (status >= 500) return ['ServerError', true];
      return ['HttpError', false];
  }
}

/** The human message of an OpenStack error body, whatever its shape; undefined when there is none. */
export function faultMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return typeof body === 'string' && body ? body.slice(0, 500) : undefined;
  const record = body as Record<string, unknown>;
  if (Array.isArray(record.errors)) {
    const first = record.errors[0] as Record<string, unknown> | undefined;
    if (first && typeof first.detail === 'string') return first.detail;
  }
  // Nova wraps the fault in one key named after it; Keystone uses "error".
  for (const value of Object.values(record)) {
    if (value && typeof value === 'object' && typeof (value as Record<string, unknown>).message === 'string') {
      return (value as Record<string, unknown>).message as string;
    }
  }
  return undefined;
}
