import { ConversationPositions } from './conversation-positions.js';

describe('ConversationPositions', () => {
  it('accepts the next message, drops repeats and reports gaps', () => {
    const positions = new ConversationPositions();
    expect(positions.accept('c', 5)).toBe('next');
    expect(positions.accept('c', 6)).toBe('next');
    expect(positions.accept('c', 6)).toBe('repeat');
    expect(positions.accept('c', 3)).toBe('repeat');
    expect(positions.accept('c', 9)).toBe('gap');
    expect(positions.get('c')).toBe(6);
  });

  it('moves only forward, forgets, and lists what it follows', () => {
    const positions = new ConversationPositions();
    positions.set('a', 3);
    positions.set('a', 1);
    positions.set('b', 0);
    expect(positions.snapshot()).toEqual({ a: 3, b: 0 });
    expect(positions.has('b')).toBe(true);
    positions.forget('b');
    expect(positions.has('b')).toBe(false);
    expect(positions.get('b')).toBeUndefined();
  });

  it('tracks the revision up to which every change was seen, over changes out of order', () => {
    const positions = new ConversationPositions();
    positions.place('c', 4);
    expect(positions.acceptChange('c', 9)).toBe(true);
    expect(positions.acceptChange('c', 9)).toBe(true);
    expect(positions.snapshot()).toEqual({ c: 4 });
    positions.place('c', { sequence: 6, revision: 10 });
    expect(positions.acceptChange('c', 10)).toBe(false);
    expect(positions.acceptChange('c', 13)).toBe(true);
    expect(positions.acceptChange('c', 12)).toBe(true);
    expect(positions.acceptChange('c', 13)).toBe(false);
    expect(positions.revision('c')).toBe(10);
    expect(positions.acceptChange('c', 11)).toBe(true);
    expect(positions.revision('c')).toBe(13);
    positions.setRevision('c', 8);
    expect(positions.snapshot()).toEqual({ c: { sequence: 6, revision: 13 } });
    // A catch-up up to 15 covers what was seen ahead of it, and what follows joins without a gap.
    expect(positions.acceptChange('c', 17)).toBe(true);
    expect(positions.acceptChange('c', 15)).toBe(true);
    positions.setRevision('c', 16);
    expect(positions.revision('c')).toBe(17);
    positions.forget('c');
    expect(positions.revision('c')).toBeUndefined();
  });
});
