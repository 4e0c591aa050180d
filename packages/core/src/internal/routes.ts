import { ConfigurationError } from '../errors.js';
import type { RecordedEvent } from '../event.js';
import { streamCategory } from '../stream-id.js';

/**
 * Where the relay publishes each event: a map from event type or stream category to topic
 * (`{ user: 'user.created', 'order.placed': 'orders' }`; a type entry wins over a category entry),
 * or a function returning the topic, or `undefined` to skip the event.
 */
export type RelayRoutes = Readonly<Record<string, string>> | ((event: RecordedEvent) => string | undefined);

/** Checks routes once and turns them into a function. */
export function compileRoutes(routes: RelayRoutes | undefined): (event: RecordedEvent) => string | undefined {
  if (typeof routes === 'function') {
    return (event) => {
      const topic = routes(event);
      if (topic !== undefined && (typeof topic !== 'string' || topic.length === 0)) {
        throw new ConfigurationError(
          `[@eventfold/core] The relay's \`routes\` function returned ${JSON.stringify(topic)} for event type "${event.type}": return a topic name, or undefined to skip the event.`,
        );
      }
      return topic;
    };
  }
  if (typeof routes !== 'object' || routes === null || Object.keys(routes).length === 0) {
    throw new ConfigurationError(
      "[@eventfold/core] Option `routes` is required: map event types or stream categories to topics, e.g. { user: 'user.created' }, or pass a function.",
    );
  }
  const table = new Map<string, string>();
  for (const [from, topic] of Object.entries(routes)) {
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new ConfigurationError(`[@eventfold/core] Option \`routes.${from}\` must be a topic name, got ${JSON.stringify(topic)}.`);
    }
    table.set(from, topic);
  }
  return (event) => table.get(event.type) ?? table.get(streamCategory(event.streamId));
}
