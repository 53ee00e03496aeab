import { BigIntType } from '@mikro-orm/core';

/**
 * A `bigint` column read and written as a JavaScript `number`. Safe because every id and
 * counter stored is ≤ 2^53 − 1, which the schema's CHECKs guarantee (docs/data-model.md §1); the pg
 * driver itself returns `int8` as a string, and MikroORM's default `bigint` mode returns a
 * native `bigint`, neither of which the JSON API wants.
 */
export const numberBigInt = (): BigIntType<'number'> => new BigIntType('number');
