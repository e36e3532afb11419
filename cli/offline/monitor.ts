/**
 * Answers the program's registrations the way the engine answers a preview of a new stack, in
 * place of the mock monitor's own answers (which lose the wire form of secrets and unknowns and
 * derive child URNs from the parent's last type only, where the engine uses the parent's whole
 * qualified type). Each registration is recorded as the engine would receive it.
 */
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";
import { mockMonitor, sdkProtos } from "../../kernel/sdk-internals";
import { isProviderType, packageOf, packageVersion, providerUrnOf } from "./providers";
import { defaultOptions, type RegisteredResource, type ResourceOptionsSeen } from "./registrations";
import { generatedSecretOutputs } from "./secret-placeholders";
import { tracedOutputs } from "./traced-outputs";

export interface Registrations {
  readonly project: string;
  readonly stack: string;
  readonly stackUrn: string;
  /** 0 for the first run, 1 for the twin (other placeholders, traced outputs). */
  readonly generation: number;
  /** Where each registration is recorded, in the order the program makes them. */
  readonly resources: RegisteredResource[];
}

/** Makes the mock monitor (set up by pulumi.runtime.setMocks) answer as the engine would. */
export function answerRegistrations({ project, stack, stackUrn, generation, resources }: Registrations): void {
  const { resource: resourcePb, struct: structPb } = sdkProtos();
  const monitor = mockMonitor();
  let tracedCount = 0;
  const qualifiedTypes = new Map<string, string>();
  monitor.newUrn = (parent: string, type: string, name: string) => {
    const parentType = parent ? qualifiedTypes.get(parent) : undefined;
    const qualified = parentType ? `${parentType}$${type}` : type;
    const urn = `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
    qualifiedTypes.set(urn, qualified);
    return urn;
  };
  // Answers registrations the way the engine answers a preview of a new resource: no ID yet,
  // and the planned state is the inputs (outputs the provider would compute stay unknown).
  // The inputs go back as the same wire Struct, which also keeps their secrets secret.
  monitor.registerResource = (request: unknown, callback: (err: unknown, res?: unknown) => void) => {
    const req = request as RegisterRequest;
    const parent = req.getParent();
    const type = req.getType();
    const urn = monitor.newUrn(parent, type, req.getName());
    const custom = req.getCustom();
    const inputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const version = req.getVersion() || packageVersion(packageOf(type));
    // The engine's SetProviderVersion: an explicit provider's inputs carry the SDK's version.
    if (custom && isProviderType(type) && inputs.version === undefined) inputs.version = version;
    const generated = custom ? generatedSecretOutputs(type, inputs, req.getAdditionalsecretoutputsList(), generation) : {};
    const traced = custom && generation === 1 && !isProviderType(type) ? tracedOutputs(type, inputs, ++tracedCount) : {};
    resources.push({
      urn,
      type,
      name: req.getName(),
      custom,
      parent: parent || stackUrn,
      provider: req.getProvider() || undefined,
      providerUrn: custom && !isProviderType(type) ? providerUrnOf(req.getProvider(), stack, project, type, version) : undefined,
      ...(Object.keys(generated).length > 0 ? { generatedOutputs: generated } : {}),
      ...(Object.keys(traced).length > 0 ? { tracedOutputs: traced } : {}),
      inputs,
      options: optionsOf(req),
    });
    const res = new resourcePb.RegisterResourceResponse();
    res.setUrn(urn);
    res.setId(traced.id ?? "");
    const object = custom ? (req.getObject() ?? new structPb.Struct()) : new structPb.Struct();
    for (const [k, v] of Object.entries({ ...generated, ...traced }))
      if (k !== "id") object.getFieldsMap().set(k, structPb.Value.fromJavaScript(v));
    res.setObject(object);
    callback(null, res);
  };
  // A read (a StackReference names the stack it reads as its ID and its `name` input) is recorded
  // so the view governs what is read; it is answered as the mock answers it, keeping the run's
  // other values as they were.
  const answerRead = monitor.readResource.bind(monitor);
  monitor.readResource = (request: unknown, callback: (err: unknown, res?: unknown) => void) => {
    const req = request as ReadRequest;
    const parent = req.getParent();
    resources.push({
      urn: monitor.newUrn(parent, req.getType(), req.getName()),
      type: req.getType(),
      name: req.getName(),
      custom: true,
      parent: parent || stackUrn,
      provider: req.getProvider() || undefined,
      inputs: (req.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
      options: {
        ...defaultOptions(),
        dependencies: req.getDependenciesList(),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      },
      read: { id: req.getId() },
    });
    return answerRead(request, callback);
  };
  // Component outputs matter to nobody offline (the engine only records them in state).
  monitor.registerResourceOutputs = (_req: unknown, callback: (err: unknown, res?: unknown) => void) => callback(null, {});
}

/** The parts of the SDK's ReadResourceRequest read here. */
interface ReadRequest {
  getId(): string;
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getProperties(): (StructPb.Struct & { toJavaScript(): unknown }) | undefined;
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
}

/** The parts of the SDK's RegisterResourceRequest read here. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getVersion(): string;
  getObject(): (StructPb.Struct & { toJavaScript(): unknown }) | undefined;
  getProtect(): boolean;
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
  getAdditionalsecretoutputsList(): string[];
  getAliasurnsList(): string[];
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getRetainondelete(): boolean;
}

function optionsOf(req: RegisterRequest): ResourceOptionsSeen {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((v, k) => {
    propertyDependencies[k] = v.getUrnsList();
  });
  const t = req.getCustomtimeouts();
  return {
    protect: req.getProtect(),
    ignoreChanges: req.getIgnorechangesList(),
    deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    aliases: req.getAliasurnsList(),
    customTimeouts: t
      ? { create: t.getCreate() || undefined, update: t.getUpdate() || undefined, delete: t.getDelete() || undefined }
      : undefined,
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    retainOnDelete: req.getRetainondelete(),
  };
}
