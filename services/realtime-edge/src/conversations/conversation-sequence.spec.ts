import { ConversationSequence, type Ordered } from './conversation-sequence.js';

interface Event extends Ordered {
  readonly name: string;
}

const message = (sequence: number): Event => ({ name: `m${sequence}`, order: { sequence, creates: true } });
const about = (sequence: number, name: string): Event => ({ name, order: { sequence, creates: false } });
const loose = (name: string): Event => ({ name });
const names = (events: readonly Event[]) => events.map((event) => event.name);

describe('ConversationSequence', () => {
  it('holds ordered events until it knows where the conversation stands', () => {
    const sequence = new ConversationSequence<Event>();
    expect(sequence.lastSequence).toBeUndefined();
    expect(sequence.offer(message(6))).toEqual([]);
    expect(sequence.offer(message(4))).toEqual([]);
    expect(names(sequence.offer(loose('typing')))).toEqual(['typing']);
    expect(sequence.missing()).toBeUndefined();
    // At 4 already: 4 is a repeat, 6 waits for 5.
    expect(sequence.start(4)).toEqual([]);
    expect(sequence.waiting).toBe(1);
    expect(sequence.missing()).toBe(5);
    expect(names(sequence.offer(message(5)))).toEqual(['m5', 'm6']);
    expect(sequence.lastSequence).toBe(6);
  });

  it('puts messages back in order, drops repeats, and releases what follows a message after it', () => {
    const sequence = new ConversationSequence<Event>();
    sequence.start(0);
    expect(names(sequence.offer(message(1)))).toEqual(['m1']);
    expect(sequence.offer(message(1))).toEqual([]);
    expect(sequence.offer(about(3, 'edit3'))).toEqual([]);
    expect(sequence.offer(message(3))).toEqual([]);
    expect(sequence.offer(about(2, 'reaction2'))).toEqual([]);
    expect(sequence.offer(message(3))).toEqual([]);
    expect(sequence.nextWaiting()).toBe(3);
    expect(names(sequence.offer(message(2)))).toEqual(['m2', 'reaction2', 'm3', 'edit3']);
    expect(names(sequence.offer(about(1, 'late-edit1')))).toEqual(['late-edit1']);
    expect(sequence.waiting).toBe(0);
    expect(sequence.nextWaiting()).toBeUndefined();
  });

  it('skips a gap that cannot be filled', () => {
    const sequence = new ConversationSequence<Event>();
    sequence.start(10);
    sequence.offer(message(14));
    sequence.offer(about(14, 'receipt14'));
    expect(sequence.missing()).toBe(11);
    expect(names(sequence.advanceTo(13))).toEqual(['m14', 'receipt14']);
    expect(sequence.lastSequence).toBe(14);
    expect(sequence.advanceTo(12)).toEqual([]);
    expect(sequence.lastSequence).toBe(14);
    // Starting again never moves backwards.
    expect(sequence.start(3)).toEqual([]);
    expect(sequence.lastSequence).toBe(14);
  });

  it('starts from an advance when nothing set it', () => {
    const sequence = new ConversationSequence<Event>();
    sequence.offer(message(8));
    expect(names(sequence.advanceTo(7))).toEqual(['m8']);
  });
});
