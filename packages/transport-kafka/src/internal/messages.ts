import { type Headers, type IncomingMessage, type OutgoingMessage, ValidationError } from '@eventfold/core';
import type { KafkaHeaderValue, KafkaMessage, KafkaOutgoingMessage } from '../kafka-client.js';

const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/**
 * Checks and converts every message before any is sent, so one bad message rejects the whole
 * publish, as with the in-memory transport. Bytes are copied: a caller that reuses its buffer
 * after `publish` returns cannot change what kafkajs encodes later.
 */
export function toKafkaMessages(messages: readonly OutgoingMessage[]): KafkaOutgoingMessage[] {
  if (!Array.isArray(messages)) {
    throw new ValidationError('Invalid publish', [{ message: 'messages must be an array', path: ['messages'] }]);
  }
  return messages.map((message, index) => toKafkaMessage(message, index));
}

function toKafkaMessage(message: OutgoingMessage, index: number): KafkaOutgoingMessage {
  const key = message?.key;
  if (key !== null && typeof key !== 'string') {
    throw new ValidationError('Invalid message', [{ message: 'key must be a string or null', path: ['messages', index, 'key'] }]);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (typeof value !== 'string') {
      throw new ValidationError('Invalid message', [
        { message: 'header values must be strings', path: ['messages', index, 'headers', name] },
      ]);
    }
    headers[name] = value;
  }
  return { key, value: serialise(message.value, index), headers };
}

function serialise(value: unknown, index: number): Buffer {
  // Buffer, not a plain Uint8Array: kafkajs's encoder calls Buffer methods on values.
  if (value instanceof Uint8Array) return Buffer.from(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError(
      'Invalid message',
      [{ message: `value is not JSON-serialisable: ${(error as Error).message}`, path: ['messages', index, 'value'] }],
      { cause: error },
    );
  }
  if (text === undefined) {
    throw new ValidationError('Invalid message', [{ message: `${typeof value} has no JSON form`, path: ['messages', index, 'value'] }]);
  }
  return Buffer.from(text, 'utf8');
}

/**
 * A kafkajs message as the `Transport` port delivers it. Not frozen (its types are readonly):
 * every delivery builds new objects anyway, and freezing two objects per message showed in the
 * consume benchmark.
 */
export function toIncomingMessage(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : textOf(message.key),
    value: bytesOf(message.value),
    headers: headersOf(message.headers),
    timestamp: new Date(Number(message.timestamp)),
  };
}

/** kafkajs hands over Buffers, whose own UTF-8 decoding is quicker than a TextDecoder call on short strings. */
function textOf(bytes: Uint8Array): string {
  return Buffer.isBuffer(bytes) ? bytes.toString('utf8') : decoder.decode(bytes);
}

/** A plain Uint8Array view of kafkajs's Buffer (no copy): the port promises Uint8Array, and Buffer's `equals`/`toJSON` differ. */
function bytesOf(value: Uint8Array | null): Uint8Array {
  if (value === null) return EMPTY;
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Header values as strings; of a repeated header, the last value wins, as with Java's `Headers.lastHeader`. */
function headersOf(headers: Readonly<Record<string, KafkaHeaderValue>> | undefined): Headers {
  const result: Headers = {};
  if (headers === undefined) return result;
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : (raw as Uint8Array | string | undefined);
    if (value === undefined) continue;
    result[name] = typeof value === 'string' ? value : textOf(value);
  }
  return result;
}
