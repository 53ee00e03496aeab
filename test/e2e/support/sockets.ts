import type { Session } from './session';
import { TestSocket } from './socket';
import type { TargetStack } from './target';

/**
 * Opens a socket for each session on the stack's first gateway and puts it in `sockets` once
 * it has answered a `ping`, one after the other (the suite's `afterAll` closes those that
 * made it when a later one fails). Connected before what the suite does next, each receives
 * the pushes that causes.
 */
export async function connectEach(
  stack: TargetStack,
  sessions: Session[],
  sockets: Map<Session, TestSocket>,
): Promise<void> {
  for (const who of sessions) {
    const ws = await TestSocket.open(stack.gateways[0].wsUrl, who.accountToken);
    expect((await ws.request('ping')).status_code).toBe(0);
    sockets.set(who, ws);
  }
}

/** Closes every socket of `sockets`. */
export async function closeEach(sockets: Map<Session, TestSocket>): Promise<void> {
  await Promise.all([...sockets.values()].map((ws) => ws.close()));
}
