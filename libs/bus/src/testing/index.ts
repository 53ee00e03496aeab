export { busContract, type BusUnderTest } from './bus.contract';
export { messageRecord, publishStored, suiteBus, suiteConfig } from './role-suite';
