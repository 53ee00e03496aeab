/**
 * A well-behaved client on the side of the fuzzing, in a worker thread of its own so that
 * the fuzzer's work in the main thread cannot delay its timings: two accounts, one socket
 * each, take turns sending one `send_msg` to each other every `intervalMs`. For every send
 * it records the time to the ack (the sender's reply) and to the delivery (the `send_msg`
 * push at the other socket, matched by content). On `stop` it waits for what is still due
 * and posts its samples: `{ at, code, ackMs, deliveryMs }`, times in ms, `null` when missing.
 */
'use strict';
/* global URL, performance, setInterval, clearInterval, setTimeout */
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require('ws');

const { url, tokens, relation, intervalMs, tag } = workerData;
const samples = [];
const byContent = new Map();
const events = [];
let nextId = 1;

function connect(token) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    u.searchParams.set('token', token);
    const ws = new WebSocket(u);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function main() {
  const sockets = await Promise.all(tokens.map(connect));
  const pending = sockets.map(() => new Map());
  sockets.forEach((ws, i) => {
    ws.on('error', (err) => events.push(`socket ${i} error ${err.message}`));
    ws.on('close', (code) => events.push(`socket ${i} closed ${code}`));
    ws.on('message', (raw) => {
      const now = performance.now();
      const frame = JSON.parse(raw.toString());
      if (typeof frame.id === 'number') {
        const sample = pending[i].get(frame.id);
        if (!sample) return;
        pending[i].delete(frame.id);
        sample.code = frame.status_code;
        sample.ackMs = now - sample.t0;
      } else if (frame.event === 'send_msg') {
        const sample = byContent.get(frame.data?.msg_info?.msg_content);
        if (sample && sample.to === i && sample.deliveryMs === null) {
          sample.deliveryMs = now - sample.t0;
        }
      }
    });
  });
  // Ready: the sockets are authenticated when a ping is answered after the upgrade.
  let n = 0;
  const timer = setInterval(() => {
    const from = n % 2;
    const content = `${tag} ${n++}`;
    const id = nextId++;
    const sample = {
      at: Date.now(),
      t0: performance.now(),
      to: 1 - from,
      code: null,
      ackMs: null,
      deliveryMs: null,
    };
    samples.push(sample);
    byContent.set(content, sample);
    pending[from].set(id, sample);
    const frame = {
      id,
      event: 'send_msg',
      data: { relation_id: relation, msg_content: content, client_msg_id: content },
    };
    sockets[from].send(JSON.stringify(frame));
  }, intervalMs);
  parentPort.postMessage({ type: 'started' });

  parentPort.once('message', async () => {
    clearInterval(timer);
    const deadline = Date.now() + 20_000;
    while (
      Date.now() < deadline &&
      samples.some((s) => s.ackMs === null || (s.code === 0 && s.deliveryMs === null))
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const ws of sockets) ws.close(1000);
    parentPort.postMessage({
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

main().catch((err) =>
  parentPort.postMessage({ type: 'failed', message: String(err && err.stack) }),
);
