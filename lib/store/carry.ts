import type { ClusterAccess } from '../eks/cluster.js';
import type { GroupProgress } from '../rollout/refresh.js';
import { carryKey, getJson, putJson, type StoreRef } from './run-store.js';

/** The groups a wave handed over still refreshing, with the access to their clusters: the next wave watches them to their end. */
export interface Carry {
  groups: GroupProgress[];
  clusters?: Record<string, ClusterAccess>;
}

/** Written by the wave that hands over (for wave `index`, the next one), always, empty when every group had finished. */
export const writeCarry = (ref: StoreRef, index: number, carry: Carry) => putJson(ref.bucket, carryKey(ref, index), carry);

export const readCarry = (ref: StoreRef, index: number) => getJson<Carry>(ref.bucket, carryKey(ref, index));
