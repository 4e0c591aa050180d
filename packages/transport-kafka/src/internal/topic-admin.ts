import type { KafkaAdmin, KafkaClient } from '../kafka-client.js';
import { classifyKafkaError } from './classify-error.js';
import { assertTopicName, configurationError, integerOption } from './options.js';

/** A topic to create, or to check, with {@link KafkaTransport.ensureTopics}. */
export interface TopicSpec {
  readonly topic: string;
  /** @defaultValue the transport's `topicDefaults.partitions` */
  readonly partitions?: number;
  /** @defaultValue the transport's `topicDefaults.replicationFactor` */
  readonly replicationFactor?: number;
  /** Topic configuration entries, e.g. `{ 'retention.ms': '604800000' }`. */
  readonly config?: Readonly<Record<string, string>>;
}

/** Settings of topic creation. */
export interface TopicSettings {
  readonly partitions: number;
  /** -1: the broker's `default.replication.factor`. */
  readonly replicationFactor: number;
  readonly autoCreate: boolean;
  /** The suffix of dead-letter topics: a missing `<topic><suffix>` is created with as many partitions as `<topic>`. */
  readonly deadLetterSuffix: string;
}

/** The admin side of the transport: one lazily connected admin client, topic checks and creation. */
export interface TopicAdmin {
  /** The connected admin client (connects on first use). */
  admin(): Promise<KafkaAdmin>;
  /** Creates the missing topics; checks that existing ones have the partition count asked for. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Makes sure a topic exists before it is published to or consumed: creates it, or throws when auto-creation is off. */
  ensureExists(topic: string): Promise<void>;
  close(): Promise<void>;
}

/** See {@link TopicAdmin}. */
export function topicAdmin(client: KafkaClient, settings: TopicSettings): TopicAdmin {
  let connecting: Promise<KafkaAdmin> | undefined;
  const known = new Set<string>();
  const pending = new Map<string, Promise<void>>();

  function admin(): Promise<KafkaAdmin> {
    if (connecting === undefined) {
      const created = client.admin();
      const attempt = created.connect().then(() => created);
      connecting = attempt;
      // A failed connect is not cached: the next call tries again (the broker may be back).
      attempt.catch(() => {
        if (connecting === attempt) connecting = undefined;
      });
    }
    return connecting;
  }

  async function partitionCounts(kafkaAdmin: KafkaAdmin, topics: string[]): Promise<Map<string, number>> {
    if (topics.length === 0) return new Map();
    const { topics: metadata } = await kafkaAdmin.fetchTopicMetadata({ topics });
    return new Map(metadata.map((topic) => [topic.name, topic.partitions.length]));
  }

  async function create(
    kafkaAdmin: KafkaAdmin,
    specs: readonly Required<Omit<TopicSpec, 'config'>>[],
    configs: Map<string, TopicSpec['config']>,
  ) {
    if (specs.length === 0) return;
    await kafkaAdmin.createTopics({
      waitForLeaders: true,
      topics: specs.map((spec) => {
        const config = configs.get(spec.topic);
        return {
          topic: spec.topic,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor,
          ...(config === undefined ? {} : { configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }),
        };
      }),
    });
  }

  async function ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    if (!Array.isArray(specs)) throw configurationError('ensureTopics takes an array of { topic, partitions?, replicationFactor? }.');
    const wanted = specs.map((spec, index) => {
      assertTopicName(spec?.topic, [index, 'topic']);
      return {
        topic: spec.topic,
        explicitPartitions: spec.partitions !== undefined,
        partitions: integerOption(spec.partitions, `${spec.topic}.partitions`, settings.partitions, 1),
        replicationFactor: integerOption(spec.replicationFactor, `${spec.topic}.replicationFactor`, settings.replicationFactor, -1),
      };
    });
    const configs = new Map(specs.map((spec) => [spec.topic, spec.config]));
    try {
      const kafkaAdmin = await admin();
      const existing = new Set(await kafkaAdmin.listTopics());
      await create(
        kafkaAdmin,
        wanted.filter((spec) => !existing.has(spec.topic)),
        configs,
      );
      const counts = await partitionCounts(
        kafkaAdmin,
        wanted.filter((spec) => existing.has(spec.topic) && spec.explicitPartitions).map((spec) => spec.topic),
      );
      for (const spec of wanted) {
        const count = counts.get(spec.topic);
        if (count !== undefined && count !== spec.partitions) {
          // Adding partitions would move keys to other partitions and break per-stream order: never do it silently.
          throw configurationError(
            `Topic "${spec.topic}" exists with ${count} partitions, not ${spec.partitions}. Change the partition count on purpose (kafka-topics --alter) or ask for ${count}.`,
          );
        }
      }
    } catch (error) {
      throw classifyKafkaError(error, { operation: 'ensureTopics' });
    }
    for (const spec of wanted) known.add(spec.topic);
  }

  async function createMissing(topic: string): Promise<void> {
    try {
      const kafkaAdmin = await admin();
      const existing = new Set(await kafkaAdmin.listTopics());
      if (!existing.has(topic)) {
        if (!settings.autoCreate) {
          throw configurationError(
            `Topic "${topic}" does not exist. Create it first with transport.ensureTopics([{ topic: '${topic}', partitions: 3 }]), or leave \`autoCreateTopics\` on.`,
          );
        }
        let partitions = settings.partitions;
        const source = topic.endsWith(settings.deadLetterSuffix) ? topic.slice(0, -settings.deadLetterSuffix.length) : undefined;
        // A dead-letter topic mirrors its source's partitions, so a key lands on the same partition number in both.
        if (source !== undefined && existing.has(source)) {
          partitions = (await partitionCounts(kafkaAdmin, [source])).get(source) ?? partitions;
        }
        await create(kafkaAdmin, [{ topic, partitions, replicationFactor: settings.replicationFactor }], new Map());
      }
    } catch (error) {
      throw classifyKafkaError(error, { operation: 'topic check', topic });
    }
    known.add(topic);
  }

  return {
    admin,
    ensureTopics,
    ensureExists(topic) {
      if (known.has(topic)) return Promise.resolve();
      let check = pending.get(topic);
      if (check === undefined) {
        check = createMissing(topic).finally(() => pending.delete(topic));
        pending.set(topic, check);
      }
      return check;
    },
    async close() {
      const current = connecting;
      connecting = undefined;
      if (current === undefined) return;
      const connected = await current.catch(() => undefined);
      await connected?.disconnect();
    },
  };
}
