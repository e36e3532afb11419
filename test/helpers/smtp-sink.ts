/**
 * A loopback SMTP server (127.0.0.1, port 0) that keeps every message it is given: enough of
 * SMTP for curl's smtp:// client as coop-alert uses it — EHLO (RFC 5321 §4.1.1.1), STARTTLS
 * (RFC 3207: advertised before TLS, and the session starts over after it), AUTH PLAIN offered
 * only inside TLS (RFC 4954, RFC 4616: "\0user\0password", sent inline or after a 334), MAIL,
 * RCPT, DATA with the "." line and dot-unstuffing (RFC 5321 §4.5.2), RSET, NOOP and QUIT.
 * `failNext` makes the sink refuse the next message (a 451 to DATA), as a mail server that is
 * down would.
 */
import { createServer, type AddressInfo, type Socket } from "node:net";
import { TLSSocket } from "node:tls";

export interface SunkMail {
  readonly tls: boolean;
  readonly user: string;
  readonly password: string;
  readonly from: string;
  readonly to: readonly string[];
  /** The message as sent, with CRLF line ends and dot-stuffing undone. */
  readonly data: string;
}

export interface SmtpSink {
  readonly port: number;
  readonly mails: SunkMail[];
  /** Sessions that ended without a message, e.g. a client that would not go on without STARTTLS. */
  readonly sessions: number;
  failNext: boolean;
  close(): Promise<void>;
}

export async function startSmtpSink(tlsOptions: { key: string; cert: string }): Promise<SmtpSink> {
  const mails: SunkMail[] = [];
  const sockets = new Set<Socket>();
  const sink: SmtpSink = { port: 0, mails, sessions: 0, failNext: false, close: async () => undefined };

  function session(raw: Socket): void {
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
    (sink as { sessions: number }).sessions++;
    let sock: Socket = raw;
    let tls = false;
    let buffer = "";
    let user = "";
    let password = "";
    let from = "";
    let to: string[] = [];
    let inData = false;
    let awaitingAuth = false;
    const reply = (line: string) => sock.write(`${line}\r\n`);

    const onLine = (line: string) => {
      if (inData) {
        if (line === ".") {
          inData = false;
          const data = buffer;
          buffer = "";
          if (sink.failNext) {
            sink.failNext = false;
            reply("451 4.3.0 try again later");
          } else {
            mails.push({ tls, user, password, from, to, data });
            reply("250 2.0.0 queued");
          }
          from = "";
          to = [];
          return;
        }
        buffer += `${line.startsWith("..") ? line.slice(1) : line}\r\n`;
        return;
      }
      if (awaitingAuth) {
        awaitingAuth = false;
        return plain(line);
      }
      const [verb, ...rest] = line.split(" ");
      const arg = rest.join(" ");
      switch (verb.toUpperCase()) {
        case "EHLO":
          reply("250-sink.test");
          if (!tls) reply("250-STARTTLS");
          else reply("250-AUTH PLAIN");
          return reply("250 8BITMIME");
        case "HELO":
          return reply("250 sink.test");
        case "STARTTLS": {
          if (tls) return reply("503 5.5.1 TLS already active");
          reply("220 2.0.0 ready to start TLS");
          sock.removeAllListeners("data");
          const secure = new TLSSocket(raw, { isServer: true, key: tlsOptions.key, cert: tlsOptions.cert });
          sock = secure;
          tls = true;
          user = "";
          password = "";
          from = "";
          to = [];
          secure.on("data", onData);
          secure.on("error", () => raw.destroy());
          return;
        }
        case "AUTH": {
          const [mech, initial] = arg.split(" ");
          if (!tls || mech?.toUpperCase() !== "PLAIN") return reply("504 5.5.4 only AUTH PLAIN, inside TLS");
          if (initial) return plain(initial);
          awaitingAuth = true;
          return reply("334 ");
        }
        case "MAIL":
          if (!user) return reply("530 5.7.0 authentication required");
          from = /^FROM:<([^>]*)>/i.exec(arg)?.[1] ?? "";
          return reply("250 2.1.0 ok");
        case "RCPT": {
          const r = /^TO:<([^>]*)>/i.exec(arg)?.[1];
          if (!from || !r) return reply("503 5.5.1 MAIL first");
          to.push(r);
          return reply("250 2.1.5 ok");
        }
        case "DATA":
          if (to.length === 0) return reply("503 5.5.1 RCPT first");
          inData = true;
          buffer = "";
          return reply("354 end with <CRLF>.<CRLF>");
        case "RSET":
          from = "";
          to = [];
          return reply("250 2.0.0 ok");
        case "NOOP":
          return reply("250 2.0.0 ok");
        case "QUIT":
          reply("221 2.0.0 bye");
          return sock.end();
        default:
          return reply("502 5.5.2 not implemented");
      }
    };

    const plain = (b64: string) => {
      const parts = Buffer.from(b64, "base64").toString("utf8").split("\0");
      if (parts.length !== 3) return reply("501 5.5.2 malformed AUTH PLAIN");
      user = parts[1];
      password = parts[2];
      return reply("235 2.7.0 authenticated");
    };

    let pending = "";
    const onData = (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      let i = pending.indexOf("\r\n");
      while (i >= 0) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 2);
        onLine(line);
        i = pending.indexOf("\r\n");
      }
    };
    raw.on("data", onData);
    raw.on("error", () => undefined);
    reply("220 sink.test ESMTP");
  }

  const server = createServer(session);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  (sink as { port: number }).port = (server.address() as AddressInfo).port;
  sink.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return sink;
}
