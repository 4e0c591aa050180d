import { isEventfoldError } from '../errors.js';
import { DeadLetterHeaders } from '../message-headers.js';
import type { Headers, IncomingMessage, OutgoingMessage } from '../transport.js';

/** Broker headers are small; a stack-sized message would bloat every dead letter. */
const MAX_ERROR_MESSAGE_LENGTH = 1_000;

/** What a consumer knows about a message it gives up on. */
export interface DeadLetterContext {
  readonly consumer: string;
  readonly attempts: number;
  readonly firstFailureAt: Date;
  readonly lastFailureAt: Date;
}

/** The dead letter of a message: its key, value and headers, plus headers describing the failure and where the message came from. */
export function deadLetterOf(message: IncomingMessage, error: unknown, context: DeadLetterContext): OutgoingMessage {
  const headers: Headers = {
    ...message.headers,
    [DeadLetterHeaders.errorName]: error instanceof Error ? error.name : typeof error,
    [DeadLetterHeaders.errorMessage]: truncate(error instanceof Error ? error.message : String(error)),
    [DeadLetterHeaders.attempts]: String(context.attempts),
    [DeadLetterHeaders.firstFailureAt]: context.firstFailureAt.toISOString(),
    [DeadLetterHeaders.lastFailureAt]: context.lastFailureAt.toISOString(),
    [DeadLetterHeaders.originalTopic]: message.topic,
    [DeadLetterHeaders.originalPartition]: String(message.partition),
    [DeadLetterHeaders.originalOffset]: message.offset,
    [DeadLetterHeaders.consumer]: context.consumer,
  };
  const code = errorCode(error);
  if (code === undefined) delete headers[DeadLetterHeaders.errorCode];
  else headers[DeadLetterHeaders.errorCode] = code;
  return { key: message.key, value: message.value, headers };
}

/** The original topic and message of a dead letter, with the dead-letter headers removed; `undefined` when it does not say where it came from. */
export function originalOf(deadLetter: IncomingMessage): { topic: string; message: OutgoingMessage } | undefined {
  const topic = deadLetter.headers[DeadLetterHeaders.originalTopic];
  if (topic === undefined || topic.length === 0) return undefined;
  const deadLetterNames = new Set<string>(Object.values(DeadLetterHeaders));
  const headers = Object.fromEntries(Object.entries(deadLetter.headers).filter(([name]) => !deadLetterNames.has(name)));
  return { topic, message: { key: deadLetter.key, value: deadLetter.value, headers } };
}

function errorCode(error: unknown): string | undefined {
  if (isEventfoldError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
}

function truncate(text: string): string {
  return text.length <= MAX_ERROR_MESSAGE_LENGTH ? text : `${text.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…`;
}
