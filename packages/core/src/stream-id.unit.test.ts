import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidationError, type ValidationError } from './errors.js';
import { assertValidStreamId, MAX_STREAM_ID_LENGTH, streamCategory, streamIdOf } from './stream-id.js';

function rejection(streamId: unknown): ValidationError {
  try {
    assertValidStreamId(streamId);
  } catch (error) {
    expect(isValidationError(error)).toBe(true);
    return error as ValidationError;
  }
  throw new Error(`${JSON.stringify(streamId)} was accepted`);
}

describe('assertValidStreamId', () => {
  it.each([
    'a',
    'user-0190a0e2-7c1b-7d3e-9f00-1234567890ab',
    'order-2024/11/26#1',
    'ünïcode-✓ with spaces',
    'x'.repeat(MAX_STREAM_ID_LENGTH),
    '😀'.repeat(MAX_STREAM_ID_LENGTH / 2),
  ])('accepts %j', (streamId) => {
    expect(() => assertValidStreamId(streamId)).not.toThrow();
  });

  it.each([
    ['an empty string', '', 'must not be empty'],
    ['201 characters', 'x'.repeat(MAX_STREAM_ID_LENGTH + 1), `at most ${MAX_STREAM_ID_LENGTH} characters, got 201`],
    ['101 emoji (202 UTF-16 code units)', '😀'.repeat(101), 'at most'],
    ['a number', 42, 'must be a string, got number'],
    ['null', null, 'must be a string, got object'],
    ['undefined', undefined, 'must be a string, got undefined'],
    ['an object', { id: 'user-1' }, 'must be a string'],
  ])('rejects %s with a ValidationError at path streamId', (_, streamId, message) => {
    const error = rejection(streamId);
    expect(error.issues).toEqual([{ message: expect.stringContaining(message), path: ['streamId'] }]);
  });

  it('law: rejects every id holding a C0 control character or DEL, wherever it sits', () => {
    const control = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f)).map((code) => String.fromCharCode(code));
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), control, fc.string({ maxLength: 20 }), (before, character, after) => {
        expect(rejection(`${before}${character}${after}`).issues[0]?.message).toContain('control characters');
      }),
      { numRuns: 300 },
    );
  });

  it('law: accepts every non-empty printable id up to the maximum length', () => {
    const printable = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the filter excludes exactly what the check rejects
      (id) => id.length <= MAX_STREAM_ID_LENGTH && !/[\u0000-\u001f\u007f]/.test(id),
    );
    fc.assert(
      fc.property(printable, (streamId) => {
        expect(() => assertValidStreamId(streamId)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});

describe('streamCategory and streamIdOf', () => {
  it.each([
    ['user-123', 'user'],
    ['user-0190-abc', 'user'],
    ['user', 'user'],
    ['-orphan', ''],
    ['a-', 'a'],
  ])('the category of %j is %j', (streamId, category) => {
    expect(streamCategory(streamId)).toBe(category);
  });

  it('law: streamIdOf then streamCategory gives back the category (when it has no dash)', () => {
    const category = fc.string({ minLength: 1, maxLength: 12 }).filter((value) => !value.includes('-'));
    fc.assert(
      fc.property(category, fc.string({ maxLength: 20 }), (name, id) => {
        expect(streamIdOf(name, id)).toBe(`${name}-${id}`);
        expect(streamCategory(streamIdOf(name, id))).toBe(name);
      }),
      { numRuns: 300 },
    );
  });
});
