import { PUSH_EVENTS } from '@chat/protocol';
import { waitFor, type WsPush } from '@chat/testing';
import { TestSocket } from './socket';
import type { TargetStack } from './target';

/**
 * After the expected pushes arrived, how long a check gives a wrongly routed or repeated
 * one to show up before judging that nothing else came (a settle, not a timed assertion).
 */
const SETTLE_MS = 300;

/** How long a check waits for the expected pushes (REST → outbox → notifier → gateway). */
const ARRIVAL_MS = 20_000;

/** A client device: one socket of an account, named the way the test's expectations name it. */
export interface Device {
  /** `alice1`, `alice2`: the name the expectations use. */
  name: string;
  /** An account token (docs/protocol.md §2.1). */
  token: string;
}

/** Frames as a check compares them: per event name, the `data` of each, in arrival order. */
type ByEvent = Record<string, unknown[]>;

function byEvent(frames: WsPush[]): ByEvent {
  const grouped: ByEvent = {};
  for (const frame of frames) (grouped[frame.event] ??= []).push(frame.data);
  return grouped;
}

/**
 * Sockets of several accounts, watched as clients see them, to check that a REST call's
 * pushes (docs/protocol.md §4) reach exactly the connections the spec names: every
 * connection of each receiver, on any gateway, and nothing anywhere else.
 */
export class PushWatch {
  private readonly devices: { name: string; token: string; ws: TestSocket }[] = [];
  private readonly marks = new Map<TestSocket, number>();

  private constructor(private readonly stack: TargetStack) {}

  /** Opens a socket for each device (see `add`). */
  static async open(stack: TargetStack, devices: Device[]): Promise<PushWatch> {
    if (stack.gateways.length === 0) throw new Error('PushWatch: the stack has no gateway');
    const watch = new PushWatch(stack);
    try {
      await watch.add(...devices);
    } catch (err) {
      await watch.close();
      throw err;
    }
    return watch;
  }

  /**
   * Opens one socket per device, authenticated with its token (the SDK's `auth`). The devices
   * of one token take the stack's gateways in turn, so that on the distributed target an
   * account's second device sits on another gateway than its first. Each socket waits for
   * the `account_login` its authentication pushes to the account's sockets opened before it
   * (docs/protocol.md §2.1), so that none of those arrives during a check. Marks afterwards.
   */
  async add(...devices: Device[]): Promise<void> {
    const logins = (ws: TestSocket) =>
      ws.pushes.filter((p) => p.event === PUSH_EVENTS.accountLogin).length;
    for (const device of devices) {
      if (this.devices.some((d) => d.name === device.name)) {
        throw new Error(`PushWatch: two devices named ${device.name}`);
      }
      const earlier = this.devices.filter((d) => d.token === device.token);
      const gateway = this.stack.gateways[earlier.length % this.stack.gateways.length]!;
      const before = earlier.map((d) => logins(d.ws));
      const ws = await TestSocket.open(gateway.wsUrl, device.token);
      this.devices.push({ ...device, ws });
      const pong = await ws.request('ping');
      if (pong.status_code !== 0) {
        throw new Error(`PushWatch: ${device.name} not connected (${pong.status_code})`);
      }
      if (!ws.isOpen) throw new Error(`PushWatch: ${device.name} was closed at authentication`);
      await waitFor(() => earlier.every((d, i) => logins(d.ws) === before[i]! + 1), {
        timeoutMs: ARRIVAL_MS,
        what: `the account_login of ${device.name} at ${earlier.map((d) => d.name).join(', ')}`,
      });
    }
    this.mark();
  }

  /** The socket of a device. */
  socket(name: string): TestSocket {
    const device = this.devices.find((d) => d.name === name);
    if (!device) throw new Error(`PushWatch: no device ${name}`);
    return device.ws;
  }

  /** Starts an observation: checks look only at pushes that arrive after this. */
  mark(): void {
    for (const { ws } of this.devices) this.marks.set(ws, ws.pushes.length);
  }

  /** The pushes a device received since the mark, restricted to those `only` accepts. */
  since(name: string, only: (frame: WsPush) => boolean = () => true): WsPush[] {
    const ws = this.socket(name);
    return ws.pushes.slice(this.marks.get(ws) ?? 0).filter(only);
  }

  /**
   * Checks what every device received since the mark: waits until each device named in
   * `expected` got as many frames as listed, gives stray frames a short settle, then asserts
   * that each device got exactly its listed frames and every device not named got none.
   * Frames are compared per event, in arrival order within an event: pushes of different
   * bus keys (a relation, an account) may interleave either way (docs/protocol.md §4, order
   * is per relation). `data` is compared with `toEqual`, so asymmetric matchers may stand
   * for values the test cannot know. `only` narrows what counts (say, one relation's
   * frames) where the suite does other things at the same time. Marks again afterwards.
   */
  async expect(
    expected: Record<string, WsPush[]>,
    only: (frame: WsPush) => boolean = () => true,
  ): Promise<void> {
    const names = this.devices.map((d) => d.name);
    const unknown = Object.keys(expected).filter((name) => !names.includes(name));
    if (unknown.length > 0) throw new Error(`PushWatch: no device ${unknown.join(', ')}`);
    const want = (name: string) => expected[name] ?? [];
    // Not arriving in time fails below, with the difference shown.
    await waitFor(() => names.every((name) => this.since(name, only).length >= want(name).length), {
      timeoutMs: ARRIVAL_MS,
      what: 'the expected pushes',
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const got = Object.fromEntries(names.map((name) => [name, byEvent(this.since(name, only))]));
    expect(got).toEqual(Object.fromEntries(names.map((name) => [name, byEvent(want(name))])));
    this.mark();
  }

  /** Checks that no device received anything since the mark (after the settle). */
  expectNothing(only?: (frame: WsPush) => boolean): Promise<void> {
    return this.expect({}, only);
  }

  close(): Promise<unknown> {
    return Promise.all(this.devices.map(({ ws }) => ws.close()));
  }
}

/** One push frame (docs/protocol.md §1), for the expectations of `PushWatch.expect`. */
export const frame = (event: string, data: unknown): WsPush => ({ event, data });

/** The same frame for each of these devices. */
export function toEach(names: string[], ...frames: WsPush[]): Record<string, WsPush[]> {
  return Object.fromEntries(names.map((name) => [name, frames]));
}
