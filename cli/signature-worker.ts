/**
 * Worker thread of cli/ledger-load.ts: verifies batches of decision signatures (sshsig over
 * each record's canonical payload). A batch arrives as one transferred buffer (no copying
 * between threads) and small results go back; the worker loads nothing but the sshsig code.
 */
import { parentPort } from "node:worker_threads";
import { DECISION_NAMESPACE, verifySshsig } from "../policies/governance/sshsig";
import type { SignatureCheckResult } from "../policies/governance/signatures";

export interface SignatureBatch {
  readonly batch: number;
  /** Items, each: u32 payload length, payload (UTF-8), u32 signature count, then per signature u32 length and its armored text. */
  readonly buffer: ArrayBuffer;
}

export interface SignatureBatchResult {
  readonly batch: number;
  readonly results: SignatureCheckResult[][];
}

/** Packs a batch for a worker. */
export function packBatch(items: ReadonlyArray<{ readonly payload: string; readonly signatures: readonly string[] }>): ArrayBuffer {
  let size = 0;
  const encoded = items.map((it) => {
    const payload = Buffer.from(it.payload, "utf8");
    const sigs = it.signatures.map((s) => Buffer.from(s, "utf8"));
    size += 8 + payload.length + sigs.reduce((n, b) => n + 4 + b.length, 0);
    return { payload, sigs };
  });
  const buf = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const { payload, sigs } of encoded) {
    at = buf.writeUInt32BE(payload.length, at);
    at += payload.copy(buf, at);
    at = buf.writeUInt32BE(sigs.length, at);
    for (const s of sigs) {
      at = buf.writeUInt32BE(s.length, at);
      at += s.copy(buf, at);
    }
  }
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + size) as ArrayBuffer;
}

export function verifyBatch(buffer: ArrayBuffer): SignatureCheckResult[][] {
  const buf = Buffer.from(buffer);
  const out: SignatureCheckResult[][] = [];
  let at = 0;
  while (at < buf.length) {
    const plen = buf.readUInt32BE(at);
    const payload = buf.subarray(at + 4, at + 4 + plen);
    at += 4 + plen;
    const n = buf.readUInt32BE(at);
    at += 4;
    const results: SignatureCheckResult[] = [];
    for (let i = 0; i < n; i++) {
      const len = buf.readUInt32BE(at);
      const sig = buf.toString("utf8", at + 4, at + 4 + len);
      at += 4 + len;
      const r = verifySshsig(sig, payload, DECISION_NAMESPACE);
      results.push({ ok: r.ok, reason: r.ok ? undefined : r.reason, keyId: r.key?.id, fingerprint: r.key?.fingerprint });
    }
    out.push(results);
  }
  return out;
}

if (parentPort && require.main === module) {
  const port = parentPort;
  port.on("message", (m: SignatureBatch) => port.postMessage({ batch: m.batch, results: verifyBatch(m.buffer) } satisfies SignatureBatchResult));
}
