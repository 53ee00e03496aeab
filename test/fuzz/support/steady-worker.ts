/**
 * A well-behaved client on the side of the fuzzing, in a worker thread of its own so that
 * the fuzzer's work in the main thread cannot delay its timings: two accounts, one socket
 * each (the SDK's `ChatSocket`, libs/client), take turns sending one `send_msg` to each other
 * every `intervalMs`. For every send it records the time to the ack (the sender's reply) and
 * to the delivery (the `send_msg` push at the other socket, matched by content). On `stop`
 * it waits for what is still due and posts its samples: `{ at, code, ackMs, deliveryMs }`,
 * times in ms, `null` when missing. Started by `steady-client.ts`.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { ChatError, ChatSocket } from '@chat/client';
import WebSocket from 'ws';

interface Sample {
  at: number;
  t0: number;
  /** The socket the message goes to. */
  to: number;
  code: number | null;
  ackMs: number | null;
  deliveryMs: number | null;
}

const { url, tokens, relation, intervalMs, tag } = workerData as {
  url: string;
  tokens: [string, string];
  relation: number;
  intervalMs: number;
  tag: string;
};
const port = parentPort!;
const samples: Sample[] = [];
const byContent = new Map<string, Sample>();
const events: string[] = [];

/** One authenticated socket; its connection's errors and close go into `events`. */
async function open(token: string, i: number): Promise<ChatSocket> {
  class LoggedWebSocket extends WebSocket {
    constructor(address: string) {
      super(address);
      this.on('error', (err) => events.push(`socket ${i} error ${err.message}`));
      this.on('close', (code) => events.push(`socket ${i} closed ${code}`));
    }
  }
  const chat = new ChatSocket({
    url,
    token,
    WebSocket: LoggedWebSocket,
    reconnect: false,
    requestTimeoutMs: 60_000,
  });
  chat.on('send_msg', ({ msg_info }) => {
    const now = performance.now();
    const sample = byContent.get(msg_info.msg_content);
    if (sample && sample.to === i && sample.deliveryMs === null)
      sample.deliveryMs = now - sample.t0;
  });
  await chat.connect();
  return chat;
}

async function main(): Promise<void> {
  const sockets = await Promise.all(tokens.map(open));
  let n = 0;
  const timer = setInterval(() => {
    const from = n % 2;
    const content = `${tag} ${n++}`;
    const sample: Sample = {
      at: Date.now(),
      t0: performance.now(),
      to: 1 - from,
      code: null,
      ackMs: null,
      deliveryMs: null,
    };
    samples.push(sample);
    byContent.set(content, sample);
    const replied = (code: number) => {
      sample.code = code;
      sample.ackMs = performance.now() - sample.t0;
    };
    sockets[from]!.request('send_msg', {
      relation_id: relation,
      msg_content: content,
      client_msg_id: content,
    }).then(
      () => replied(0),
      (err: unknown) => {
        // An error code is a reply; no reply (closed, timed out) stays missing.
        if (err instanceof ChatError && err.reason === 'reply') replied(err.code);
      },
    );
  }, intervalMs);
  port.postMessage({ type: 'started' });

  port.once('message', async () => {
    clearInterval(timer);
    const deadline = Date.now() + 20_000;
    while (
      Date.now() < deadline &&
      samples.some((s) => s.ackMs === null || (s.code === 0 && s.deliveryMs === null))
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const socket of sockets) socket.close();
    port.postMessage({
      type: 'done',
      events,
      samples: samples.map((s) => ({
        at: s.at,
        code: s.code,
        ackMs: s.ackMs,
        deliveryMs: s.deliveryMs,
      })),
    });
  });
}

main().catch((err: unknown) =>
  port.postMessage({ type: 'failed', message: String(err instanceof Error ? err.stack : err) }),
);
