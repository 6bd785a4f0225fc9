import { unnamedKeys } from './contract.interceptor.js';

describe('unnamedKeys', () => {
  it('names the keys the parsed value lost, at any depth, by path', () => {
    const given = {
      items: [
        { id: 'a', secret: 's' },
        { id: 'b', nested: { kept: 1, internal: 2 } },
      ],
      nextCursor: null,
      row: { tenant_id: 't' },
    };
    const parsed = { items: [{ id: 'a' }, { id: 'b', nested: { kept: 1 } }], nextCursor: null, row: {} };
    expect(unnamedKeys(given, parsed)).toEqual([
      'items.0.secret',
      'items.1.nested.internal',
      'row.tenant_id',
    ]);
  });

  it('finds nothing when every key survived, defaults added or not', () => {
    expect(unnamedKeys({ a: 1, b: [1, 2] }, { a: 1, b: [1, 2], c: 'default' })).toEqual([]);
    expect(unnamedKeys([{ a: 1 }], [{ a: 1 }])).toEqual([]);
    expect(unnamedKeys('text', 'text')).toEqual([]);
    expect(unnamedKeys(null, null)).toEqual([]);
  });

  it('ignores keys whose value is undefined: JSON leaves them out anyway', () => {
    expect(unnamedKeys({ a: 1, gone: undefined }, { a: 1 })).toEqual([]);
  });

  it('reads objects without a prototype, and leaves instances of classes alone', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: 2 });
    expect(unnamedKeys(bare, { a: 1 })).toEqual(['b']);
    const when = new Date(0);
    expect(unnamedKeys({ when }, { when })).toEqual([]);
    expect(unnamedKeys(new Map([['a', 1]]), {})).toEqual([]);
  });

  it('compares arrays element by element, and stops where the shapes part', () => {
    expect(unnamedKeys([{ a: 1, b: 2 }, { a: 3 }], [{ a: 1 }])).toEqual(['0.b']);
    expect(unnamedKeys({ list: [1] }, { list: 'not an array' })).toEqual([]);
  });
});
