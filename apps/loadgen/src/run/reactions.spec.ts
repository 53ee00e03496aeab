import { isReaction } from '@chat/protocol';
import { REACTION_EMOJI, REMOVE_SHARE, reactionFor } from './reactions';

describe('reactionFor', () => {
  const conversation = [3, 4, 9];
  const choices = (runId: string, ratio: number, sender = 4) =>
    Array.from({ length: 20_000 }, (_, seq) =>
      reactionFor(runId, ratio, conversation, sender, seq),
    );

  it('follows about the given share of messages with a reaction, none at 0', () => {
    const picked = choices('a1b2c3d4', 0.2).filter(Boolean);
    expect(picked.length / 20_000).toBeGreaterThan(0.19);
    expect(picked.length / 20_000).toBeLessThan(0.21);
    expect(choices('a1b2c3d4', 0).filter(Boolean)).toHaveLength(0);
    expect(choices('a1b2c3d4', 1).filter(Boolean)).toHaveLength(20_000);
  });

  it('gives every socket of the conversation the same answer, and another one in another run', () => {
    expect(choices('a1b2c3d4', 0.3)).toEqual(choices('a1b2c3d4', 0.3));
    expect(choices('0f0f0f0f', 0.3)).not.toEqual(choices('a1b2c3d4', 0.3));
  });

  it('lets the sender and the other members react, with emoji the server takes, some removed later', () => {
    const picked = choices('a1b2c3d4', 0.5).filter((c) => c !== undefined);
    const reactors = new Map<number, number>();
    for (const c of picked) reactors.set(c.reactor, (reactors.get(c.reactor) ?? 0) + 1);
    expect([...reactors.keys()].sort((a, b) => a - b)).toEqual(conversation);
    for (const n of reactors.values()) expect(n / picked.length).toBeGreaterThan(0.3);
    expect(new Set(picked.map((c) => c.emoji))).toEqual(new Set(REACTION_EMOJI));
    for (const emoji of REACTION_EMOJI) expect(isReaction(emoji)).toBe(true);
    const removed = picked.filter((c) => c.remove).length / picked.length;
    expect(Math.abs(removed - REMOVE_SHARE)).toBeLessThan(0.02);
  });
});
