/** What the spec schema says of an input: each issue's path, message and hint (none when valid). */
import { type StackSpecInput, StackSpecSchema } from "../../stacks/schema";

export interface SpecIssue {
  readonly path: string;
  readonly message: string;
  readonly hint?: string;
}

export function specIssues(input: StackSpecInput): SpecIssue[] {
  const r = StackSpecSchema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => ({
    path: i.path.join("."),
    message: i.message,
    hint: (i as { params?: { hint?: string } }).params?.hint,
  }));
}
