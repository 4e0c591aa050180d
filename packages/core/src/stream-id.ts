import { ValidationError } from './errors.js';

/** Longest accepted stream id, in UTF-16 code units. Stores index stream ids, so they are kept short. */
export const MAX_STREAM_ID_LENGTH = 200;

// Control characters break logs, headers and some indexes; they are never meaningful in an id.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject them
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Checks that a stream id is usable by every store: a non-empty string of at most
 * {@link MAX_STREAM_ID_LENGTH} characters without control characters.
 *
 * @throws {@link ValidationError} when it is not.
 */
export function assertValidStreamId(streamId: unknown): asserts streamId is string {
  const problem =
    typeof streamId !== 'string'
      ? `must be a string, got ${typeof streamId}`
      : streamId.length === 0
        ? 'must not be empty'
        : streamId.length > MAX_STREAM_ID_LENGTH
          ? `must be at most ${MAX_STREAM_ID_LENGTH} characters, got ${streamId.length}`
          : CONTROL_CHARACTERS.test(streamId)
            ? 'must not contain control characters'
            : undefined;
  if (problem !== undefined) {
    throw new ValidationError('Invalid stream id', [{ message: `stream id ${problem}`, path: ['streamId'] }]);
  }
}

/**
 * The category of a stream: the part of its id before the first `-`
 * (`user-0190a…` → `user`). A stream id without a `-` is its own category.
 */
export function streamCategory(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}

/** Builds a stream id from a category and an entity id: `streamIdOf('user', id)` → `user-<id>`. */
export function streamIdOf(category: string, id: string): string {
  return `${category}-${id}`;
}
