import { ConfigurationError, isDomainError, isValidationError } from './errors.js';
import type { EventMetadata, NewEvent } from './event.js';
import type { EventStore } from './event-store.js';
import type { ExecuteOptions, ExecuteResult, Repository } from './repository.js';
import { type Schema, type SchemaOutput, validate } from './schema.js';

/** How rejected commands are recorded as events (the application opts in). */
export interface RejectionRecording<Input> {
  /** Where rejection events are appended. */
  store: EventStore;
  /** The stream to append the rejection to, e.g. `registration_failure-<uuid>`. */
  streamId: (error: Error, input: unknown) => string;
  /**
   * The event to record. `input` is the raw input: copy only what is safe to keep
   * (never a password). Return `undefined` to record nothing for this rejection.
   */
  toEvent: (error: Error, input: Partial<Input> | unknown) => NewEvent | undefined;
  /**
   * Called when recording a rejection fails. The caller still gets the original rejection, never
   * the recording's error. @defaultValue emits a process warning
   */
  onError?: (error: unknown) => void;
}

/** Options of {@link commandHandler}. */
export interface CommandHandlerOptions<S extends Schema, State, Command> {
  /** Validates the raw input (zod or any Standard Schema). Its output is the command input. */
  schema: S;
  repository: Repository<State, Command>;
  /** The aggregate id the command targets. */
  aggregateId: (input: SchemaOutput<S>) => string;
  /** Turns validated input into the aggregate's command. @defaultValue the input itself */
  toCommand?: (input: SchemaOutput<S>) => Command | Promise<Command>;
  /** Records validation and domain rejections as events when given. */
  rejections?: RejectionRecording<SchemaOutput<S>>;
  /** Name used in error messages. @defaultValue `'Command'` */
  name?: string;
}

/** A command handler: validates input, then executes the command through the repository. */
export type CommandHandler<State> = (input: unknown, options?: { metadata?: EventMetadata }) => Promise<ExecuteResult<State>>;

/**
 * Builds a command handler: validate the input (→ `ValidationError` listing every field issue),
 * load the aggregate, decide (→ `DomainError`), append (retrying `ConcurrencyError`s).
 *
 * @example
 * ```ts
 * const registerUser = commandHandler({
 *   name: 'register-user',
 *   schema: z.object({ username: z.string().min(3), email: z.email() }),
 *   repository: users,
 *   aggregateId: () => uuidv7(),
 *   toCommand: (input) => ({ type: 'register', ...input }),
 * });
 * const { events } = await registerUser(request.body, { metadata: { correlationId: requestId } });
 * ```
 */
export function commandHandler<S extends Schema, State, Command>(options: CommandHandlerOptions<S, State, Command>): CommandHandler<State> {
  const { schema, repository, aggregateId, rejections } = options;
  if (schema === undefined)
    throw new ConfigurationError('[@eventfold/core] Option `schema` is required: pass a zod (or Standard Schema) schema.');
  if (repository === undefined) throw new ConfigurationError('[@eventfold/core] Option `repository` is required.');
  const name = options.name ?? 'Command';
  const toCommand = options.toCommand ?? ((input: SchemaOutput<S>) => input as unknown as Command);

  async function record(error: Error, input: unknown, metadata: EventMetadata | undefined): Promise<void> {
    if (rejections === undefined) return;
    const event = rejections.toEvent(error, input);
    if (event === undefined) return;
    const withMetadata = metadata === undefined ? event : { ...event, metadata: { ...metadata, ...event.metadata } };
    try {
      await rejections.store.append(rejections.streamId(error, input), [withMetadata]);
    } catch (recordingError) {
      // The rejection is what the caller must see; a failed record of it is only reported.
      const report =
        rejections.onError ??
        ((failure: unknown) =>
          process.emitWarning(`[@eventfold/core] Recording a rejected ${name} failed: ${String(failure)}`, {
            code: 'EVENTFOLD_REJECTION',
          }));
      report(recordingError);
    }
  }

  return async (input, handlerOptions = {}) => {
    try {
      const valid = await validate(schema, input, name);
      const command = await toCommand(valid);
      const executeOptions: ExecuteOptions = handlerOptions.metadata === undefined ? {} : { metadata: handlerOptions.metadata };
      return await repository.execute(aggregateId(valid), command, executeOptions);
    } catch (error) {
      if (isValidationError(error) || isDomainError(error)) await record(error, input, handlerOptions.metadata);
      throw error;
    }
  };
}
