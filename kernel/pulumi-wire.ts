/**
 * How the Pulumi engine and its SDKs mark secrets and unknown values in serialized properties:
 * the one copy for the offline run (which writes them), the gate (which sends them to the pack)
 * and the desired-state view and the policies (which read them).
 *
 * Sources: sdk/nodejs/runtime/rpc.ts (`specialSigKey`, `specialSecretSig`, `unknownValue`;
 * a test compares them with the installed @pulumi/pulumi) and, for the typed unknowns the engine
 * sends to analyzers, sdk/go/common/resource/plugin/rpc.go (`Unknown*Value`).
 */

/** The key whose value says what a serialized special value is. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** SIG_KEY's value on a secret: `{ [SIG_KEY]: SECRET_SIG, value }`. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** An unknown value (of any type, as the Node.js SDK writes it; the engine's unknown string). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Every unknown sentinel: the engine sends one per type of the value it does not know yet. */
const UNKNOWNS: ReadonlySet<string> = new Set([
  UNKNOWN, // string (and the SDK's generic unknown)
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

export function isUnknown(v: unknown): boolean {
  return typeof v === "string" && UNKNOWNS.has(v);
}

export function isWireSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/**
 * The engine's builtin resource a `pulumi.StackReference` reads: its ID and its `name` input
 * are the stack it reads; its outputs are `name`, `outputs`, `secretOutputNames`
 * (pkg/resource/deploy/builtins.go, readStackReference).
 */
export const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";
