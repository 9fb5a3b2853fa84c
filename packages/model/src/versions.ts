/** Dotted numeric versions such as kernel releases ("6.12.91") and gcc majors. */
export type Version = readonly number[];

function parseVersion(text: string): Version {
  if (!/^\d+(\.\d+)*$/.test(text)) throw new Error(`not a dotted numeric version: ${JSON.stringify(text)}`);
  return text.split(".").map(Number);
}

/** Negative, zero or positive like a sort comparator; missing parts count as 0. */
export function compareVersions(a: Version | string, b: Version | string): number {
  const left = typeof a === "string" ? parseVersion(a) : a;
  const right = typeof b === "string" ? parseVersion(b) : b;
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

export const atLeast = (version: Version | string, minimum: Version | string) => compareVersions(version, minimum) >= 0;

/** "6.12.91" -> "6.12": the series Buildroot's headers symbols are named after. */
export function kernelSeries(version: string): string {
  return parseVersion(version).slice(0, 2).join(".");
}
