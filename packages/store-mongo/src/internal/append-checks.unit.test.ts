import { DuplicateEventError, type RecordedEvent } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { repeatOf, trustedBase } from './append-checks.js';
import { prepareEvents } from './commit-document.js';

function stored(streamId: string, version: number, id: string): [string, RecordedEvent] {
  return [
    id,
    { id, type: 't', schemaVersion: 1, streamId, version, position: BigInt(version), data: null, metadata: {}, recordedAt: new Date(0) },
  ];
}

describe('trustedBase', () => {
  it('trusts 0 for no-stream and 0, a known commit end for any, exists and the same exact version, and nothing else', () => {
    expect(trustedBase('no-stream', 7)).toBe(0);
    expect(trustedBase(0, undefined)).toBe(0);
    expect(trustedBase('any', 7)).toBe(7);
    expect(trustedBase('any', undefined)).toBeUndefined();
    expect(trustedBase('exists', 7)).toBe(7);
    expect(trustedBase('exists', undefined)).toBeUndefined();
    expect(trustedBase(7, 7)).toBe(7);
    // 5 may lie inside a commit: appending after it could overlap that commit, so the stream must be read.
    expect(trustedBase(5, 7)).toBeUndefined();
    expect(trustedBase(5, undefined)).toBeUndefined();
  });
});

describe('repeatOf', () => {
  const events = prepareEvents([
    { id: 'a', type: 't', data: 1 },
    { id: 'b', type: 't', data: 2 },
  ]);

  it('is undefined when no id is stored', () => {
    expect(repeatOf('s-1', events, new Map())).toBeUndefined();
  });

  it('returns the stored events when all ids are stored in this stream at consecutive versions, in order', () => {
    const result = repeatOf('s-1', events, new Map([stored('s-1', 4, 'a'), stored('s-1', 5, 'b')]));
    expect(result?.version).toBe(5);
    expect(result?.position).toBe(5n);
    expect(result?.events.map((event) => event.id)).toEqual(['a', 'b']);
  });

  it('is a DuplicateEventError for a partial repeat, another stream, a gap or another order', () => {
    const cases: Map<string, RecordedEvent>[] = [
      new Map([stored('s-1', 4, 'a')]),
      new Map([stored('s-2', 4, 'a'), stored('s-2', 5, 'b')]),
      new Map([stored('s-1', 4, 'a'), stored('s-1', 6, 'b')]),
      new Map([stored('s-1', 5, 'a'), stored('s-1', 4, 'b')]),
    ];
    for (const found of cases) expect(() => repeatOf('s-1', events, found)).toThrow(DuplicateEventError);
  });
});
