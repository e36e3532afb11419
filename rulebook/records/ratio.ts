/**
 * Shares such as a quorum or a threshold, written as a decimal (0.5) or a fraction ("2/3").
 * Compared in integer arithmetic: 4 agree of 6 meets "2/3" exactly, which 0.6667 would not.
 */

export interface Ratio {
  readonly num: number;
  readonly den: number;
}

export type RatioInput = number | string;

export const RATIO_TEXT_RE = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

export function toRatio(v: RatioInput): Ratio {
  if (typeof v === "string") {
    const m = RATIO_TEXT_RE.exec(v);
    if (!m || Number(m[2]) === 0) throw new Error(`'${v}' is not a fraction such as 2/3`);
    return { num: Number(m[1]), den: Number(m[2]) };
  }
  // Decimals are exact in base 10: 0.5 → 5/10, 0.667 → 667/1000.
  const text = String(v);
  const dot = text.indexOf(".");
  if (text.includes("e")) throw new Error(`${v} must be written as a plain decimal or a fraction`);
  const places = dot < 0 ? 0 : text.length - dot - 1;
  const den = 10 ** places;
  return { num: Math.round(v * den), den };
}

/** Whether part/whole ≥ ratio. A zero whole never meets a positive ratio. */
export function meets(part: number, whole: number, ratio: Ratio): boolean {
  if (whole <= 0) return ratio.num === 0;
  return part * ratio.den >= ratio.num * whole;
}

export function formatRatio(v: RatioInput): string {
  if (typeof v === "string") return v.replace(/\s+/g, "");
  return `${Math.round(v * 1000) / 10}%`;
}

export function percent(part: number, whole: number): string {
  if (whole <= 0) return "n/a";
  return `${Math.round((part / whole) * 1000) / 10}%`;
}
