/**
 * Running components directly under Pulumi's mock runtime, outside the whole program: for the
 * cases the bundled specs cannot reach (an update with known generated values, a failed
 * migration, a mail server from another stack). Registrations are recorded as they go on the
 * wire (secrets keep their wrapper), like cli/offline/run-program.ts does for the program.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { trapProgramFailures } from "../../cli/offline/run-program";
import { isUnknown, isWireSecret } from "../../kernel/pulumi-wire";
import type { DockerHostRef } from "../../components/shared/interfaces";

export interface Registration {
  readonly type: string;
  readonly name: string;
  /** Wire form: secrets as {SIG_KEY: SECRET_SIG, value}, unknowns as UNKNOWN. */
  readonly inputs: Record<string, unknown>;
  readonly dependencies: string[];
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly urn: string;
}

export interface ComponentRun {
  readonly registrations: Registration[];
  /** Errors the program raised (e.g. a failed migration gate). */
  readonly failures: unknown[];
}

/** Outputs a provider would report, by resource type and name (the mock echoes inputs otherwise). */
export type FakeState = (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown>;

interface MonitorLike {
  registerResource(req: RequestLike, cb: (err: unknown, res?: unknown) => void): unknown;
}
interface RequestLike {
  getType(): string;
  getName(): string;
  getParent(): string;
  getObject(): { toJavaScript(): unknown } | undefined;
  getDependenciesList(): string[];
  getProtect(): boolean;
  getRetainondelete(): boolean;
}

let busy = false;

export async function runComponents(
  declare: (host: DockerHostRef) => void,
  opts: { preview: boolean; state?: FakeState },
): Promise<ComponentRun> {
  if (busy) throw new Error("runComponents: one run at a time (the Pulumi runtime is process-global)");
  busy = true;
  const registrations: Registration[] = [];
  const failures: unknown[] = [];
  try {
    pulumi.runtime.setAllConfig({}, []);
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({
          id: `${args.name}-id`,
          state: { ...args.inputs, ...(opts.state?.(args.type, args.name, args.inputs) ?? {}) },
        }),
        call: (args) => {
          throw new Error(`unexpected provider function call ${args.token}`);
        },
      },
      "coop-infra",
      "test",
      opts.preview,
    );
    const monitor = settings.getMonitor() as unknown as MonitorLike;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      const parent = req.getParent();
      registrations.push({
        type: req.getType(),
        name: req.getName(),
        inputs: (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
        dependencies: req.getDependenciesList(),
        protect: req.getProtect(),
        retainOnDelete: req.getRetainondelete(),
        urn: `${parent}|${req.getType()}::${req.getName()}`,
      });
      return register(req, (err, res) => {
        if (err) failures.push(err);
        cb(err, res);
      });
    };
    const trap = trapProgramFailures(failures);
    try {
      const provider = new docker.Provider("docker", { host: "unix:///var/run/docker.sock" });
      declare({ provider, namePrefix: "co-test", target: "hetzner" });
      await Promise.race([(settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs(), trap.firstFailure]);
      await new Promise((r) => setImmediate(r));
    } catch (e) {
      failures.push(e);
    } finally {
      trap.release();
    }
    return { registrations, failures };
  } finally {
    busy = false;
  }
}

export { isUnknown, isWireSecret };

/** The value with its secret wrapper (if any) removed. */
export function unwrap(v: unknown): unknown {
  return isWireSecret(v) ? (v as { value: unknown }).value : v;
}

/**
 * How a generated secret may travel at preview: the SDK this project pins sends a secret that is not yet
 * known as the bare unknown sentinel, newer ones wrap that sentinel as a secret. Neither carries a value.
 */
export function isSecretOrUnknown(v: unknown): boolean {
  return isWireSecret(v) || isUnknown(v);
}

export function named(run: ComponentRun, name: string): Registration {
  const r = run.registrations.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}; have: ${run.registrations.map((x) => x.name).join(", ")}`);
  return r;
}

/** A container's env as NAME → value (secret wrappers removed). */
export function envOf(r: Registration): Map<string, string> {
  const list = unwrap(r.inputs.envs) as unknown[];
  return new Map(
    list.map((e) => {
      const s = String(unwrap(e));
      const i = s.indexOf("=");
      return [s.slice(0, i), s.slice(i + 1)];
    }),
  );
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
