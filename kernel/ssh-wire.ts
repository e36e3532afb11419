/**
 * The SSH wire encoding (RFC 4251 §5): length-prefixed strings and big-endian integers. Used
 * to read public key blobs and sshsig signatures, and to build the bytes a signature covers.
 */

export class WireError extends Error {}

/** A cursor over an SSH wire blob; every read checks bounds so a truncated blob is an error, not garbage. */
export class WireReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  uint32(): number {
    if (this.pos + 4 > this.buf.length) throw new WireError("truncated (expected a 32-bit length)");
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new WireError(`truncated (expected ${n} more bytes)`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  text(): string {
    return this.string().toString("latin1");
  }

  /** An mpint as unsigned big-endian bytes without leading zero padding. */
  mpint(): Buffer {
    const raw = this.string();
    if (raw.length > 0 && raw[0] & 0x80) throw new WireError("negative mpint");
    let i = 0;
    while (i < raw.length && raw[i] === 0) i++;
    return raw.subarray(i);
  }

  get done(): boolean {
    return this.pos === this.buf.length;
  }

  rest(): Buffer {
    return this.buf.subarray(this.pos);
  }
}

export function wireString(data: Buffer | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

export function wireUint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Encodes an unsigned big-endian integer as an mpint (a leading zero byte when the top bit is set). */
export function wireMpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  let body = unsigned.subarray(i);
  if (body.length > 0 && body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return wireString(body);
}
