import { describeEventStoreConformance } from '../testing/event-store-conformance.js';
import { inMemoryEventStore } from './in-memory-event-store.js';

describeEventStoreConformance('inMemoryEventStore', () => inMemoryEventStore(), { concurrency: 16 });
