import type {
  AccountRepository,
  BlockRepository,
  SendRestrictions,
  MembershipRepository,
  MessageLookupRepository,
  PresenceGround,
  PresencePair,
  PresenceSettingsRepository,
  ReplyTarget,
  SendKey,
  SentMessage,
} from '@chat/db';
import { InfrastructureError } from '@chat/protocol';

export interface GatewayStoreDeps {
  accounts: Pick<AccountRepository, 'tokenEpoch'>;
  memberships: Pick<MembershipRepository, 'members'>;
  lookups: MessageLookupRepository;
  presenceSettings: PresenceSettingsRepository;
  blocks: Pick<BlockRepository, 'sendRestrictions'>;
}

/**
 * The gateway's few reads from Postgres: an account's token epoch on a cache miss at auth,
 * member lists on a membership-cache miss, blocks and mutes when a relation's membership
 * version moved, the replied-to message, the reader's cursor, resends' originals after the
 * cache lost its dedup claims (docs/send-msg.md), and who may
 * watch whose presence, at subscribe and when a relation grounding a subscription changes
 * (docs/protocol.md §3.5). Its one write is an account's own
 * `presence_hidden` setting (§3.6), a single-row update with nothing to order or replay;
 * everything else the gateway does goes to the bus. A failed read is an
 * `InfrastructureError` naming it.
 */
export class GatewayStore {
  constructor(private readonly d: GatewayStoreDeps) {}

  /** The account's token epoch and owner (read on a token epoch cache miss); null: none. */
  accountTokenEpoch(accountId: number): Promise<{ epoch: number; owner: number } | null> {
    return this.guard('account lookup', () => this.d.accounts.tokenEpoch(accountId));
  }

  members(relationId: number): Promise<number[]> {
    return this.guard('member list', () => this.d.memberships.members(relationId));
  }

  /** Whether the account leads the relation: only the leader may mention everyone. */
  isLeader(accountId: number, relationId: number): Promise<boolean> {
    return this.guard('leader check', () => this.d.lookups.isLeader(accountId, relationId));
  }

  /** Blocks and mutes of the relation, on a miss of the gateway's restriction cache. */
  sendRestrictions(relationId: number): Promise<SendRestrictions> {
    return this.guard('send restrictions', () => this.d.blocks.sendRestrictions(relationId));
  }

  replyTarget(msgId: number): Promise<ReplyTarget | null> {
    return this.guard('reply target', () => this.d.lookups.replyTarget(msgId));
  }

  /** The reader's cursor in the relation (docs/data-model.md §2.5): 0 when there is no row. */
  readCursor(accountId: number, relationId: number): Promise<number> {
    return this.guard('read cursor', () => this.d.lookups.readCursor(accountId, relationId));
  }

  /** The newest message of each key created at or after `sinceMs`; none for the others. */
  newestSends(keys: SendKey[], sinceMs: number): Promise<SentMessage[]> {
    return this.guard('resend look-up', () => this.d.lookups.newestSends(keys, sinceMs));
  }

  /** Whether any message with a `client_msg_id` was created at or after `sinceMs`. */
  anySendSince(sinceMs: number): Promise<boolean> {
    return this.guard('recent send check', () => this.d.lookups.anySendSince(sinceMs));
  }

  /** Of `pairs`, those whose viewer may see the account's presence, with their ground. */
  presenceGrounds(pairs: PresencePair[]): Promise<PresenceGround[]> {
    return this.guard('presence visibility', () => this.d.presenceSettings.grounds(pairs));
  }

  /** `presence_hidden` of each existing account of `accountIds`. */
  presenceHidden(accountIds: number[]): Promise<Map<number, boolean>> {
    return this.guard('presence setting', () => this.d.presenceSettings.hidden(accountIds));
  }

  /** Sets `presence_hidden`; false when the account does not exist. */
  setPresenceHidden(accountId: number, hidden: boolean): Promise<boolean> {
    return this.guard('presence setting update', () =>
      this.d.presenceSettings.setHidden(accountId, hidden),
    );
  }

  private async guard<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof InfrastructureError) throw err;
      throw new InfrastructureError(`database: ${what} failed`, err);
    }
  }
}
