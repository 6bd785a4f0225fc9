import { resumeSequence } from './event.consumer.js';

describe('resumeSequence', () => {
  const none = new Set<number>();

  it('knows nothing before anything was handled or read', () => {
    expect(
      resumeSequence({ inHand: undefined, lastHandled: undefined, handedBack: none, ackFloor: undefined }),
    ).toBe(undefined);
  });

  it('starts one past the acknowledged floor, which covers the other instances of the consumer', () => {
    expect(resumeSequence({ inHand: undefined, lastHandled: 40, handedBack: none, ackFloor: 12 })).toBe(13);
    expect(resumeSequence({ inHand: undefined, lastHandled: undefined, handedBack: none, ackFloor: 0 })).toBe(
      1,
    );
  });

  it('starts at the message in hand, or one past the last handled, when the floor is higher or unknown', () => {
    expect(resumeSequence({ inHand: 7, lastHandled: 6, handedBack: none, ackFloor: 9 })).toBe(7);
    expect(resumeSequence({ inHand: undefined, lastHandled: 6, handedBack: none, ackFloor: undefined })).toBe(
      7,
    );
  });

  it('never skips a message handed back for a retry, even when the floor was never read', () => {
    expect(
      resumeSequence({
        inHand: undefined,
        lastHandled: 20,
        handedBack: new Set([15, 18]),
        ackFloor: undefined,
      }),
    ).toBe(15);
    expect(resumeSequence({ inHand: 21, lastHandled: 20, handedBack: new Set([18]), ackFloor: 16 })).toBe(17);
  });

  it('leaves out messages handed back that the floor has passed (another instance took them)', () => {
    expect(
      resumeSequence({ inHand: undefined, lastHandled: 30, handedBack: new Set([4, 9, 25]), ackFloor: 10 }),
    ).toBe(11);
    const many = new Set(Array.from({ length: 200_000 }, (_, index) => index + 50));
    expect(resumeSequence({ inHand: undefined, lastHandled: 300_000, handedBack: many, ackFloor: 40 })).toBe(
      41,
    );
  });
});
