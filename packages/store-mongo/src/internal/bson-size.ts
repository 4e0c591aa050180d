/** The BSON size limit of one document on MongoDB and FerretDB (`maxBsonObjectSize`): 16 MiB. */
export const MAX_BSON_DOCUMENT_BYTES: number = 16 * 1024 * 1024;

const utf8 = new TextEncoder();

function stringBytes(text: string): number {
  // Fast path: ASCII text is one byte per character.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range test is the point
  return /^[\u0000-\u007f]*$/.test(text) ? text.length : utf8.encode(text).length;
}

function valueBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return 4 + stringBytes(value) + 1;
    case 'number':
      // The driver writes integers that fit in 32 bits as int32, every other number (-0 included:
      // an int32 cannot keep its sign) as a double.
      return Number.isInteger(value) && value >= -2147483648 && value <= 2147483647 && !Object.is(value, -0) ? 4 : 8;
    case 'bigint':
      return 8;
    case 'boolean':
      return 1;
    case 'object':
      if (value === null) return 0;
      if (value instanceof Date) return 8;
      return documentBytes(value as Record<string, unknown>);
    default:
      return 0;
  }
}

/**
 * The size in bytes of the BSON encoding of a document made of strings, numbers, bigints, booleans,
 * nulls, dates, arrays and plain objects — what the store writes. Computed without the driver, so an
 * oversized append is rejected before anything is sent.
 */
export function documentBytes(document: Record<string, unknown> | readonly unknown[]): number {
  let size = 4 + 1;
  const entries: [string, unknown][] = Array.isArray(document)
    ? document.map((item, index) => [String(index), item])
    : Object.entries(document);
  for (const [key, item] of entries) {
    if (item === undefined) continue;
    size += 1 + stringBytes(key) + 1 + valueBytes(item);
  }
  return size;
}
