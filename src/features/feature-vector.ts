/**
 * A score's features as stored with it (customer_scores.features): every FEATURE_KEYS value
 * as a big-endian float8, in catalogue order, 8 bytes each. A score keeps its inputs rather
 * than its explanation: drivers, "what changed" and their sentences are worked out from
 * these numbers and the model version when someone reads them, so a nightly run writes 240
 * bytes of numbers per customer instead of rendered text.
 *
 * Stored vectors are read by position, so FEATURE_KEYS only ever grows at its end (a
 * retired feature keeps its slot); a vector written before a key was added is shorter and
 * reads that key as missing (NaN), which sentences and scoring treat as "no data".
 */
import { FEATURE_KEYS, type FeatureKey } from './feature-catalog';

export type FeatureRecord = Record<FeatureKey, number>;

/** SQL: the packed vector of float8 columns named by key (a NULL would blank the whole vector, so it is stored as NaN). */
export function packedFeaturesSql(column: (key: FeatureKey) => string = (k) => k): string {
  return FEATURE_KEYS.map((k) => `float8send(coalesce(${column(k)}, 'NaN'::float8))`).join(' || ');
}

/** A stored vector as a record by key (missing trailing keys read as NaN). */
export function unpackFeatures(bytes: Buffer): FeatureRecord {
  const record = {} as FeatureRecord;
  const n = Math.floor(bytes.length / 8);
  for (let k = 0; k < FEATURE_KEYS.length; k++) record[FEATURE_KEYS[k]] = k < n ? bytes.readDoubleBE(8 * k) : NaN;
  return record;
}
