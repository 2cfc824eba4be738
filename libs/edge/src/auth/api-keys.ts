/**
 * API keys for the public API: `pk_<id>_<secret>`, stored only as SHA-256 hashes, compared in constant time.
 * Where records live is an ApiKeyStore's job (api-key-stores.ts); issuing keys to consumers is the caller's.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from '../state';
import { authUnavailable, invalidCredentials } from './challenge';

/** Every Portico API key starts with this, so a Bearer value can be told apart from a JWT. */
export const API_KEY_PREFIX = 'pk_';
/** The `issuer` of every API-key Principal. */
export const API_KEY_ISSUER = 'portico:api-key';

// id: 16 hex chars (8 random bytes); secret: 32 random bytes in base64url (43 chars, may hold `_` and `-`).
const KEY_FORMAT = /^pk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** The stored form of an API key: never the key itself, only its SHA-256. */
export const apiKeyRecordSchema = z
  .object({
    id: z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 hex characters'),
    hash: z.string().regex(/^[0-9a-f]{64}$/, 'expected a hex SHA-256'),
    owner: z.string().min(1),
    scopes: z.array(z.string().min(1)),
    plan: z.string().min(1),
    createdAt: z.string().min(1),
    disabled: z.boolean().optional(),
  })
  .strict();

/** One stored API key. */
export type ApiKeyRecord = z.output<typeof apiKeyRecordSchema>;

/** Finds API key records by id; implementations never see or store the plaintext key. */
export interface ApiKeyStore {
  /** The record for `id`, or undefined; rejects when the store cannot be reached. */
  find(id: string): Promise<ApiKeyRecord | undefined>;
  /** Resolves once the store can answer (a file store reads its file once). */
  ready?(): Promise<void>;
  /** True once the store can answer. */
  isReady?(): boolean;
}

/** SHA-256 of the whole key, hex: the only form in which keys are stored. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** True for a value shaped like a Portico API key (a `pk_` prefix); format checks come later. */
export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(API_KEY_PREFIX);
}

/** The key id of a well-formed API key, or undefined. */
export function apiKeyId(key: string): string | undefined {
  return KEY_FORMAT.exec(key)?.[1];
}

/** What a new key is issued for. */
export interface NewApiKey {
  owner: string;
  scopes?: readonly string[];
  plan?: string;
  now?: () => number;
}

/** Creates a new key: hand `key` to the consumer once, store only `record`. */
export function generateApiKey(input: NewApiKey): { key: string; record: ApiKeyRecord } {
  const id = randomBytes(8).toString('hex');
  const key = `${API_KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  const record: ApiKeyRecord = {
    id,
    hash: hashApiKey(key),
    owner: input.owner,
    scopes: [...(input.scopes ?? [])],
    plan: input.plan ?? 'free',
    createdAt: new Date((input.now ?? Date.now)()).toISOString(),
  };
  return { key, record };
}

// Compared against when the id is unknown, so a miss costs the same as a wrong secret.
const DUMMY_HASH = Buffer.alloc(32);

/** Checks a presented key against the store and returns its Principal; throws INVALID_TOKEN (401) or AUTH_UNAVAILABLE (503). */
export async function verifyApiKey(store: ApiKeyStore, key: string): Promise<Principal> {
  const id = apiKeyId(key);
  if (id === undefined) throw invalidCredentials('API key is malformed');
  let record: ApiKeyRecord | undefined;
  try {
    record = await store.find(id);
  } catch (err) {
    throw authUnavailable('API keys cannot be checked right now', err);
  }
  const presented = createHash('sha256').update(key, 'utf8').digest();
  const expected = record ? Buffer.from(record.hash, 'hex') : DUMMY_HASH;
  const matches = expected.length === presented.length && timingSafeEqual(presented, expected);
  // Unknown id and wrong secret read the same, so ids cannot be probed.
  if (!record || !matches) throw invalidCredentials('API key not recognised');
  if (record.disabled) throw invalidCredentials('API key disabled');
  return Object.freeze({
    kind: 'api-key',
    issuer: API_KEY_ISSUER,
    subject: record.owner,
    clientId: record.id,
    scopes: Object.freeze([...record.scopes]),
    roles: Object.freeze([] as string[]),
    plan: record.plan,
  });
}
