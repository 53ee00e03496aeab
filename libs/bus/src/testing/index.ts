export { busContract, type BusUnderTest } from './bus.contract';
