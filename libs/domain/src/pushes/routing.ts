import type { OutgoingRecord } from '@chat/bus';
import type { PresenceEntry } from '@chat/cache';
import { pushTopic, type DeliveryRecord } from '@chat/protocol';

/** A record a push was planned from: its topic, partition and offset. */
export interface PushSource {
  topic: string;
  partition: number;
  offset: string;
}

/** One push to make: `frame` to every online connection of the accounts in `to`. */
export interface PlannedPush {
  /** Partition key of the delivery records: the source record's, so a relation's pushes keep their order. */
  key: string;
  frame: { event: string; data: unknown };
  to: number[];
  /** The connection that caused it, which must not get it (docs/protocol.md §3.2, §3.3). */
  excludeConn?: string;
  /** Close the accounts' sockets after the frame (4403 when an account is deleted). */
  close?: { code: number; reason: string };
  /**
   * The bus record the push was planned from, when it was (the notifier's pushes): its
   * delivery records name it, so a gateway writes a push planned again after a redelivery
   * to nobody twice (`DeliveryRecord.source`).
   */
  source?: PushSource;
}

/**
 * Turns pushes into delivery records: for each push, one record per gateway node that holds
 * a connection of a target account, listing those accounts (docs/architecture.md, notifier).
 * The one router of pushes between gateways: the notifier routes every push through it, and
 * a gateway its presence announcements to the account's other nodes.
 * Offline accounts are skipped, never a reason to stop (docs/pitfalls.md §1); an account
 * whose only connection on a node is the excluded one needs nothing from that node.
 * Pushes from the same source record are numbered in the order given (the source's last part), so a
 * planner must plan a record's pushes in the same order each time it sees the record.
 */
export function route(
  pushes: PlannedPush[],
  online: Map<number, PresenceEntry[]>,
): OutgoingRecord[] {
  const out: OutgoingRecord[] = [];
  /** Per source record, how many of its pushes came before. */
  const numbered = new Map<string, number>();
  for (const push of pushes) {
    const byNode = new Map<string, number[]>();
    for (const accountId of new Set(push.to)) {
      const nodes = new Set(
        (online.get(accountId) ?? [])
          .filter((e) => e.connId !== push.excludeConn)
          .map((e) => e.nodeId),
      );
      for (const node of nodes) {
        const accounts = byNode.get(node);
        if (accounts) accounts.push(accountId);
        else byNode.set(node, [accountId]);
      }
    }
    let source: string | undefined;
    if (push.source) {
      const { topic, partition, offset } = push.source;
      const id = `${topic}/${partition}/${offset}`;
      const index = numbered.get(id) ?? 0;
      numbered.set(id, index + 1);
      source = `${id}/${index}`;
    }
    for (const [node, accounts] of byNode) {
      const record: DeliveryRecord = { accounts, frame: push.frame };
      if (push.excludeConn !== undefined) record.exclude_conn = push.excludeConn;
      if (push.close) record.close = push.close;
      if (source) record.source = source;
      out.push({ topic: pushTopic(node), key: push.key, value: JSON.stringify(record) });
    }
  }
  return out;
}
