import { ParleyError } from '@parley/contracts';
import type { JSONWebKeySet } from 'jose';

/**
 * Where the verifier gets the public keys. Any function will do: `httpJwksSource(url)`, or over
 * NATS `() => client.request(identityRequests.getJwks, {})`. What it returns is checked.
 */
export type JwksSource = () => Promise<JSONWebKeySet>;

/** Checks the shape of a fetched key set; an unusable answer is the key source's fault. */
export function asJwks(value: unknown): JSONWebKeySet {
  if (
    typeof value !== 'object' ||
    value === null ||
    !Array.isArray((value as { keys?: unknown }).keys) ||
    !(value as { keys: unknown[] }).keys.every(
      (key) => typeof key === 'object' && key !== null && !Array.isArray(key),
    )
  ) {
    throw new ParleyError('unavailable', 'The key set that verifies access tokens is not a JSON Web Key Set');
  }
  return value as JSONWebKeySet;
}

export interface HttpJwksSourceOptions {
  /** Per fetch; 5 seconds when omitted. */
  timeoutMs?: number;
}

/** Fetches the key set from an HTTP(S) URL such as identity's `/.well-known/jwks.json`. */
export function httpJwksSource(url: string | URL, options: HttpJwksSourceOptions = {}): JwksSource {
  const timeoutMs = options.timeoutMs ?? 5000;
  return async () => {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const failure = new ParleyError(
        'unavailable',
        'The key set that verifies access tokens could not be fetched',
      );
      // Kept for the log only: the caller sees the message above.
      failure.cause = error;
      throw failure;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ParleyError('unavailable', 'The key set that verifies access tokens could not be fetched', {
        status: response.status,
      });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new ParleyError('unavailable', 'The key set that verifies access tokens is not valid JSON');
    }
    return asJwks(body);
  };
}
