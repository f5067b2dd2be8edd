/**
 * docs/economics/prices.json, bundled into the Worker and checked against its
 * shape when the module loads: the same file the cost model reads.
 */
import raw from '../../../docs/economics/prices.json';
import { pricesSchema } from './pricing';

export const PRICES = pricesSchema.parse(raw);
