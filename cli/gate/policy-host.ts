/**
 * Hosts the real policy pack and talks to it over gRPC, the way the Pulumi engine does: the
 * pack (policies/index.ts) starts @pulumi/policy's analyzer server and prints its port; the
 * engine connects and calls GetAnalyzerInfo, Configure, Remediate/Analyze per resource and
 * AnalyzeStack. The pack runs in this process (one pack per process, as the SDK requires),
 * which spares loading the SDK twice; the protocol is unchanged.
 */
import { dirname, join } from "node:path";
import type * as GrpcModule from "@grpc/grpc-js";
import type * as AnalyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { findRepoRoot } from "../../stacks/load";

const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as typeof AnalyzerGrpc;
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [dirname(require.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb"))] })) as typeof GrpcModule;
const emptyPb = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [dirname(require.resolve("@pulumi/pulumi/proto/analyzer_pb"))] })) as { Empty: new () => unknown };

export interface AnalyzerCalls {
  getAnalyzerInfo(): Promise<AnalyzerPb.AnalyzerInfo>;
  configure(req: AnalyzerPb.ConfigureAnalyzerRequest): Promise<void>;
  remediate(req: AnalyzerPb.AnalyzeRequest): Promise<AnalyzerPb.RemediateResponse>;
  analyze(req: AnalyzerPb.AnalyzeRequest): Promise<AnalyzerPb.AnalyzeResponse>;
  analyzeStack(req: AnalyzerPb.AnalyzeStackRequest): Promise<AnalyzerPb.AnalyzeResponse>;
}

let host: Promise<AnalyzerCalls> | undefined;

/** Starts the pack once per process and returns a client for it. */
export function policyPack(): Promise<AnalyzerCalls> {
  host ??= start();
  return host;
}

async function start(): Promise<AnalyzerCalls> {
  const port = await loadPack();
  const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
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
  const port = new Promise<number>((resolve, reject) => {
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
  return port;
}
