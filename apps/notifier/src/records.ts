import {
  chatEventSchema,
  parseRecord,
  readRecordSchema,
  storedRecordSchema,
  type ChatEvent,
  type ReadRecord,
  type StoredRecord,
} from '@chat/protocol';

// The notifier's three inputs, each checked against its contract's one schema.
export const parseStored = (value: Buffer) => parseRecord<StoredRecord>(storedRecordSchema, value);
export const parseRead = (value: Buffer) => parseRecord<ReadRecord>(readRecordSchema, value);
export const parseEvent = (value: Buffer) => parseRecord<ChatEvent>(chatEventSchema, value);
