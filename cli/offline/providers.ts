/**
 * Which provider the engine hands a resource to, and the version it records for it: an
 * explicit provider, or the engine's default provider of the resource's package.
 */
import { readFileSync } from "node:fs";

export function isProviderType(type: string): boolean {
  return type.startsWith("pulumi:providers:");
}

export function packageOf(type: string): string {
  return isProviderType(type) ? type.slice("pulumi:providers:".length) : type.split(":")[0];
}

const sdkVersions = new Map<string, string>();

/** The provider SDK package's version (what it sends as the version option), "0.0.0" if it has none. */
export function packageVersion(pkg: string): string {
  let v = sdkVersions.get(pkg);
  if (!v) {
    try {
      const file = require.resolve(`@pulumi/${pkg}/package.json`);
      v = (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    } catch {
      v = "0.0.0";
    }
    sdkVersions.set(pkg, v);
  }
  return v;
}

/** The engine's default provider for a package at a version: `default_1_41_0`, no parent. */
export function defaultProviderUrn(stack: string, project: string, pkg: string, version: string): string {
  return `urn:pulumi:${stack}::${project}::pulumi:providers:${pkg}::default_${version.replace(/[.-]/g, "_")}`;
}

/** The provider URN of a custom resource: the explicit reference "<urn>::<id>", or the engine's default. */
export function providerUrnOf(ref: string, stack: string, project: string, type: string, version: string): string {
  return ref ? ref.slice(0, ref.lastIndexOf("::")) : defaultProviderUrn(stack, project, packageOf(type), version);
}
