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

  const text = (revision: number, messageId = 'm') => ({ kind: 'text', messageId, revision }) as const;
  const reaction = (revision: number, userId = 'u', emoji = '👍', messageId = 'm') =>
    ({ kind: 'reaction', messageId, userId, emoji, revision }) as const;

  it('tracks the revision up to which every change was seen, over changes out of order', () => {
    const positions = new ConversationPositions();
    positions.place('c', 4);
    // Not known yet: every change counts once, and the standpoint is the sequence number alone.
    expect(positions.acceptChange('c', reaction(9))).toBe(true);
    expect(positions.acceptChange('c', reaction(9))).toBe(false);
    expect(positions.hasRevisionGap('c')).toBe(false);
    expect(positions.snapshot()).toEqual({ c: 4 });
    positions.place('c', { sequence: 6, revision: 10 });
    expect(positions.acceptChange('c', text(10))).toBe(false);
    expect(positions.acceptChange('c', reaction(13, 'a'))).toBe(true);
    expect(positions.acceptChange('c', reaction(12, 'b'))).toBe(true);
    expect(positions.acceptChange('c', reaction(13, 'a'))).toBe(false);
    expect(positions.revision('c')).toBe(10);
    expect(positions.hasRevisionGap('c')).toBe(true);
    expect(positions.acceptChange('c', reaction(11, 'c'))).toBe(true);
    expect(positions.revision('c')).toBe(13);
    expect(positions.hasRevisionGap('c')).toBe(false);
    positions.setRevision('c', 8);
    expect(positions.snapshot()).toEqual({ c: { sequence: 6, revision: 13 } });
    // A catch-up up to 15 covers what was seen ahead of it, and what follows joins without a gap.
    expect(positions.acceptChange('c', text(17, 'x'))).toBe(true);
    expect(positions.acceptChange('c', text(15, 'y'))).toBe(true);
    positions.setRevision('c', 16);
    expect(positions.revision('c')).toBe(17);
    positions.forget('c');
    expect(positions.revision('c')).toBeUndefined();
  });

  it('drops a change the client’s copy is newer than, and counts its revision as seen', () => {
    const positions = new ConversationPositions();
    positions.place('c', { sequence: 6, revision: 10 });
    positions.noteState('c', 'a', 14, true);
    positions.noteState('c', 'b', 9, true);
    // Inside the message given as it is at 14.
    expect(positions.acceptChange('c', reaction(12, 'u', '👍', 'a'))).toBe(false);
    expect(positions.acceptChange('c', text(13, 'a'))).toBe(false);
    // An older edit after a newer one; a deletion after both.
    expect(positions.acceptChange('c', text(16, 'b'))).toBe(true);
    expect(positions.acceptChange('c', text(15, 'b'))).toBe(false);
    // Reactions of different users commute; one user's take-back before their reaction does not.
    expect(positions.acceptChange('c', reaction(19, 'u', '🎉', 'b'))).toBe(true);
    expect(positions.acceptChange('c', reaction(18, 'v', '🎉', 'b'))).toBe(true);
    expect(positions.acceptChange('c', reaction(17, 'u', '🎉', 'b'))).toBe(false);
    expect(positions.acceptChange('c', reaction(11, 'w', '👀', 'b'))).toBe(true);
    // 14 came only inside the message given as it is at 14: until it comes as a change, a gap.
    expect(positions.revision('c')).toBe(13);
    expect(positions.hasRevisionGap('c')).toBe(true);
    expect(positions.acceptChange('c', text(14, 'a'))).toBe(false);
    expect(positions.revision('c')).toBe(19);
    // Past `through`, what was remembered is forgotten: later changes count.
    expect(positions.acceptChange('c', text(20, 'a'))).toBe(true);
    expect(positions.acceptChange('c', reaction(21, 'u', '🎉', 'b'))).toBe(true);
    // An edit, given without reactions, does not hide a reaction.
    positions.noteState('c', 'd', 30, false);
    expect(positions.acceptChange('c', reaction(29, 'u', '👍', 'd'))).toBe(true);
    expect(positions.acceptChange('c', text(28, 'd'))).toBe(false);
  });
});
