import { AccountSchema } from './account.entity';
import { AccountBlockSchema } from './account-block.entity';
import { ApplicationSchema } from './application.entity';
import { StoredFileSchema } from './file.entity';
import { GroupNotifySchema } from './group-notify.entity';
import { MessageSchema } from './message.entity';
import { ReadCursorSchema } from './read-cursor.entity';
import { RelationSchema } from './relation.entity';
import { SettingSchema } from './setting.entity';
import { UserSchema } from './user.entity';

/** Every table of docs/data-model.md §2, listed explicitly so discovery never touches the file system. */
export const ENTITIES = [
  UserSchema,
  AccountSchema,
  RelationSchema,
  SettingSchema,
  ReadCursorSchema,
  ApplicationSchema,
  StoredFileSchema,
  MessageSchema,
  GroupNotifySchema,
  AccountBlockSchema,
];
