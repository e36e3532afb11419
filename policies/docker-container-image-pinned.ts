/**
 * Every container runs a pinned image: a tag or a digest, never `latest` or no tag at all,
 * so what members approved is what runs, and an upgrade is a visible change.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isUnknown } from "../plan/view";
import { isPinnedImage, parseImageRef } from "../kernel/image-ref";
import { forType, reportAt, unproxied } from "./support/report";

export const NAME = "docker-container-image-pinned";

export const dockerContainerImagePinned: ResourceValidationPolicy = {
  name: NAME,
  description: "Containers name a pinned release of their image (a tag other than latest, or a digest).",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Pin the version in stacks/<stack>.yaml (e.g. services.mastodon.version: v4.6.3), then `coop plan` and `coop propose`.",
  validateResource: forType("docker:index/container:Container", (args, report) => {
    const value = unproxied(args.props).image;
    if (isUnknown(value)) {
      reportAt(
        report,
        "mandatory",
        `${args.name}'s image is computed at deploy time, so nobody can see which release runs; name the pinned image`,
        args.urn,
      );
      return;
    }
    if (typeof value !== "string" || value === "") {
      reportAt(report, "mandatory", `${args.name} has no image reference`, args.urn);
      return;
    }
    const ref = parseImageRef(value);
    if (!ref) {
      reportAt(report, "mandatory", `${args.name} runs '${value}', which is not a valid image reference`, args.urn);
      return;
    }
    if (!isPinnedImage(ref)) {
      reportAt(
        report,
        "mandatory",
        `${args.name} runs '${value}', which is not pinned to a release; a deploy could run anything published under it`,
        args.urn,
      );
    }
  }),
};
