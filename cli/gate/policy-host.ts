/**
 * Hosts the real policy pack the way the Pulumi engine talks to it. The pack
 * (policies/index.ts) starts @pulumi/policy's analyzer server and prints its port; the engine
 * calls GetAnalyzerInfo, Configure, Remediate/Analyze per resource and AnalyzeStack.
 *
 * Two transports reach the same handlers with the same bytes:
 * - "wire" (the default): each request is encoded to its protobuf wire bytes and decoded again,
 *   exactly what gRPC does on both ends, then handed to the handler the server registered;
 * - "grpc": a real gRPC client over loopback to the pack's server.
 * The pack runs in this process (the SDK allows one per process), sparing a second SDK load;
 * "wire" also spares HTTP/2 framing, which costs more than the policies themselves. A test
 * runs both transports over the same plans and requires identical verdicts.
 */
import { dirname, join } from "node:path";
import type * as GrpcModule from "@grpc/grpc-js";
import type * as AnalyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { servedHandlers } from "../../policies/engine-tap";
import { findRepoRoot } from "../../kernel/repo";

const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as typeof AnalyzerGrpc;
const grpc = require(
  require.resolve("@grpc/grpc-js", { paths: [dirname(require.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb"))] }),
) as typeof GrpcModule;
const emptyPb = require(
  require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [dirname(require.resolve("@pulumi/pulumi/proto/analyzer_pb"))] }),
) as { Empty: new () => unknown };

export type Transport = "wire" | "grpc";

export interface AnalyzerCalls {
  getAnalyzerInfo(): Promise<AnalyzerPb.AnalyzerInfo>;
  configure(req: AnalyzerPb.ConfigureAnalyzerRequest): Promise<void>;
  remediate(req: AnalyzerPb.AnalyzeRequest): Promise<AnalyzerPb.RemediateResponse>;
  analyze(req: AnalyzerPb.AnalyzeRequest): Promise<AnalyzerPb.AnalyzeResponse>;
  analyzeStack(req: AnalyzerPb.AnalyzeStackRequest): Promise<AnalyzerPb.AnalyzeResponse>;
}

let port: Promise<number> | undefined;
const hosts = new Map<Transport, Promise<AnalyzerCalls>>();

/** Starts the pack once per process and returns calls to it over `transport`. */
export function policyPack(transport: Transport = "wire"): Promise<AnalyzerCalls> {
  let host = hosts.get(transport);
  if (!host) {
    port ??= loadPack();
    host = transport === "grpc" ? port.then(grpcCalls) : port.then(() => wireCalls());
    hosts.set(transport, host);
  }
  return host;
}

type Method = (typeof analyzerGrpc.AnalyzerService)[keyof typeof analyzerGrpc.AnalyzerService];

/** Calls the registered handler with the request as it arrives over the wire. */
function wireCalls(): AnalyzerCalls {
  const handlers = servedHandlers();
  if (!handlers) throw new Error("the policy pack registered no analyzer service");
  const call =
    <Res>(name: string, method: Method) =>
    (req: unknown) =>
      new Promise<Res>((resolve, reject) => {
        const m = method as unknown as {
          requestSerialize(r: unknown): Buffer;
          requestDeserialize(b: Buffer): unknown;
          responseSerialize(r: unknown): Buffer;
          responseDeserialize(b: Buffer): unknown;
        };
        const request = m.requestDeserialize(m.requestSerialize(req));
        handlers[name]({ request }, (err: unknown, res: unknown) => {
          if (err) reject(err);
          else resolve(m.responseDeserialize(m.responseSerialize(res)) as Res);
        });
      });
  const s = analyzerGrpc.AnalyzerService;
  return {
    getAnalyzerInfo: () => call<AnalyzerPb.AnalyzerInfo>("getAnalyzerInfo", s.getAnalyzerInfo)(new emptyPb.Empty()),
    configure: async (req) => {
      await call<unknown>("configure", s.configure)(req);
    },
    remediate: call("remediate", s.remediate),
    analyze: call("analyze", s.analyze),
    analyzeStack: call("analyzeStack", s.analyzeStack),
  };
}

function grpcCalls(p: number): AnalyzerCalls {
  const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${p}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
  });
  const call =
    <Req, Res>(method: (req: Req, cb: (err: GrpcModule.ServiceError | null, res: Res) => void) => unknown) =>
    (req: Req) =>
      new Promise<Res>((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
  return {
    getAnalyzerInfo: () => call<unknown, AnalyzerPb.AnalyzerInfo>(client.getAnalyzerInfo as never)(new emptyPb.Empty()),
    configure: async (req) => {
      await call<AnalyzerPb.ConfigureAnalyzerRequest, unknown>(client.configure as never)(req);
    },
    remediate: call(client.remediate as never),
    analyze: call(client.analyze as never),
    analyzeStack: call(client.analyzeStack as never),
  };
}

/**
 * Loads policies/index (compiled or source, whichever this module is) with the working
 * directory the pack expects (its package.json holds the pack's version), and reads the port
 * the SDK prints once its server listens.
 */
async function loadPack(): Promise<number> {
  const codeRoot = findRepoRoot(__dirname);
  const log = console.log;
  const cwd = process.cwd();
  let timer: NodeJS.Timeout | undefined;
  const listening = new Promise<number>((resolve, reject) => {
    timer = setTimeout(() => {
      console.log = log;
      reject(new Error("the policy pack did not start its analyzer server within 30 s"));
    }, 30_000);
    console.log = (...args: unknown[]) => {
      const text = args.map(String).join(" ").trim();
      if (/^\d+$/.test(text)) {
        clearTimeout(timer);
        console.log = log;
        resolve(Number(text));
        return;
      }
      // Anything else the pack prints must not end up in stdout (--json keeps it one document).
      process.stderr.write(`${text}\n`);
    };
  });
  try {
    process.chdir(join(codeRoot, "policies"));
    await import("../../policies/index");
  } catch (e) {
    clearTimeout(timer);
    console.log = log;
    throw e;
  } finally {
    process.chdir(cwd);
  }
  return listening;
}
