import type { Bus } from '@chat/bus';
import type { MembershipCache } from '@chat/cache';
import type { ReplyTarget } from '@chat/db';
import { snowflakeTime, type SnowflakeGenerator } from '@chat/ids';
import { findAckedMessage } from '@chat/domain';
import type { Logger } from '@chat/logger';
import { AppError, ErrorCode, TOPICS, type MessageRecord, type SendMsgData } from '@chat/protocol';
import type { Connection } from '../sockets/connection';
import type { GatewayStore } from '../store/gateway-store';
import { Deferred } from './deferred';
import type { PipelineGate } from './pipeline-gate';
import { admitSend } from './send-admission';
import type { SendAck, SendClaim, SendDedup } from './send-dedup';
import type { SendRate } from './send-rate';
import { memberAndFree, type SendRestrictionCache } from './send-restrictions';

export interface SendMessageDeps {
  bus: Pick<Bus, 'publish'>;
  membership: MembershipCache;
  store: Pick<GatewayStore, 'members' | 'replyTarget' | 'isLeader'>;
  dedup: SendDedup;
  /** Refuses sends while the pipeline is too far behind (backpressure). */
  gate: Pick<PipelineGate, 'check'>;
  /** Messages per account (`Gateway.SendRate`); none: no limit. */
  sendRate?: Pick<SendRate, 'take'>;
  /** Blocks and mutes (4003, 4004, 7004); none: not checked. */
  restrictions?: Pick<SendRestrictionCache, 'check'>;
  ids: SnowflakeGenerator;
  nodeId: string;
  log: Logger;
}

/**
 * `send_msg` (docs/protocol.md §3.2): checks in the spec's order, idempotency by
 * `client_msg_id`, a snowflake id, then the record to `chat.messages` keyed by relation. The
 * ack is sent only after the bus holds the record (acks = all): an ack means the message
 * will not be lost (docs/architecture.md, Guarantees).
 */
export class SendMessageHandler {
  constructor(private readonly deps: SendMessageDeps) {}

  async handle(
    conn: Connection,
    accountId: number,
    data: SendMsgData,
  ): Promise<Deferred | SendAck> {
    const { membership, store, dedup } = this.deps;
    // Before anything else: a refused send costs the pipeline nothing.
    this.deps.gate.check();
    // Then the account's rate: a refused send is stored nowhere and counts for nothing.
    await this.deps.sendRate?.take(accountId);
    // Both issued before either is awaited: one Redis round trip (see admitSend).
    const restrictions = this.deps.restrictions;
    // The restrictions' version read joins the same round trip (SendRestrictionCache).
    const version = restrictions ? membership.version(data.relation_id) : undefined;
    const isMember = membership.isMember(data.relation_id, accountId, (r) => store.members(r));
    const member =
      restrictions && version
        ? memberAndFree(isMember, restrictions.check(data.relation_id, accountId, version))
        : isMember;
    const claiming =
      data.client_msg_id === undefined
        ? undefined
        : dedup.claim(accountId, data.client_msg_id, conn.connId);
    const found = await admitSend(member, claiming, this.deps.log);
    // A resend: nothing is produced, so nothing is pushed again (docs/protocol.md §3.2).
    if (found?.kind === 'original') return found.ack;
    let claim: SendClaim | undefined = found?.claim;
    const reuse = found?.kind === 'claimed' ? found.reuse : undefined;

    try {
      const rlyMsgId = data.rly_msg_id && data.rly_msg_id > 0 ? data.rly_msg_id : null;
      if (rlyMsgId !== null) await this.checkReplyTarget(rlyMsgId, data.relation_id);
      // `@all` is the group leader's (docs/protocol.md §3.2, check 9).
      if (data.msg_extend?.all && !(await store.isLeader(accountId, data.relation_id))) {
        throw new AppError(ErrorCode.MentionAllNotLeader);
      }

      // A resend after an unsure publish publishes the same id again (SendDedup).
      const id = reuse?.msg_id ?? this.deps.ids.next();
      const ack: SendAck = { msg_id: id, create_at: snowflakeTime(id).toISOString() };
      const record: MessageRecord = {
        id,
        relation_id: data.relation_id,
        notify_type: 'common',
        msg_type: 'text',
        msg_content: data.msg_content,
        msg_extend: data.msg_extend ?? null,
        file_id: null,
        account_id: accountId,
        rly_msg_id: rlyMsgId,
        client_msg_id: data.client_msg_id ?? null,
        create_at: ack.create_at,
        origin: { node: this.deps.nodeId, conn: conn.connId },
      };
      // Called in the connection's queue, so one connection's records are produced (and,
      // sharing the relation's key, stored) in the order it sent them.
      const published = this.deps.bus.publish(
        TOPICS.messages,
        String(record.relation_id),
        JSON.stringify(record),
      );
      const held = claim;
      claim = undefined;
      return new Deferred(this.acknowledge(published, ack, held));
    } catch (err) {
      await claim
        ?.release()
        .catch((e: unknown) => this.deps.log.warn({ err: e }, 'dedup release failed'));
      throw err;
    }
  }

  private async acknowledge(
    published: Promise<void>,
    ack: SendAck,
    claim: SendClaim | undefined,
  ): Promise<SendAck> {
    try {
      await published;
    } catch (err) {
      // Not acked, but the bus may hold the record (an answer lost, not the write): the key
      // keeps this id, so the client's resend publishes the same record again, and the
      // persister stores the id once (docs/send-msg.md).
      await claim
        ?.unsure(ack)
        .catch((e: unknown) => this.deps.log.warn({ err: e }, 'dedup entry not stored'));
      throw err;
    }
    await claim
      ?.complete(ack)
      .catch((err: unknown) => this.deps.log.warn({ err }, 'dedup entry not stored'));
    return ack;
  }

  /**
   * 5001 / 5004 / 5003 of docs/protocol.md §3.2. A message acked a moment ago may not be stored
   * yet: a recent missing id is looked up again for about a second (`findAckedMessage`).
   */
  private async checkReplyTarget(rlyMsgId: number, relationId: number): Promise<void> {
    const target: ReplyTarget | null = await findAckedMessage(snowflakeTime(rlyMsgId), () =>
      this.deps.store.replyTarget(rlyMsgId),
    );
    if (!target)
      throw new AppError(ErrorCode.MessageNotFound, 'the message being replied to does not exist');
    if (target.relationId !== relationId) throw new AppError(ErrorCode.ReplyTargetElsewhere);
    if (target.isRevoke) throw new AppError(ErrorCode.ReplyTargetRevoked);
  }
}
