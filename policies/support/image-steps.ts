/**
 * How a container's image moves from the approved lock to what the engine is about to deploy.
 */
import type { ResourceValidationArgs } from "@pulumi/policy";
import { majorStep, type MajorStep } from "../../rulebook/changes/majors";
import { isUnknown } from "../../plan/view";
import { unproxied } from "./report";
import { lockOf, parseUrn } from "./stack-context";

/** The major step of this container's image from its approved value, if any. */
export function approvedImageStep(args: ResourceValidationArgs): MajorStep | undefined {
  const image = unproxied(args.props).image;
  if (typeof image !== "string" || isUnknown(image)) return undefined;
  const state = lockOf(parseUrn(args.urn).stack);
  if (!("lock" in state)) return undefined;
  const approved = state.lock.resources.find((r) => r.urn === args.urn)?.inputs.image;
  return majorStep(approved, image, args.urn, "image");
}
