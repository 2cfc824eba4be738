/** Test helper: reads one sample out of Prometheus text exposition, whatever order its labels were written in. */

/** The value of the sample `name{labels}` whose label set equals `labels` exactly, or undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!] as const).sort(([a], [b]) => a.localeCompare(b));
    if (JSON.stringify(got) === JSON.stringify(wanted)) return Number(m[3]);
  }
  return undefined;
}
