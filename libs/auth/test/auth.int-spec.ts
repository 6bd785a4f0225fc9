import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import {
  type ArgumentsHost,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  type INestApplication,
  Module,
  type RpcExceptionFilter,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  type ClientProxy,
  ClientProxyFactory,
  MessagePattern,
  type MicroserviceOptions,
  NatsRecordBuilder,
  Payload,
  Transport,
} from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { Actor, AuthGuard, AuthModule, httpJwksSource, TokenVerifier } from '@parley/auth';
import {
  type ErrorEnvelope,
  headerNames,
  httpStatusOf,
  ParleyError,
  type Principal,
} from '@parley/contracts';
import { configureLogging, requestContext } from '@parley/logging';
import { natsUrl, uniqueNamespace } from '@parley/testing';
import type { Response } from 'express';
import { firstValueFrom, type Observable, throwError } from 'rxjs';
import {
  accessToken,
  audience,
  identity,
  issuer,
  keySet,
  type SigningKey,
  signingKey,
} from './token-factory.js';

const lines: Array<Record<string, unknown>> = [];
configureLogging({
  service: 'auth-int',
  level: 'warn',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  }),
});

const namespace = uniqueNamespace();
const whoamiSubject = `${namespace}.auth-spec.v1.actor.get`;

/** Test stand-ins for the transport filters that map ParleyError (they live in other libs). */
@Catch(ParleyError)
class HttpParleyFilter implements ExceptionFilter {
  catch(error: ParleyError, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().status(httpStatusOf[error.code]).json(error.toEnvelope());
  }
}

@Catch(ParleyError)
class RpcParleyFilter implements RpcExceptionFilter<ParleyError> {
  catch(error: ParleyError): Observable<never> {
    return throwError(() => error.toEnvelope());
  }
}

@Controller('me')
@UseFilters(HttpParleyFilter)
class MeController {
  @Get()
  @UseGuards(AuthGuard)
  me(@Actor() actor: Principal): { actor: Principal; context: unknown } {
    return { actor, context: requestContext.get() };
  }

  @Get('open')
  open(@Actor() actor: Principal): Principal {
    return actor; // no guard: @Actor() must refuse
  }
}

@Controller()
@UseFilters(RpcParleyFilter)
class MeHandler {
  @MessagePattern(whoamiSubject)
  @UseGuards(AuthGuard)
  whoami(
    @Actor() actor: Principal,
    @Payload() payload: { echo: string },
  ): { actor: Principal; echo: string } {
    return { actor, echo: payload.echo };
  }
}

const JWKS_URL = Symbol('jwks-url');

let key1: SigningKey;
let key2: SigningKey;
let published: SigningKey[];
let jwksHits = 0;
let jwksServer: Server;
let jwksUrl: string;
let app: INestApplication;
let base: string;
let client: ClientProxy;

@Module({ providers: [{ provide: JWKS_URL, useFactory: () => jwksUrl }], exports: [JWKS_URL] })
class JwksLocationModule {}

@Module({
  imports: [
    AuthModule.forRootAsync({
      imports: [JwksLocationModule],
      inject: [JWKS_URL],
      useFactory: (url: string) => ({ issuer, audience, jwks: httpJwksSource(url), refreshCooldownMs: 0 }),
    }),
  ],
  controllers: [MeController, MeHandler],
})
class AppModule {}

beforeAll(async () => {
  [key1, key2] = await Promise.all([signingKey(), signingKey()]);
  published = [key1];
  jwksServer = createServer((_req, res) => {
    jwksHits += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(keySet(...published)));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;

  app = await NestFactory.create(AppModule, { logger: false });
  app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.NATS,
    options: { servers: [natsUrl()] },
  });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
  client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [natsUrl()] } });
  await client.connect();
});

afterAll(async () => {
  await client?.close();
  await app?.close();
  jwksServer?.closeAllConnections();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

beforeEach(() => {
  lines.length = 0;
});

function expected(who: ReturnType<typeof identity>): Principal {
  return { userId: who.userId, tenantId: who.tenantId, sessionId: who.sessionId, kind: 'person' };
}

describe('AuthGuard in an HTTP app', () => {
  it('lets a valid bearer token through and hands the principal to @Actor()', async () => {
    const who = identity();
    const response = await fetch(`${base}/me`, {
      headers: { authorization: `Bearer ${await accessToken(key1, who)}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ actor: expected(who), context: undefined });
    expect(jwksHits).toBe(1);
  });

  it.each([
    ['missing', {}],
    ['malformed', { authorization: 'Basic dXNlcjpwYXNz' }],
  ])('answers 401 (%s)', async (reason, headers) => {
    const response = await fetch(`${base}/me`, { headers });
    expect(response.status).toBe(401);
    expect(((await response.json()) as ErrorEnvelope).details).toEqual({ reason });
  });

  it('answers 401 for an expired token and logs a security event', async () => {
    const token = await accessToken(key1, identity(), { exp: Math.floor(Date.now() / 1000) - 60 });
    const response = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      code: 'unauthenticated',
      message: 'The access token has expired',
      details: { reason: 'expired' },
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        securityEvent: true,
        reason: 'expired',
        transport: 'http',
        target: 'GET /me',
      }),
    );
  });

  it('picks up a rotated key from the JWKS endpoint on an unknown kid', async () => {
    published = [key1, key2];
    const before = jwksHits;
    const who = identity();
    const response = await fetch(`${base}/me`, {
      headers: { authorization: `Bearer ${await accessToken(key2, who)}` },
    });
    expect(response.status).toBe(200);
    expect(jwksHits).toBe(before + 1);
  });

  it('refuses @Actor() on a route without AuthGuard', async () => {
    const response = await fetch(`${base}/me/open`);
    expect(response.status).toBe(401);
  });

  it('provides one TokenVerifier to the application', () => {
    expect(app.get(TokenVerifier)).toBeInstanceOf(TokenVerifier);
  });
});

describe('AuthGuard on a NATS microservice', () => {
  function send(headerValues: Record<string, string>): Promise<unknown> {
    const carried = natsHeaders();
    for (const [name, value] of Object.entries(headerValues)) {
      carried.set(name, value);
    }
    const record = new NatsRecordBuilder({ echo: 'hi' }).setHeaders(carried).build();
    return firstValueFrom(client.send(whoamiSubject, record));
  }

  async function refusal(promise: Promise<unknown>): Promise<unknown> {
    try {
      await promise;
    } catch (error) {
      return error;
    }
    throw new Error('expected a refusal');
  }

  it('verifies the Authorization header of the message', async () => {
    const who = identity();
    const reply = await send({
      [headerNames.authorization]: `Bearer ${await accessToken(key1, who)}`,
      [headerNames.tenantId]: who.tenantId,
    });
    expect(reply).toEqual({ actor: expected(who), echo: 'hi' });
  });

  it('refuses a message without a token', async () => {
    expect(await refusal(send({}))).toEqual({
      code: 'unauthenticated',
      message: 'An access token is required',
      details: { reason: 'missing' },
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        securityEvent: true,
        reason: 'missing',
        transport: 'rpc',
        target: whoamiSubject,
      }),
    );
  });

  it('refuses a message whose tenant header contradicts the token', async () => {
    const error = await refusal(
      send({
        [headerNames.authorization]: `Bearer ${await accessToken(key1, identity())}`,
        [headerNames.tenantId]: identity().tenantId,
      }),
    );
    expect(error).toMatchObject({ code: 'forbidden', details: { reason: 'tenant_mismatch' } });
  });
});
