/**
 * Preloaded into the measured process (`NODE_OPTIONS=--expose-gc --require <this file>`,
 * see idle-sockets.ts): on SIGUSR2 it collects garbage, optionally writes a heap snapshot,
 * and writes its memory figures as JSON to `$CHAT_MEMORY_PROBE`. The app itself is not
 * changed for a measurement. The request is read from `$CHAT_MEMORY_PROBE.cmd`:
 * `{ "seq": n, "snapshot"?: "<file>.heapsnapshot" }`; the answer carries the same `seq`.
 */
'use strict';
const fs = require('node:fs');
const v8 = require('node:v8');

const out = process.env.CHAT_MEMORY_PROBE;
if (out) {
  process.on('SIGUSR2', () => {
    let cmd = { seq: 0 };
    try {
      cmd = JSON.parse(fs.readFileSync(`${out}.cmd`, 'utf8'));
    } catch {
      // No request file: answer with seq 0.
    }
    // Twice: the first full GC may leave objects only the second can free (weak refs).
    const gc = globalThis.gc;
    if (typeof gc === 'function') {
      gc();
      gc();
    }
    if (cmd.snapshot) v8.writeHeapSnapshot(cmd.snapshot);
    const heap = v8.getHeapStatistics();
    fs.writeFileSync(
      out,
      JSON.stringify({
        seq: cmd.seq,
        memory: process.memoryUsage(),
        heapUsed: heap.used_heap_size,
        heapTotal: heap.total_heap_size,
        malloced: heap.malloced_memory,
        globalHandles: heap.used_global_handles_size,
        handles: process.getActiveResourcesInfo().length,
      }),
    );
  });
}
