import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidationError, type ValidationError } from './errors.js';
import type { RecordedEvent } from './event.js';
import { eventToMessage, MessageHeaders, messageToEvent } from './message-headers.js';

const event: RecordedEvent = {
  id: '0190a8c4-0000-7000-8000-000000000001',
  type: 'user.registered',
  schemaVersion: 2,
  streamId: 'user-42',
  version: 3,
  position: 9_007_199_254_740_993n,
  data: { email: 'ada@example.com', tags: ['a', 'b'] },
  metadata: { correlationId: 'req-1', causationId: 'cmd-1', traceparent: '00-abc-def-01', tenant: 'acme', custom: { x: 1 } },
  recordedAt: new Date('2026-01-02T03:04:05.678Z'),
};

function caught(action: () => unknown): ValidationError {
  try {
    action();
  } catch (error) {
    if (isValidationError(error)) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('eventToMessage', () => {
  it('keys by stream id and mirrors the event in headers', () => {
    const message = eventToMessage(event);
    expect(message.key).toBe('user-42');
    expect(message.headers).toEqual({
      'event-id': event.id,
      'event-type': 'user.registered',
      'schema-version': '2',
      'stream-id': 'user-42',
      'stream-version': '3',
      position: '9007199254740993',
      'recorded-at': '2026-01-02T03:04:05.678Z',
      'correlation-id': 'req-1',
      'causation-id': 'cmd-1',
      traceparent: '00-abc-def-01',
    });
    expect(JSON.parse(new TextDecoder().decode(message.value))).toEqual({ data: event.data, metadata: event.metadata });
  });

  it('omits trace headers the metadata does not have', () => {
    const message = eventToMessage({ ...event, metadata: { correlationId: 7 as unknown as string } });
    expect(message.headers).not.toHaveProperty(MessageHeaders.correlationId);
    expect(message.headers).not.toHaveProperty(MessageHeaders.causationId);
    expect(message.headers).not.toHaveProperty(MessageHeaders.traceparent);
  });
});

describe('messageToEvent', () => {
  it('round-trips any recorded event (property, 200 runs)', () => {
    const recorded = fc.record({
      id: fc.uuid(),
      type: fc.constantFrom('user.registered', 'order.placed'),
      schemaVersion: fc.integer({ min: 1, max: 9 }),
      streamId: fc.stringMatching(/^[a-z]{1,8}-[a-zA-Z0-9:_-]{1,20}$/),
      version: fc.integer({ min: 1, max: 2 ** 40 }),
      position: fc.bigInt({ min: 1n, max: 2n ** 70n }),
      data: fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown),
      metadata: fc.record({ correlationId: fc.string(), traceparent: fc.string() }, { requiredKeys: [] }),
      recordedAt: fc.date({ min: new Date(0), max: new Date('2200-01-01'), noInvalidDate: true }),
    });
    fc.assert(
      fc.property(recorded, (original) => {
        expect(messageToEvent(eventToMessage(original))).toEqual(original);
      }),
      { numRuns: 200 },
    );
  });

  it('returns a frozen event', () => {
    const decoded = messageToEvent(eventToMessage(event));
    expect(Object.isFrozen(decoded)).toBe(true);
    expect(Object.isFrozen(decoded.data)).toBe(true);
  });

  it('falls back to the message timestamp without a recorded-at header, and to empty metadata', () => {
    const { headers } = eventToMessage(event);
    const { [MessageHeaders.recordedAt]: _, ...rest } = headers;
    const timestamp = new Date('2026-05-05T00:00:00Z');
    const value = new TextEncoder().encode('{"data":null}');
    const decoded = messageToEvent({ headers: rest, value, timestamp });
    expect(decoded.recordedAt).toEqual(timestamp);
    expect(decoded.metadata).toEqual({});
    expect(decoded.data).toBeNull();
  });

  it('lists every malformed header at once', () => {
    const error = caught(() =>
      messageToEvent({
        headers: {
          'event-type': 'x',
          'schema-version': '0',
          'stream-id': 'a\u0001b',
          'stream-version': '1.5',
          position: '-3',
          'recorded-at': 'soon',
        },
        value: new TextEncoder().encode('{"data":1}'),
      }),
    );
    expect(error.issues.map((issue) => issue.path.join('.'))).toEqual([
      'headers.event-id',
      'headers.schema-version',
      'headers.stream-id',
      'headers.stream-version',
      'headers.position',
      'headers.recorded-at',
    ]);
    expect(error.message).toMatch(/^Invalid event message: headers.event-id: header is missing/);
  });

  it.each([
    ['not UTF-8', new Uint8Array([0xff, 0xfe]), /value: expected UTF-8 JSON/],
    ['not JSON', new TextEncoder().encode('{'), /value: expected UTF-8 JSON/],
    ['without data', new TextEncoder().encode('{"metadata":{}}'), /value: expected an object \{ data, metadata \}/],
    ['an array', new TextEncoder().encode('[1]'), /value: expected an object/],
    ['with bad metadata', new TextEncoder().encode('{"data":1,"metadata":[1]}'), /value.metadata: expected an object/],
  ])('rejects a value that is %s', (_, value, message) => {
    const { headers } = eventToMessage(event);
    expect(caught(() => messageToEvent({ headers, value })).message).toMatch(message);
  });
});
