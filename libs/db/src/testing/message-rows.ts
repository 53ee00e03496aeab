import { snowflakeTime, type SnowflakeGenerator } from '@chat/ids';
import type { NewMessageRow } from '../repositories/message-store.repository';

/**
 * A maker of text message rows as the persister hands them to `MessageStoreRepository.store`:
 * each a new id from `ids` (its time the row's `createAt`), sent by `accountId`, with `more`
 * on top.
 */
export function textRows(ids: SnowflakeGenerator) {
  return (
    relationId: number,
    accountId: number,
    content: string,
    more: Partial<NewMessageRow> = {},
  ): NewMessageRow => {
    const id = ids.next();
    return {
      id,
      relationId,
      notifyType: 'common',
      msgType: 'text',
      msgContent: content,
      msgExtend: null,
      fileId: null,
      accountId,
      rlyMsgId: null,
      clientMsgId: null,
      createAt: snowflakeTime(id),
      ...more,
    };
  };
}
