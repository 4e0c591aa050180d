/**
 * The few `mongodb` driver methods the store calls, typed structurally (as Kysely types its `pg`
 * pool), so our public types never force a driver version: a `MongoClient` of driver 6 or 7 fits.
 */

/** A BSON document as the store reads and writes it. */
export type MongoDocument = Record<string, unknown>;

/** Options of `find` / `findOne` the store passes. */
export interface MongoFindOptionsLike {
  sort?: MongoDocument;
  limit?: number;
  hint?: MongoDocument;
  batchSize?: number;
  projection?: MongoDocument;
}

/** A `FindCursor`: the store reads it to the end (`toArray`) or stops early (`for await` + `break`). */
export interface MongoCursorLike extends AsyncIterable<MongoDocument> {
  /** Reads the rest of the cursor. */
  toArray(): Promise<MongoDocument[]>;
  /** Releases the cursor early. */
  close(): Promise<void>;
}

/** An index to create, in the shape of `createIndexes` specifications. */
export interface MongoIndexSpecLike {
  key: Record<string, 1 | -1>;
  name: string;
  unique?: boolean;
}

/** A `Collection`. */
export interface MongoCollectionLike {
  /** Inserts one document. */
  insertOne(document: MongoDocument): Promise<unknown>;
  /** Inserts documents, in order when `ordered`. */
  insertMany(documents: MongoDocument[], options?: { ordered?: boolean }): Promise<unknown>;
  /** The first matching document, or `null`. */
  findOne(filter: MongoDocument, options?: MongoFindOptionsLike): Promise<MongoDocument | null>;
  /** A cursor over the matching documents. */
  find(filter: MongoDocument, options?: MongoFindOptionsLike): MongoCursorLike;
  /** Replaces (or, with `upsert`, inserts) one document. */
  replaceOne(filter: MongoDocument, replacement: MongoDocument, options?: { upsert?: boolean }): Promise<unknown>;
  /** Deletes the matching documents. */
  deleteMany(filter: MongoDocument): Promise<unknown>;
  /** Creates indexes (existing identical ones are left alone). */
  createIndexes(indexes: MongoIndexSpecLike[]): Promise<unknown>;
  /** The collection's indexes. */
  listIndexes(): {
    /** Reads them all. */
    toArray(): Promise<MongoDocument[]>;
  };
}

/** A `Db`. */
export interface MongoDbLike {
  readonly databaseName: string;
  /** A collection of this database. */
  collection(name: string): MongoCollectionLike;
}

/** A `MongoClient` (from `mongodb` 6 or 7). */
export interface MongoClientLike {
  /** The store passes `DbOptions` (read and write concern, BSON options); typed loosely, as the driver's own type changes between majors. */
  db(name: string, options?: object): MongoDbLike;
  /** Closes the client's connections. */
  close(): Promise<void>;
}
