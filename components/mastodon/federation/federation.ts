/**
 * The servers a co-op's Mastodon blocks, limits or allows, as Pulumi resources: one dynamic
 * resource per domain block and per allowed domain, children of one coop:mastodon:Federation
 * component. The bylaws' federation area (rulebook/changes/areas.ts) recognises a change by
 * exactly this: resources of type pulumi-nodejs:dynamic:Resource under this component.
 *
 * Each resource's inputs are what members decided (the spec's fields), Mastodon's address and
 * the admin token (a secret config value; the governed view masks it). Resources are named
 * after their domain, so adding or lifting one block leaves the others untouched. They depend
 * on the resources Mastodon needs to answer (the web container, the proxy), and the provider
 * also waits for Mastodon's health check before its first call.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DomainBlock } from "../../../stacks/federation";
import { type FederationInputs, federationProvider } from "./provider";

export const FEDERATION_TYPE = "coop:mastodon:Federation";

export interface FederationArgs {
  /** Mastodon's address, e.g. https://social.example.coop. */
  readonly url: string;
  readonly token: pulumi.Input<string>;
  readonly domainBlocks: readonly DomainBlock[];
  readonly domainAllows: readonly string[];
  /** What must exist before Mastodon can answer (its web container). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

type Inputs = { [K in keyof FederationInputs]: pulumi.Input<FederationInputs[K]> };

/** The resource name of a domain's block or allow: the domain, which the spec keeps unique. */
export function federationResourceName(component: string, kind: "block" | "allow", domain: string): string {
  return `${component}-${kind}-${domain}`;
}

class FederationObject extends pulumi.dynamic.Resource {
  constructor(name: string, inputs: Inputs, opts: pulumi.CustomResourceOptions) {
    // The token is a secret in the state's outputs too (they are what delete and refresh read).
    super(federationProvider, name, { ...inputs }, { ...opts, additionalSecretOutputs: ["token"] });
  }
}

export class Federation extends pulumi.ComponentResource {
  /** Domains blocked and allowed, for outputs. */
  readonly blocked: string[];

  constructor(name: string, args: FederationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(FEDERATION_TYPE, name, {}, opts);
    const child: pulumi.CustomResourceOptions = { parent: this, dependsOn: args.dependsOn };
    const token = pulumi.secret(args.token);
    for (const b of args.domainBlocks) {
      new FederationObject(
        federationResourceName(name, "block", b.domain),
        {
          kind: "block",
          url: args.url,
          token,
          domain: b.domain,
          severity: b.severity,
          rejectMedia: b.rejectMedia,
          rejectReports: b.rejectReports,
          publicComment: b.publicComment,
          privateComment: b.privateComment,
          obfuscate: b.obfuscate,
        } as Inputs,
        child,
      );
    }
    for (const domain of args.domainAllows) {
      new FederationObject(federationResourceName(name, "allow", domain), { kind: "allow", url: args.url, token, domain } as Inputs, child);
    }
    this.blocked = args.domainBlocks.map((b) => b.domain);
    this.registerOutputs({ blocked: this.blocked });
  }
}
