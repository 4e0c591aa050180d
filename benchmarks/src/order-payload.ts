/** The event data the PostgreSQL and pipeline benchmarks write: about 300 bytes of JSON. */
export function orderPayload(i: number) {
  return {
    orderId: `order-${i}`,
    customer: { name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
    lines: [
      { sku: 'A-100', quantity: 2, price: 9.5 },
      { sku: 'B-200', quantity: 1, price: 24 },
    ],
    total: 43,
    currency: 'EUR',
    note: 'Leave at the door; ring twice. Gift wrap the second item please.',
  };
}
