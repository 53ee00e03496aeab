import { runMain } from '@chat/runtime';
import { start } from './start';

runMain('gateway', start);
