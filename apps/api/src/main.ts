import { runMain } from '@chat/runtime';
import { start } from './start';

runMain('api', start);
