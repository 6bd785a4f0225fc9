import { contractDrift } from './contract.interceptor.js';

const notNamed = (path: string) => ({ path, message: 'Not in the contract' });

describe('contractDrift', () => {
  it('names the keys the schema dropped, at any depth, by path', () => {
    const given = {
      items: [
        { id: 'a', secret: 's' },
        { id: 'b', nested: { kept: 1, internal: 2 } },
      ],
      nextCursor: null,
      row: { tenant_id: 't' },
    };
    const parsed = { items: [{ id: 'a' }, { id: 'b', nested: { kept: 1 } }], nextCursor: null, row: {} };
    expect(contractDrift(given, parsed)).toEqual([
      notNamed('items.0.secret'),
      notNamed('items.1.nested.internal'),
      notNamed('row.tenant_id'),
    ]);
  });

  it('names what the schema filled in or changed: the handler would send something else', () => {
    expect(contractDrift({ a: 1 }, { a: 1, revision: 0 })).toEqual([
      { path: 'revision', message: 'Filled in by the contract' },
    ]);
    expect(contractDrift({ ids: ['AB'] }, { ids: ['ab'] })).toEqual([
      { path: 'ids.0', message: 'Changed by the contract' },
    ]);
    expect(contractDrift('x', 'y')).toEqual([{ path: '', message: 'Changed by the contract' }]);
  });

  it('finds nothing when the schema kept the result as it is', () => {
    expect(contractDrift({ a: 1, b: [1, 2], c: null }, { a: 1, b: [1, 2], c: null })).toEqual([]);
    expect(contractDrift([{ a: 1 }], [{ a: 1 }])).toEqual([]);
    expect(contractDrift('text', 'text')).toEqual([]);
    expect(contractDrift(Number.NaN, Number.NaN)).toEqual([]);
    expect(contractDrift(new Date(5), new Date(5))).toEqual([]);
  });

  it('ignores keys whose value is undefined: JSON leaves them out anyway', () => {
    expect(contractDrift({ a: 1, gone: undefined }, { a: 1 })).toEqual([]);
    expect(contractDrift({ a: 1 }, { a: 1, optional: undefined })).toEqual([]);
  });

  it('reads the own keys of an object of any class: an entity returned as it is', () => {
    class Entity {
      id = 'u1';
      passwordHash = 'secret';
    }
    expect(contractDrift(new Entity(), { id: 'u1' })).toEqual([notNamed('passwordHash')]);
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: 2 });
    expect(contractDrift(bare, { a: 1, b: 2 })).toEqual([]);
  });

  it('compares arrays element by element', () => {
    expect(contractDrift([{ a: 1, b: 2 }, { a: 3 }], [{ a: 1 }, { a: 3 }])).toEqual([notNamed('0.b')]);
    expect(contractDrift({ list: [1] }, { list: 'one' })).toEqual([
      { path: 'list', message: 'Changed by the contract' },
    ]);
  });
});
