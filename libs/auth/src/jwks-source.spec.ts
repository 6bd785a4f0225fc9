import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ParleyError } from '@parley/contracts';
import { asJwks, httpJwksSource } from './jwks-source.js';
import { parleyErrorOf } from '@parley/testing';

let server: Server;
let base: string;
let answer: { status: number; body: string; delayMs?: number };

beforeAll(async () => {
  server = createServer((_req, res) => {
    const { status, body, delayMs = 0 } = answer;
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('httpJwksSource', () => {
  it('fetches and checks the key set', async () => {
    answer = {
      status: 200,
      body: JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' }] }),
    };
    await expect(httpJwksSource(`${base}/.well-known/jwks.json`)()).resolves.toEqual({
      keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' }],
    });
  });

  it('answers unavailable with the status for an HTTP error', async () => {
    answer = { status: 503, body: 'down' };
    const error = await parleyErrorOf(httpJwksSource(new URL(`${base}/jwks`))());
    expect(error.code).toBe('unavailable');
    expect(error.details).toEqual({ status: 503 });
  });

  it('answers unavailable for a body that is not JSON or not a key set', async () => {
    answer = { status: 200, body: '<html>' };
    expect((await parleyErrorOf(httpJwksSource(base)())).message).toBe(
      'The key set that verifies access tokens is not valid JSON',
    );
    answer = { status: 200, body: '{"keys":{}}' };
    expect((await parleyErrorOf(httpJwksSource(base)())).message).toBe(
      'The key set that verifies access tokens is not a JSON Web Key Set',
    );
  });

  it('answers unavailable when the server does not answer in time or at all', async () => {
    answer = { status: 200, body: '{"keys":[]}', delayMs: 500 };
    const slow = await parleyErrorOf(httpJwksSource(base, { timeoutMs: 50 })());
    expect(slow.code).toBe('unavailable');
    expect((slow.cause as { name?: string }).name).toBe('TimeoutError');

    const closed = await parleyErrorOf(httpJwksSource('http://127.0.0.1:1/jwks')());
    expect(closed.message).toBe('The key set that verifies access tokens could not be fetched');
  });
});

describe('asJwks', () => {
  it('accepts an empty key set and refuses other shapes', () => {
    expect(asJwks({ keys: [] })).toEqual({ keys: [] });
    expect(() => asJwks(undefined)).toThrow(ParleyError);
    expect(() => asJwks({ keys: [null] })).toThrow(ParleyError);
  });
});
