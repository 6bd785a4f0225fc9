import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import { defineRequest, ParleyError } from '@parley/contracts';
import { z } from 'zod';
import {
  AuthenticatedOnly,
  Public,
  REQUIREMENT,
  RequirePermissions,
  requirementOf,
  resourceField,
  resourceFrom,
  type RequirementOptions,
} from './requirement.js';

const context = {} as ExecutionContext;
const conversationId = '0193a5e0-0000-7000-8000-0000000000d1';

function thrown(fn: () => unknown): ParleyError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ParleyError) {
      return error;
    }
    throw error;
  }
  throw new Error('Expected a throw');
}

describe('@RequirePermissions', () => {
  it('records all listed permissions (AND) on the handler', () => {
    class Handler {
      @RequirePermissions('conversation:message:send', 'conversation:message:send-restricted')
      send() {
        return undefined;
      }
    }
    expect(requirementOf(Handler.prototype.send, Handler)).toEqual({
      kind: 'permissions',
      permissions: ['conversation:message:send', 'conversation:message:send-restricted'],
      match: 'all',
    });
  });

  it('records anyOf as one of several, with a resource resolver', () => {
    const resource = resourceField('conversation', 'conversationId');
    class Handler {
      @RequirePermissions({
        anyOf: ['conversation:message:delete-any', 'conversation:message:moderate'],
        resource,
      })
      remove() {
        return undefined;
      }
    }
    expect(requirementOf(Handler.prototype.remove, Handler)).toEqual({
      kind: 'permissions',
      permissions: ['conversation:message:delete-any', 'conversation:message:moderate'],
      match: 'any',
      resource,
    });
  });

  it('lets a method declaration win over its class and the class cover the others', () => {
    @AuthenticatedOnly()
    class Handler {
      @Public()
      open() {
        return undefined;
      }
      other() {
        return undefined;
      }
    }
    expect(requirementOf(Handler.prototype.open, Handler)).toEqual({ kind: 'public' });
    expect(requirementOf(Handler.prototype.other, Handler)).toEqual({ kind: 'authenticated' });
    class Bare {
      none() {
        return undefined;
      }
    }
    expect(requirementOf(Bare.prototype.none, Bare)).toBeUndefined();
  });

  it.each([
    ['two segments', ['conversation:message'], /"conversation:message" is not a permission/],
    ['four segments', ['course:practice-exam:common:read'], /is not a permission/],
    ['upper case', ['Conversation:message:send'], /is not a permission/],
    ['underscore', ['conversation:message_send:x'], /is not a permission/],
    ['wildcard', ['conversation:message:*'], /is not a permission/],
    ['no permission', [], /needs at least one permission/],
    ['a duplicate', ['a:b:c', 'a:b:c'], /lists "a:b:c" twice/],
    ['empty anyOf', [{ anyOf: [] }], /anyOf \}\) needs at least one permission/],
    ['anyOf with a bad one', [{ anyOf: ['Bad:one:x'] }], /"Bad:one:x" is not a permission/],
    ['anyOf beside listed ones', ['a:b:c', { anyOf: ['d:e:f'] }], /either listed permissions/],
    ['two option objects', ['a:b:c', {}, {}], /at most one options object/],
    [
      'an unknown option',
      ['a:b:c', { resources: () => undefined }],
      /does not know the option\(s\) resources/,
    ],
    ['a resource that is no function', ['a:b:c', { resource: 'conversationId' }], /must be a function/],
    ['anyOf that is no list', [{ anyOf: 'a:b:c' }], /must be a list/],
    ['a permission that is no string', [42], /"42" is not a permission/],
  ])('throws at decoration time on %s', (_case, args, message) => {
    const error = thrown(() =>
      RequirePermissions(...(args as Array<string | RequirementOptions | { anyOf: string[] }>)),
    );
    expect(error.code).toBe('internal');
    expect(error.message).toMatch(message);
  });

  it('throws when the class is defined with a malformed permission', () => {
    expect(() => {
      class Broken {
        @RequirePermissions('conversation:message')
        send() {
          return undefined;
        }
      }
      return Broken;
    }).toThrow(/not a permission/);
  });

  it('refuses a second declaration on one method or one class', () => {
    expect(() => {
      class Twice {
        @Public()
        @RequirePermissions('a:b:c')
        both() {
          return undefined;
        }
      }
      return Twice;
    }).toThrow(/both declares more than one requirement/);
    expect(() => {
      @Public()
      @AuthenticatedOnly()
      class Twice {}
      return Twice;
    }).toThrow(/Twice declares more than one requirement/);
  });

  it('refuses to decorate a property', () => {
    const decorate = RequirePermissions('a:b:c') as unknown as (
      target: object,
      key: string,
      descriptor: PropertyDescriptor,
    ) => void;
    expect(() => decorate({}, 'field', { value: 42 })).toThrow(/on a method or a class/);
  });

  it('stores the metadata under the documented key', () => {
    class Handler {
      @AuthenticatedOnly()
      me() {
        return undefined;
      }
    }
    expect(Reflect.getMetadata(REQUIREMENT, Handler.prototype.me)).toEqual({ kind: 'authenticated' });
  });
});

describe('resource resolvers', () => {
  it('resourceField reads one string field', () => {
    const resolve = resourceField('conversation', 'conversationId');
    expect(resolve({ conversationId }, context)).toEqual({ type: 'conversation', id: conversationId });
    expect(resolve({ conversationId: 42 }, context)).toBeUndefined();
    expect(resolve({}, context)).toBeUndefined();
  });

  const send = defineRequest({
    service: 'conversation',
    entity: 'message',
    verb: 'send',
    summary: 'Send a message',
    authentication: 'actor',
    request: z.object({ conversationId: z.uuid(), text: z.string().trim().min(1) }),
    response: z.object({}),
  });

  it('resourceFrom(contract) reads the payload parsed by the request contract', () => {
    const seen: unknown[] = [];
    const resolve = resourceFrom(send, (request) => {
      seen.push(request);
      return { type: 'conversation', id: request.conversationId };
    });
    expect(resolve({ conversationId, text: '  hi  ', extra: true }, context)).toEqual({
      type: 'conversation',
      id: conversationId,
    });
    // The value the handler receives: trimmed, unknown keys gone.
    expect(seen).toEqual([{ conversationId, text: 'hi' }]);
  });

  it('resourceFrom refuses a payload that fails the contract, as the contract check would', () => {
    const resolve = resourceFrom(send, (request) => ({ type: 'conversation', id: request.conversationId }));
    const error = thrown(() => resolve({ conversationId: 'nope', text: 'hi' }, context));
    expect(error.code).toBe('validation_failed');
    expect(error.details?.['issues']).toEqual([expect.objectContaining({ path: 'conversationId' })]);
  });

  it('resourceFrom(schema) works with any schema', () => {
    const resolve = resourceFrom(z.object({ fileId: z.uuid() }), (input) => ({
      type: 'file',
      id: input.fileId,
    }));
    expect(resolve({ fileId: conversationId }, context)).toEqual({ type: 'file', id: conversationId });
    expect(thrown(() => resolve({}, context)).code).toBe('validation_failed');
  });
});
