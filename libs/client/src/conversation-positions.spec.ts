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
    expect(positions.acceptChange('c', 'm', 9)).toBe(true);
    expect(positions.acceptChange('c', 'm', 9)).toBe(true);
    expect(positions.snapshot()).toEqual({ c: 4 });
    positions.place('c', { sequence: 6, revision: 10 });
    expect(positions.acceptChange('c', 'm', 10)).toBe(false);
    expect(positions.acceptChange('c', 'm', 13)).toBe(true);
    expect(positions.acceptChange('c', 'm', 12)).toBe(true);
    expect(positions.acceptChange('c', 'm', 13)).toBe(false);
    expect(positions.revision('c')).toBe(10);
    expect(positions.hasRevisionGap('c')).toBe(true);
    expect(positions.acceptChange('c', 'm', 11)).toBe(true);
    expect(positions.revision('c')).toBe(13);
    expect(positions.hasRevisionGap('c')).toBe(false);
    positions.setRevision('c', 8);
    expect(positions.snapshot()).toEqual({ c: { sequence: 6, revision: 13 } });
    // A catch-up up to 15 covers what was seen ahead of it, and what follows joins without a gap.
    expect(positions.acceptChange('c', 'm', 17)).toBe(true);
    expect(positions.acceptChange('c', 'm', 15)).toBe(true);
    positions.setRevision('c', 16);
    expect(positions.revision('c')).toBe(17);
    positions.forget('c');
    expect(positions.revision('c')).toBeUndefined();
  });

  it('drops a change already in a message sent as it is after it, and counts its revision as seen', () => {
    const positions = new ConversationPositions();
    positions.place('c', { sequence: 6, revision: 10 });
    positions.noteState('c', 'a', 12);
    positions.noteState('c', 'b', 9);
    positions.noteState('other', 'a', 99);
    expect(positions.acceptChange('c', 'a', 12)).toBe(false);
    expect(positions.acceptChange('c', 'b', 11)).toBe(true);
    expect(positions.revision('c')).toBe(12);
    // Past `through`, the state is forgotten: later changes to the message count.
    expect(positions.acceptChange('c', 'a', 13)).toBe(true);
    expect(positions.acceptChange('c', 'a', 12)).toBe(false);
  });
});
