/** A growable set of small non-negative integers (message sequence numbers), one bit each. */
export class SeqBits {
  private bytes: Uint8Array;

  constructor(capacity = 64) {
    this.bytes = new Uint8Array(Math.max(1, Math.ceil(capacity / 8)));
  }

  /** Adds `seq`; false when it was already present. */
  add(seq: number): boolean {
    const byte = seq >> 3;
    if (byte >= this.bytes.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bytes.length * 2));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    const bit = 1 << (seq & 7);
    if (this.bytes[byte] & bit) return false;
    this.bytes[byte] |= bit;
    return true;
  }

  has(seq: number): boolean {
    const byte = seq >> 3;
    return byte < this.bytes.length && (this.bytes[byte] & (1 << (seq & 7))) !== 0;
  }

  size(): number {
    let n = 0;
    for (const b of this.bytes) n += popcount(b);
    return n;
  }

  /** How many members of this set are not in `other`. */
  countNotIn(other: SeqBits): number {
    let n = 0;
    for (let i = 0; i < this.bytes.length; i++) {
      const theirs = i < other.bytes.length ? other.bytes[i] : 0;
      n += popcount(this.bytes[i] & ~theirs & 0xff);
    }
    return n;
  }

  /** The raw bits, for passing between processes. */
  toBytes(): Uint8Array {
    return this.bytes;
  }

  static fromBytes(bytes: Uint8Array): SeqBits {
    const s = new SeqBits(1);
    s.bytes = Uint8Array.from(bytes);
    return s;
  }
}

function popcount(b: number): number {
  b = b - ((b >> 1) & 0x55);
  b = (b & 0x33) + ((b >> 2) & 0x33);
  return (b + (b >> 4)) & 0x0f;
}
