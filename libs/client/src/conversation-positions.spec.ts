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
});
