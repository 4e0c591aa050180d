import { inMemoryTransport, isValidationError } from '@eventfold/core';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { toIncomingMessage, toKafkaMessages } from './messages.js';

describe('toKafkaMessages', () => {
  it('keeps keys and headers, copies bytes and writes anything else as UTF-8 JSON', () => {
    const bytes = new Uint8Array([0, 1, 255]);
    const [asBytes, asJson, nullKey] = toKafkaMessages([
      { key: 'user-1', value: bytes, headers: { 'event-id': 'e1' } },
      { key: 'user-2', value: { text: 'ünï ✓' } },
      { key: null, value: 'plain' },
    ]);
    bytes[0] = 42;
    expect(asBytes).toEqual({ key: 'user-1', value: Buffer.from([0, 1, 255]), headers: { 'event-id': 'e1' } });
    expect(asJson?.value.toString('utf8')).toBe('{"text":"ünï ✓"}');
    expect(asJson?.headers).toEqual({});
    expect(nullKey?.key).toBeNull();
    expect(nullKey?.value.toString('utf8')).toBe('"plain"');
  });

  it('rejects the whole publish for one bad message, naming where', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: [unknown, (string | number)[]][] = [
      [{ key: 1, value: 'x' }, ['messages', 1, 'key']],
      [{ key: 'k', value: 'x', headers: { n: 1 } }, ['messages', 1, 'headers', 'n']],
      [{ key: 'k', value: cyclic }, ['messages', 1, 'value']],
      [{ key: 'k', value: undefined }, ['messages', 1, 'value']],
    ];
    for (const [bad, path] of cases) {
      let thrown: unknown;
      try {
        toKafkaMessages([{ key: 'ok', value: 1 }, bad as never]);
      } catch (error) {
        thrown = error;
      }
      expect(isValidationError(thrown)).toBe(true);
      expect((thrown as { issues: { path: unknown }[] }).issues[0]?.path).toEqual(path);
    }
  });
});

describe('toIncomingMessage', () => {
  it('turns kafkajs buffers into strings and a plain Uint8Array, and the timestamp into a Date', () => {
    const value = Buffer.from('{"a":1}');
    const message = toIncomingMessage('t', 2, {
      key: Buffer.from('user-1'),
      value,
      offset: '9007199254740993',
      timestamp: '1700000000123',
      headers: { 'event-id': Buffer.from('e1'), repeated: [Buffer.from('first'), 'last'], absent: undefined },
    });
    expect(message).toMatchObject({ topic: 't', partition: 2, offset: '9007199254740993', key: 'user-1' });
    expect(message.value.constructor).toBe(Uint8Array);
    expect([...message.value]).toEqual([...value]);
    expect(message.headers).toEqual({ 'event-id': 'e1', repeated: 'last' });
    expect(message.timestamp.getTime()).toBe(1700000000123);
  });

  it('reads a null key as null and a null value (tombstone) as empty bytes', () => {
    const message = toIncomingMessage('t', 0, { key: null, value: null, offset: '0', timestamp: '0' });
    expect(message.key).toBeNull();
    expect(message.value).toEqual(new Uint8Array(0));
    expect(message.headers).toEqual({});
  });
});

describe('partitioning', () => {
  it("kafkajs's DefaultPartitioner puts every key where the in-memory transport (and Java's murmur2) does", async () => {
    const partitions = 3;
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    const memory = inMemoryTransport({ partitions });
    const keys = [...Array.from({ length: 300 }, (_, index) => `user-${index}`), 'registration-0190a1b2', 'ü-✓', ''];
    await memory.publish(
      'keys',
      keys.map((key) => ({ key, value: key })),
    );
    const expected = new Map(memory.messages('keys').map((message) => [message.key, message.partition]));
    for (const key of keys) {
      expect(partitioner({ topic: 'keys', partitionMetadata, message: { key, value: null } }), key).toBe(expected.get(key));
    }
    await memory.close();
  });
});
