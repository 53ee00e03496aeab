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
export { normalize, contentGrams, queryGrams, escapeLike } from './search-grams';
export { toTextArrayLiteral } from './types/text-array.type';
export type {
  UserRepository,
  UserRecord,
  TokenEpochRecord,
  EndedUserSessions,
} from './ports/users';
export type {
  AccountRepository,
  AccountRecord,
  EndedAccountSessions,
  NewAccount,
  DeletedAccount,
} from './ports/accounts';
export type {
  ApplicationRepository,
  ApplicationRecord,
  ApplicationParty,
} from './ports/applications';
export type { FileRepository, FileRecord, NewFile } from './ports/files';
export type {
  GroupRepository,
  GroupRecord,
  RelationRole,
  GroupSettingRow,
  GroupMemberRow,
} from './ports/groups';
export type { NoticeRepository, NoticeRecord } from './ports/notices';
export type {
  BlockRepository,
  BlockedAccount,
  BlocksBetween,
  SendRestrictions,
} from './ports/blocks';
export type {
  SettingRepository,
  SettingRecord,
  FriendRecord,
  FriendSettingRecord,
  SettingChange,
} from './ports/settings';
export type { MembershipRepository, RelationSummary } from './ports/memberships';
export type {
  MessageQueryRepository,
  MessageLookupRepository,
  MessageView,
  MessageState,
  ReactionChange,
  MemberReaction,
  MessageList,
  SyncPage,
  Page,
  ReplyTarget,
  SendKey,
  SentMessage,
} from './ports/messages';
export { PgUserRepository } from './repositories/user.repository';
export { PgAccountRepository } from './repositories/account.repository';
export { PgApplicationRepository } from './repositories/application.repository';
export { PgFileRepository } from './repositories/file.repository';
export { PgGroupRepository } from './repositories/group.repository';
export { PgBlockRepository } from './repositories/block.repository';
export { AccountBlock, AccountBlockSchema } from './entities/account-block.entity';
export { PgNoticeRepository } from './repositories/notice.repository';
export { PgSettingRepository } from './repositories/setting.repository';
export { PgMembershipRepository } from './repositories/membership.repository';
export { PgPresenceSettingsRepository } from './repositories/presence-settings.repository';
export type {
  PresenceGround,
  PresencePair,
  PresenceSettingsRepository,
} from './ports/presence-settings';
export { PgMessageQueryRepository } from './repositories/message-query.repository';
export { PgMessageLookupRepository } from './repositories/message-lookup.repository';
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
export { inTransaction, joinWork } from './repositories/unit-of-work';
export {
  OutboxRepository,
  type OutboxRecord,
  type OutboxRow,
  type OutboxBacklog,
  type RelayStep,
} from './repositories/outbox.repository';
export type {
  PushDeviceRepository,
  PushDeviceRecord,
  PushDevicePlatform,
  NewPushDevice,
  PushSettings,
} from './ports/push-devices';
export { PgPushDeviceRepository } from './repositories/push-device.repository';
