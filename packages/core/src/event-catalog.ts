import { ConfigurationError, UnknownEventTypeError } from './errors.js';
import type { EventMetadata, NewEvent, RecordedEvent } from './event.js';
import { type Schema, type SchemaInput, type SchemaOutput, validate, validateSoon } from './schema.js';

/** Upcasters keyed by the version they read: `upcast[1]` turns version-1 data into version-2 data. */
export type Upcasters = Readonly<Record<number, (data: any) => unknown>>;

/** Declares one event type. See {@link defineEvent}. */
export interface EventDefinition<Type extends string = string, S extends Schema = Schema> {
  readonly type: Type;
  /** Current schema version of the payload. */
  readonly version: number;
  readonly schema: S;
  readonly upcast: Upcasters;
  /** Builds a new event of this type (validated when appended through a catalog). */
  create(data: SchemaInput<S>, options?: { id?: string; metadata?: EventMetadata }): NewEvent<Type, SchemaInput<S>>;
}

/** Options of {@link defineEvent}. */
export interface DefineEventOptions<Type extends string, S extends Schema> {
  /** A dotted name, e.g. `user.registered`. */
  type: Type;
  /** Schema of the current version's payload. Its output is what is stored, so it must be JSON-serialisable and accepted again on read. */
  schema: S;
  /** Current schema version. @defaultValue 1 */
  version?: number;
  /** One upcaster per older version, from 1 to `version - 1`. */
  upcast?: Upcasters;
}

const DATA_PATH = ['data'] as const;

/** The event with its decoded data, or the event itself when decoding changed nothing. */
function withDecodedData(event: RecordedEvent, data: unknown, schemaVersion: number): RecordedEvent {
  return data === event.data && event.schemaVersion === schemaVersion ? event : { ...event, data, schemaVersion };
}

const EVENT_TYPE = /^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/i;

/**
 * Declares an event type: its name, payload schema, schema version and upcasters from older versions.
 *
 * @example
 * ```ts
 * const userRegistered = defineEvent({
 *   type: 'user.registered',
 *   version: 2,
 *   schema: z.object({ userId: z.string(), email: z.string(), fullName: z.string() }),
 *   upcast: { 1: (v1: { userId: string; email: string; name: string }) => ({ userId: v1.userId, email: v1.email, fullName: v1.name }) },
 * });
 * ```
 * @throws {@link ConfigurationError} for a malformed type, a version below 1 or a missing upcaster.
 */
export function defineEvent<const Type extends string, S extends Schema>(options: DefineEventOptions<Type, S>): EventDefinition<Type, S> {
  const { type, schema } = options;
  const version = options.version ?? 1;
  const upcast = options.upcast ?? {};
  if (!EVENT_TYPE.test(type)) {
    throw new ConfigurationError(`[@eventfold/core] Event type "${type}" must be a dotted name such as "user.registered".`);
  }
  if (!Number.isInteger(version) || version < 1) {
    throw new ConfigurationError(`[@eventfold/core] Event "${type}": version must be an integer >= 1, got ${version}.`);
  }
  for (let from = 1; from < version; from++) {
    if (typeof upcast[from] !== 'function') {
      throw new ConfigurationError(
        `[@eventfold/core] Event "${type}" is at version ${version} but has no upcaster from version ${from}: add upcast[${from}].`,
      );
    }
  }
  return {
    type,
    version,
    schema,
    upcast,
    create: (data, createOptions) => ({ type, data, ...createOptions }),
  };
}

/** The decoded event type of one definition. */
export type EventOf<D> = D extends EventDefinition<infer Type, infer S> ? { type: Type; data: SchemaOutput<S> } : never;

/** The union of the decoded events of a catalog. */
export type CatalogEvent<C> = C extends EventCatalog<infer D> ? EventOf<D> : never;

/** What to do with an event whose type is not in the catalog. */
export type UnknownEventPolicy = 'error' | 'raw';

