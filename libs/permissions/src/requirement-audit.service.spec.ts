import 'reflect-metadata';
import { Writable } from 'node:stream';
import { Controller, Delete, Get, Post } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import { Test, type TestingModule } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { defineCatalog } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import { PERMISSIONS_SETTINGS, permissionsSettings } from './permissions.options.js';
import { AuthenticatedOnly, Public, RequirePermissions } from './requirement.js';
import { auditRequirements, RequirementAudit } from './requirement-audit.service.js';

const lines: Array<Record<string, unknown>> = [];
configureLogging({
  service: 'permissions-unit',
  level: 'info',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  }),
});

const catalog = defineCatalog({
  service: 'file',
  domains: [{ domain: 'file', description: 'Files' }],
  permissions: [{ permission: 'file:file:read', description: 'Read', resourceTypes: ['file'] }],
});

@Controller('files')
class FilesController {
  @Get(':id')
  @RequirePermissions('file:file:read')
  read() {}

  @Delete(':id')
  @RequirePermissions('file:file:delete', 'conversation:message:read')
  remove() {}

  @Post()
  upload() {}

  helper() {}
}

@Controller()
@AuthenticatedOnly()
class FileHandlers {
  @MessagePattern('file.v1.file.get')
  get() {}

  @MessagePattern('file.v1.file.list')
  @Public()
  list() {}

  @Get()
  root() {}
}

@Controller()
class UndeclaredHandlers {
  @MessagePattern({ cmd: 'legacy' })
  legacy() {}
}

@WebSocketGateway()
class FilesGateway {
  @SubscribeMessage('file.watch')
  watch() {}

  @SubscribeMessage('file.ping')
  @Public()
  ping() {}
}

class PlainProvider {
  @SubscribeMessage('not.a.gateway')
  ignored() {}
}

describe('RequirementAudit', () => {
  let moduleRef: TestingModule;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [DiscoveryModule],
      controllers: [FilesController, FileHandlers, UndeclaredHandlers],
      providers: [
        FilesGateway,
        PlainProvider,
        { provide: 'factory', useFactory: () => ({}) },
        RequirementAudit,
        { provide: PERMISSIONS_SETTINGS, useValue: permissionsSettings({ catalog }) },
      ],
    }).compile();
  });
  afterAll(() => moduleRef.close());

  it('finds every HTTP route, NATS handler and gateway message', () => {
    const report = auditRequirements(moduleRef);
    expect(report.handlers).toEqual(
      expect.arrayContaining([
        { handler: 'FilesController.read', transport: 'http', route: 'GET /files/:id' },
        { handler: 'FilesController.remove', transport: 'http', route: 'DELETE /files/:id' },
        { handler: 'FilesController.upload', transport: 'http', route: 'POST /files' },
        { handler: 'FileHandlers.get', transport: 'rpc', route: 'file.v1.file.get' },
        { handler: 'FileHandlers.list', transport: 'rpc', route: 'file.v1.file.list' },
        { handler: 'FileHandlers.root', transport: 'http', route: 'GET /' },
        { handler: 'UndeclaredHandlers.legacy', transport: 'rpc', route: '{"cmd":"legacy"}' },
        { handler: 'FilesGateway.watch', transport: 'ws', route: 'file.watch' },
        { handler: 'FilesGateway.ping', transport: 'ws', route: 'file.ping' },
      ]),
    );
    expect(report.handlers).toHaveLength(9);
  });

  it('reports handlers without declaration, counting a controller’s declaration for its methods', () => {
    expect(
      auditRequirements(moduleRef)
        .undeclared.map((handler) => handler.handler)
        .sort(),
    ).toEqual(['FilesController.upload', 'FilesGateway.watch', 'UndeclaredHandlers.legacy']);
  });

  it('reports required permissions of the service’s own domains that its catalog does not declare', () => {
    expect(auditRequirements(moduleRef).outsideCatalog).toEqual([
      {
        handler: 'FilesController.remove',
        transport: 'http',
        route: 'DELETE /files/:id',
        permission: 'file:file:delete',
      },
    ]);
  });

  it('logs the report once at start-up', () => {
    const audit = moduleRef.get(RequirementAudit);
    lines.length = 0;
    audit.onApplicationBootstrap();
    audit.onApplicationBootstrap();
    expect(
      lines.filter((line) => String(line['msg']).startsWith('Handler declares no requirement')),
    ).toHaveLength(3);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'Handler requires a permission its service does not declare',
        permission: 'file:file:delete',
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'Handler requirements checked',
        handlers: 9,
        undeclared: 3,
        outsideCatalog: 1,
      }),
    );
  });
});
