export {
  SnowflakeGenerator,
  SNOWFLAKE_EPOCH_MS,
  MAX_NODE_ID,
  decodeSnowflake,
  snowflakeTime,
  idBoundForTime,
  type SnowflakeOptions,
} from './snowflake';