/**
 * Maps event types to their definitions: validates payloads before they are appended and
 * decodes (upcasts, then validates) them when read back.
 */
export interface EventCatalog<D extends EventDefinition = EventDefinition> {
  readonly definitions: readonly D[];
  /** The definition of a type, if the catalog has it. */
  get(type: string): D | undefined;
  /** True when the catalog knows the type. */
  has(type: string): boolean;
  /**
   * Validates a new event's payload and stamps its schema version.
   * @throws `UnknownEventTypeError` or `ValidationError`.
   */
  encode<E extends NewEvent>(event: E): Promise<E & { schemaVersion: number }>;
  /**
   * Upcasts a recorded event to the current version and validates it.
   * @throws `UnknownEventTypeError` (unless `unknownEvents` is `'raw'`) or `ValidationError`.
   */
  decode(event: RecordedEvent, options?: { unknownEvents?: UnknownEventPolicy }): Promise<RecordedEvent>;
  /** Decodes a page of events in order, without a promise per event when the schemas are synchronous. */
  decodeAll(events: readonly RecordedEvent[], options?: { unknownEvents?: UnknownEventPolicy }): Promise<RecordedEvent[]>;
}

/**
 * Builds an event catalog from definitions.
 * @throws {@link ConfigurationError} when two definitions share a type.
 */
export function eventCatalog<const D extends EventDefinition>(definitions: readonly D[]): EventCatalog<D> {
  const byType = new Map<string, D>();
  for (const definition of definitions) {
    if (byType.has(definition.type)) {
      throw new ConfigurationError(`[@eventfold/core] Event type "${definition.type}" is defined twice in one catalog.`);
    }
    byType.set(definition.type, definition);
  }

  function require(type: string): D {
    const definition = byType.get(type);
    if (definition === undefined) throw new UnknownEventTypeError(type);
    return definition;
  }

  /** Upcasts and validates one event, synchronously unless the schema is asynchronous. */
  function decodeSoon(
    event: RecordedEvent,
    options: { unknownEvents?: UnknownEventPolicy } | undefined,
  ): RecordedEvent | Promise<RecordedEvent> {
    const definition = byType.get(event.type);
    if (definition === undefined) {
      if (options?.unknownEvents === 'raw') return event;
      throw new UnknownEventTypeError(event.type);
    }
    if (event.schemaVersion > definition.version) {
      throw new ConfigurationError(
        `[@eventfold/core] Event ${event.id} ("${event.type}") was written with schema version ${event.schemaVersion}, newer than this catalog's ${definition.version}. Deploy the newer event definition before reading it.`,
      );
    }
    let data: unknown = event.data;
    for (let from = event.schemaVersion; from < definition.version; from++) {
      data = (definition.upcast[from] as (old: unknown) => unknown)(data);
    }
    // The description is built only when validation fails: this runs once per event read.
    const decoded = validateSoon(definition.schema, data, () => `Event ${event.id} ("${event.type}")`, DATA_PATH);
    return decoded instanceof Promise
      ? decoded.then((settled) => withDecodedData(event, settled, definition.version))
      : withDecodedData(event, decoded, definition.version);
  }

  return {
    definitions,
    get: (type) => byType.get(type),
    has: (type) => byType.has(type),

    async encode(event) {
      const definition = require(event.type);
      const data = await validate(definition.schema, event.data, `Event "${event.type}"`, ['data']);
      return { ...event, data, schemaVersion: definition.version };
    },

    async decode(event, options) {
      return decodeSoon(event, options);
    },

    async decodeAll(events, options) {
      const decoded: RecordedEvent[] = new Array(events.length);
      for (let index = 0; index < events.length; index++) {
        const result = decodeSoon(events[index] as RecordedEvent, options);
        decoded[index] = result instanceof Promise ? await result : result;
      }
      return decoded;
    },
  };
}
