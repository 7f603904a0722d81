import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';

/**
 * The closed vocabulary of error codes clients branch on (`extensions.code`), per ../shared/API.md.
 * Business errors are intentionally analogous to HTTP statuses; one formatter maps them at the edge.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'SOURCE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/** Root of Craton's domain errors: carries its code and optional structured details for `extensions`. */
export class CratonError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request itself is wrong: a bad argument, an inconsistent hierarchy, an over-limit query. */
export class InputError extends CratonError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('BAD_USER_INPUT', message, details, options);
  }
}

/** The object does not exist, or belongs to another project (existence is never revealed). */
export class NotFoundError extends CratonError {
  constructor(what: string, id?: string) {
    super('NOT_FOUND', id === undefined ? `${what} not found` : `${what} '${id}' not found`, id === undefined ? undefined : { id });
  }
}

/** The write collides with existing state: a duplicate name, a delete that would orphan children. */
export class ConflictError extends CratonError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, details);
  }
}

/** No credentials, or credentials that are unknown, revoked or expired. */
export class UnauthenticatedError extends CratonError {
  constructor(message = 'Authentication required: send Authorization: Bearer <api key>') {
    super('UNAUTHENTICATED', message);
  }
}

/** Authenticated, but the role does not allow this. */
export class ForbiddenError extends CratonError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** An external source failed or timed out; only that source's part of the answer is lost. */
export class SourceUnavailableError extends CratonError {
  constructor(source: string, reason: string, options?: { cause?: unknown }) {
    super('SOURCE_UNAVAILABLE', `source '${source}' is unavailable: ${reason}`, { source }, options);
  }
}

/** Codes Apollo and graphql-js produce themselves for malformed requests; passed through unchanged. */
const PROTOCOL_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** Our own codes: an error that already carries one (e.g. from context building) keeps it. */
const DOMAIN_CODES = new Set<string>(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'UNAUTHENTICATED', 'FORBIDDEN', 'SOURCE_UNAVAILABLE']);

/** Turns a domain error into the GraphQLError clients see. */
export function toGraphQLError(error: CratonError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.details, code: error.code, http: { status: HTTP_STATUS[error.code] } } });
}

/** HTTP status of an error raised before execution (context building, limits); Apollo strips `extensions.http`. */
const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400, NOT_FOUND: 404, CONFLICT: 409, UNAUTHENTICATED: 401, FORBIDDEN: 403, SOURCE_UNAVAILABLE: 503, INTERNAL_SERVER_ERROR: 500,
};

/**
 * The one edge where errors become what clients see (Apollo's `formatError`, also used for graphql-ws).
 * Domain errors keep their code and message; graphql-js input coercion errors become BAD_USER_INPUT;
 * anything else is masked as INTERNAL_SERVER_ERROR and handed to `log`. Never throws.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, log: (err: unknown) => void): GraphQLFormattedError {
  try {
    const original = unwrapResolverError(error);
    if (original instanceof CratonError) {
      return { ...formatted, message: original.message, extensions: { ...original.details, code: original.code } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && (PROTOCOL_CODES.has(code) || DOMAIN_CODES.has(code))) return formatted;
    if (original instanceof GraphQLError && !original.originalError) {
      // graphql-js's own errors (variable coercion, unknown fields at execution) are about the request.
      return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT' } };
    }
    log(original);
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  } catch (err) {
    log(err);
    return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
}
