/**
 * Choosing a content coding from Accept-Encoding (RFC 9110 §12.5.3): the highest q-value among the codings offered,
 * `*` standing for any coding the header does not name, q=0 refusing one; on equal q-values the order offered
 * decides, not the order written (browsers list gzip before br, and br is the smaller).
 */

// "gzip;q=0.8", with optional whitespace; q has at most three decimals (RFC 9110 §12.4.2).
const MEMBER = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?:;\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*)?$/i;

/** The coding of `offered` (in order of preference) the client ranks highest, or undefined when it accepts none. */
export function chooseEncoding<T extends string>(acceptEncoding: string, offered: readonly T[]): T | undefined {
  const q = new Map<string, number>();
  for (const member of acceptEncoding.split(',')) {
    if (!member.trim()) continue;
    const match = MEMBER.exec(member);
    // A member that does not parse is ignored, as if the client had not sent it.
    if (!match) continue;
    const coding = match[1]!.toLowerCase();
    // A coding listed twice keeps its first q-value.
    if (!q.has(coding)) q.set(coding, match[2] === undefined ? 1 : Number(match[2]));
  }
  let best: T | undefined;
  let bestQ = 0;
  for (const coding of offered) {
    const value = q.get(coding) ?? q.get('*') ?? 0;
    if (value > bestQ) {
      best = coding;
      bestQ = value;
    }
  }
  return best;
}
