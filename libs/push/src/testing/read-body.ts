import { type IncomingMessage } from 'node:http';

export async function readBody(req: AsyncIterable<Buffer> | IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Resolves with the first item of `list`, past or future, that matches; rejects after `timeoutMs`. */
export function waitForItem<T>(
  list: T[],
  predicate: (item: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const hit = list.find(predicate);
      if (hit !== undefined) return resolve(hit);
      if (Date.now() - started > timeoutMs) {
        return reject(
          new Error(`${what}: nothing matching within ${timeoutMs} ms (${list.length} seen)`),
        );
      }
      setTimeout(tick, 20);
    };
    tick();
  });
}
