import {
  isConcurrencyError,
  isDomainError,
  isDuplicateEventError,
  isEventfoldError,
  isStoreUnavailableError,
  isValidationError,
} from '@eventfold/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError } from '../domain/errors.js';

/** An RFC 9457 problem, with the request id and, for invalid input, every field error. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly requestId: string;
  readonly errors?: readonly FieldError[];
}

export interface FieldError {
  /** The field, dotted (`dateOfBirth`, `items.0.name`); empty for the body as a whole. */
  readonly path: string;
  readonly message: string;
}

type Problem = Omit<ProblemDetails, 'instance' | 'requestId'>;

// URNs: stable identifiers that nobody is tempted to dereference.
const problem = (slug: string, status: number, title: string, detail: string, errors?: readonly FieldError[]): Problem => ({
  type: `urn:eventfold:problem:${slug}`,
  title,
  status,
  detail,
  ...(errors === undefined ? {} : { errors }),
});

// Fastify's own client errors, with fixed wording: their messages can quote the request.
const FASTIFY_CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'The request body has an unsupported content type; send application/json.',
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is too large.',
};

/**
 * Maps an error to a problem (DESIGN §7): 400 invalid input, 404 unknown resource, 409 conflicts (double
 * registration, concurrency), 422 other business rules, 503 store or broker unavailable, 500 anything else.
 * Only messages we wrote reach the client; an unexpected error's message stays in the log.
 */
export function toProblem(error: unknown): Problem {
  if (isValidationError(error)) {
    const errors = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    return problem('validation-failed', 400, 'Invalid request', `The request has ${errors.length} invalid field(s).`, errors);
  }
  if (error instanceof NotFoundError) return problem('not-found', 404, 'Not found', error.message);
  if (error instanceof ConflictError) return problem('conflict', 409, 'Conflict', error.message);
  if (isConcurrencyError(error) || isDuplicateEventError(error)) {
    return problem(
      'concurrent-modification',
      409,
      'Conflict',
      'The resource was changed by another request at the same time; please retry.',
    );
  }
  if (isDomainError(error)) return problem('rule-violated', 422, 'Unprocessable request', error.message);
  if (isStoreUnavailableError(error)) {
    return problem('unavailable', 503, 'Service unavailable', 'The service cannot reach its storage right now; please retry shortly.');
  }
  const status = statusCodeOf(error);
  if (status !== undefined && status >= 400 && status < 500) {
    const detail = FASTIFY_CLIENT_ERRORS[(error as { code?: string }).code ?? ''] ?? 'The request could not be processed.';
    return problem('bad-request', status, status === 404 ? 'Not found' : 'Bad request', detail);
  }
  return problem('internal', 500, 'Internal server error', 'An unexpected error occurred; quote the request id when reporting it.');
}

/** The `outcome` label of the commands metric. */
export function outcomeOf(error: unknown): 'invalid' | 'not_found' | 'conflict' | 'rejected' | 'unavailable' | 'failed' {
  const { status } = toProblem(error);
  if (status === 400) return 'invalid';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 422) return 'rejected';
  if (status === 503) return 'unavailable';
  return 'failed';
}

/** Sends a problem as `application/problem+json`; 5xx responses are logged with the error, others briefly. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const details: ProblemDetails = { ...toProblem(error), instance: request.url, requestId: request.id };
  if (details.status >= 500) {
    // The body goes to the log to help diagnosis; the logger's `redact` removes the password from it.
    request.log.error({ err: error, body: request.body }, `${details.title}: ${describe(error)}`);
  } else {
    request.log.info({ problem: details.type, status: details.status }, details.detail);
  }
  if (details.status === 503) reply.header('retry-after', '1');
  return reply.code(details.status).type('application/problem+json').send(details);
}

/** The success envelope: `{ success: true, data, meta: { requestId, timestamp } }`. */
export function envelope<T>(request: FastifyRequest, data: T, now: () => Date) {
  return { success: true as const, data, meta: { requestId: request.id, timestamp: now().toISOString() } };
}

function statusCodeOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function describe(error: unknown): string {
  return isEventfoldError(error) ? `${error.name} [${error.code}]` : error instanceof Error ? error.name : typeof error;
}
