import { clip, preview } from './text.js';

describe('notification text', () => {
  it('clips long text with an ellipsis, counting characters not bytes', () => {
    expect(clip('short', 10)).toBe('short');
    expect(clip('abcdefghij', 5)).toBe('abcd…');
    expect(clip('🎉🎉🎉🎉', 3)).toBe('🎉🎉…');
  });

  it('quotes a message on one line, or says what it was', () => {
    expect(preview('  Hello\n\n  world  ', 'fallback')).toBe('Hello world');
    expect(preview('', 'Sent an attachment')).toBe('Sent an attachment');
    expect(preview(null, 'Sent an attachment')).toBe('Sent an attachment');
    expect(preview('x'.repeat(200), '')).toHaveLength(140);
  });
});
