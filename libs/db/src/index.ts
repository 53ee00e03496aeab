export { User, UserSchema } from './entities/user.entity';
export { Account, AccountSchema, GENDERS, type Gender } from './entities/account.entity';
export { Relation, RelationSchema, type RelationType } from './entities/relation.entity';
export { Setting, SettingSchema } from './entities/setting.entity';
export { ReadCursor, ReadCursorSchema } from './entities/read-cursor.entity';
export {
  Application,
  ApplicationSchema,
  APPLICATION_STATUSES,
  type ApplicationStatus,
} from './entities/application.entity';
export {
  StoredFile,
  StoredFileSchema,
  FILE_PURPOSES,
  type FilePurpose,
  type FileType,
} from './entities/file.entity';
export { Message, MessageSchema, type MsgType, type NotifyType } from './entities/message.entity';
export { GroupNotify, GroupNotifySchema } from './entities/group-notify.entity';
export type { MsgExtend } from './entities/msg-extend';
export { ENTITIES } from './entities';
export { MIGRATIONS } from './migrations';
export {
  openDatabase,
  createOrmConfig,
  redactDatabaseUrl,
  type Database,
  type DatabaseConfig,
} from './open-database';
export { createDatabase, embeddedDatabaseDir, type DatabaseSelection } from './create-database';
export {
  startEmbeddedPostgres,
  type EmbeddedPostgres,
  type EmbeddedPostgresConfig,
} from './embedded/embedded-postgres';
export { migrate, pendingMigrations } from './migrate';
export {
  SnowflakeGenerator,
  SNOWFLAKE_EPOCH_MS,
  MAX_NODE_ID,
  decodeSnowflake,
  snowflakeTime,
  idBoundForTime,
  type SnowflakeOptions,
} from './snowflake';
export { normalize, contentGrams, queryGrams, escapeLike } from './search-grams';
export { toTextArrayLiteral } from './types/text-array.type';
export { UserRepository } from './repositories/user.repository';
export { AccountRepository, type NewAccountRow } from './repositories/account.repository';
export { MembershipRepository, type RelationSummary } from './repositories/membership.repository';
export {
  MessageQueryRepository,
  type MessageView,
  type MessageState,
  type Page,
} from './repositories/message-query.repository';
export {
  GroupRepository,
  type GroupRow,
  type GroupSettingRow,
  type GroupMemberRow,
} from './repositories/group.repository';
export { NoticeRepository } from './repositories/notice.repository';
export { FileRepository, type NewFileRow } from './repositories/file.repository';
export {
  MessageStoreRepository,
  newMessageRow,
  type NewMessageRow,
  type StoredMessage,
  type StoredReplyTarget,
  type StoreResult,
} from './repositories/message-store.repository';
export {
  MessageSearchRepository,
  type SearchEntry,
} from './repositories/message-search.repository';
export {
  ReadCursorRepository,
  type CursorAdvance,
  type AdvanceResult,
} from './repositories/read-cursor.repository';
export {
  ReceiverRepository,
  type ReadRange,
  type SenderReads,
} from './repositories/receiver.repository';
export type { Rejected } from './repositories/isolate-rejected';
export {
  ApplicationRepository,
  type ApplicationRow,
  type ApplicationPartyRow,
} from './repositories/application.repository';
export {
  SettingRepository,
  type SettingRow,
  type FriendRow,
  type FriendSettingRow,
  type SettingChangeRow,
} from './repositories/setting.repository';
export { inTransaction, joinWork } from './repositories/unit-of-work';
export {
  OutboxRepository,
  type OutboxRecord,
  type OutboxRow,
  type OutboxBacklog,
  type RelayStep,
} from './repositories/outbox.repository';
