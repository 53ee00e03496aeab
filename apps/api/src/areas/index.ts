import { accountArea } from './account.area';
import type { Area } from './area';
import { userArea } from './user.area';

/** Every area of the api, in the order of API.md. Add an area here, in its own file. */
export const AREAS: Area[] = [userArea, accountArea];

export type { Area, AreaContext } from './area';
