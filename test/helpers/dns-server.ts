/**
 * A loopback DNS server (UDP, 127.0.0.1, port 0) that answers NS queries as a test scripts it:
 * name servers, NXDOMAIN (RCODE 3), an empty answer (NODATA), or silence. Messages follow
 * RFC 1035 §4 (header, question, answers; names as length-prefixed labels, the answer's owner a
 * pointer to the question).
 */
import { createSocket } from "node:dgram";
import type { AddressInfo } from "node:net";

export type DnsAnswer = { readonly ns: readonly string[] } | "nxdomain" | "nodata" | "silent";

export interface FakeDns {
  /** host:port for --resolver */
  readonly address: string;
  readonly queries: string[];
  answers: Record<string, DnsAnswer>;
  close(): Promise<void>;
}

const encodeName = (name: string) =>
  Buffer.concat([
    ...name
      .replace(/\.$/, "")
      .split(".")
      .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")])),
    Buffer.from([0]),
  ]);

export async function startDns(answers: Record<string, DnsAnswer> = {}): Promise<FakeDns> {
  const socket = createSocket("udp4");
  const fake: FakeDns = { address: "", queries: [], answers, close: async () => undefined };
  socket.on("message", (msg, rinfo) => {
    const labels: string[] = [];
    let i = 12;
    while (msg[i] !== 0 && i < msg.length) {
      labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString("ascii"));
      i += 1 + msg[i];
    }
    const questionEnd = i + 1 + 4;
    const name = labels.join(".").toLowerCase();
    const qtype = msg.readUInt16BE(i + 1);
    fake.queries.push(`${name} ${qtype}`);
    const answer = fake.answers[name] ?? "nxdomain";
    if (answer === "silent") return;
    const records = typeof answer === "object" && qtype === 2 ? answer.ns : [];
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    const rd = msg[2] & 0x01;
    header[2] = 0x80 | 0x04 | rd; // QR, AA, RD as asked
    header[3] = 0x80 | (answer === "nxdomain" ? 3 : 0); // RA, RCODE
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    const rrs = records.map((ns) => {
      const rdata = encodeName(ns);
      const fixed = Buffer.alloc(12);
      fixed.writeUInt16BE(0xc00c, 0); // owner: the question's name
      fixed.writeUInt16BE(2, 2); // NS
      fixed.writeUInt16BE(1, 4); // IN
      fixed.writeUInt32BE(3600, 6);
      fixed.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([fixed, rdata]);
    });
    socket.send(Buffer.concat([header, msg.subarray(12, questionEnd), ...rrs]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  (fake as { address: string }).address = `127.0.0.1:${(socket.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((r) => socket.close(() => r()));
  return fake;
}
