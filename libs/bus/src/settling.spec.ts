import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { isSettling, TopicNotReadyError, untilSettled } from './settling';

/** The broker's "This server does not host this topic-partition" (error code 3). */
const unknownTopic = () =>
  new KafkaJSProtocolError('This server does not host this topic-partition');

describe('untilSettled', () => {
  it('tells settling answers, also wrapped by kafkajs retries, from other errors', () => {
    const protocol = Object.assign(unknownTopic(), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(isSettling(protocol)).toBe(true);
    expect(
      isSettling(new KafkaJSNumberOfRetriesExceeded(protocol, { retryCount: 5, retryTime: 1 })),
    ).toBe(true);
    expect(isSettling(new TopicNotReadyError('t'))).toBe(true);
    expect(isSettling(Object.assign(new Error('x'), { type: 'TOPIC_AUTHORIZATION_FAILED' }))).toBe(
      false,
    );
    expect(isSettling(new Error('boom'))).toBe(false);
    expect(isSettling(undefined)).toBe(false);
  });

  it('retries while the broker is settling and returns the first success', async () => {
    let calls = 0;
    const result = await untilSettled(async () => {
      calls++;
      if (calls < 3) throw new TopicNotReadyError('chat.messages');
      return 'ready';
    });
    expect(result).toBe('ready');
    expect(calls).toBe(3);
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    const failure = await untilSettled(async () => {
      calls++;
      throw new Error('authorisation failed');
    }).catch((e: unknown) => e);
    expect((failure as Error).message).toBe('authorisation failed');
    expect(calls).toBe(1);
  });

  it('gives up with the last settling error after its patience', async () => {
    let calls = 0;
    const failure = await untilSettled(async () => {
      calls++;
      throw new TopicNotReadyError('chat.reads');
    }, 250).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TopicNotReadyError);
    expect(calls).toBeGreaterThan(1);
  });
});
