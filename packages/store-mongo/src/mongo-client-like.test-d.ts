import type { MongoClientLike } from '@eventfold/store-mongo';
import type { MongoClient } from 'mongodb';
import { expectTypeOf, test } from 'vitest';

test('a MongoClient of the installed driver fits MongoClientLike', () => {
  expectTypeOf<MongoClient>().toExtend<MongoClientLike>();
});
