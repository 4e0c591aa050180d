import { describe, expect, it } from 'vitest';
import { statementName } from './sql.js';
import { statements } from './statements.js';
import { visibilityStatements } from './visibility-queries.js';

describe('statementName', () => {
  it('keeps every statement name of the longest schema within 63 bytes and distinct', () => {
    const schema = 'a'.repeat(48);
    const names = [...Object.values(statements(schema)), ...Object.values(visibilityStatements(schema))].map((statement) => statement.name);
    for (const name of names) expect(name.length, name).toBeLessThanOrEqual(63);
    expect(new Set(names.map((name) => name.slice(0, 63))).size).toBe(names.length);
  });

  it('is readable when it fits, and hashes the schema otherwise (one hash per schema)', () => {
    expect(statementName('shop', 'append')).toBe('eventfold_shop_append');
    const long = statementName('b'.repeat(48), 'read_stream_backward');
    expect(long).toMatch(/^eventfold_[0-9a-f]{16}_read_stream_backward$/);
    expect(statementName('b'.repeat(48), 'append').slice(0, 27)).toBe(long.slice(0, 27));
    expect(statementName('c'.repeat(48), 'read_stream_backward')).not.toBe(long);
  });
});
