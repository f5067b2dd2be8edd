/**
 * docs/economics/prices.json, read and checked against its shape, which
 * lives with the price arithmetic in src/platform/economics/pricing.ts
 * (the Worker's operator console prices usage with the same code).
 */
import { readFileSync } from 'node:fs';
import { pricesSchema, type Prices } from '../../src/platform/economics/pricing.ts';

export type { CloudflareResource, Prices } from '../../src/platform/economics/pricing.ts';

export function loadPrices(path: string): Prices {
  return pricesSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}
