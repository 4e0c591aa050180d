import type { Subscription, Transport } from '@eventfold/core';
import { type KafkaClient, type KafkaSubscription, type KafkaTransport, kafkaTransport } from '@eventfold/transport-kafka';
import { Kafka } from 'kafkajs';
import { describe, expectTypeOf, it } from 'vitest';

describe('kafka transport types', () => {
  it('implements Transport and only widens it', () => {
    expectTypeOf(kafkaTransport({ brokers: ['localhost:9092'] })).toEqualTypeOf<KafkaTransport>();
    expectTypeOf<KafkaTransport>().toExtend<Transport>();
    expectTypeOf<KafkaTransport['publish']>().toEqualTypeOf<Transport['publish']>();
    expectTypeOf<KafkaSubscription>().toExtend<Subscription>();
    expectTypeOf<Awaited<ReturnType<KafkaTransport['subscribe']>>>().toEqualTypeOf<KafkaSubscription>();
  });

  it('accepts a kafkajs 2.x Kafka instance through its structural client type', () => {
    expectTypeOf<Kafka>().toExtend<KafkaClient>();
    kafkaTransport({ kafka: new Kafka({ brokers: ['localhost:9092'] }) });
  });
});
