import { accountArea } from './account.area';
import { applicationArea } from './application.area';
import { fileArea } from './file.area';
import type { Area } from './area';
import { groupArea } from './group.area';
import { notifyArea } from './notify.area';
import { messageArea } from './message.area';
import { settingArea } from './setting.area';
import { userArea } from './user.area';
import { pushArea } from './push.area';

/** Every area of the api, in the order of docs/api.md. Add an area here, in its own file. */
export const AREAS: Area[] = [
  userArea,
  accountArea,
  applicationArea,
  settingArea,
  groupArea,
  notifyArea,
  messageArea,
  fileArea,
  pushArea,
];

export type { Area, AreaContext } from './area';
