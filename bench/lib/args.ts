/** Minimal `--name value` / `--flag` parsing for the bench CLIs (no dependency). */
export function parseArgs(argv: readonly string[], flags: readonly string[]): { values: Map<string, string>; flags: Set<string> } {
  const values = new Map<string, string>();
  const set = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq > 0 ? eq : undefined);
    if (flags.includes(name)) {
      set.add(name);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    values.set(name, value);
  }
  return { values, flags: set };
}

/** A whole number from `--name`, accepting 100000, 100_000, 100k or 1m. */
export function intValue(values: Map<string, string>, name: string, dflt: number): number {
  const raw = values.get(name);
  if (raw === undefined) return dflt;
  const m = /^(\d[\d_]*)([km]?)$/i.exec(raw.trim());
  if (!m) throw new Error(`--${name} must be a whole number (e.g. 100000 or 100k), got '${raw}'`);
  const n = Number(m[1]!.replace(/_/g, '')) * (m[2]?.toLowerCase() === 'k' ? 1000 : m[2]?.toLowerCase() === 'm' ? 1_000_000 : 1);
  return n;
}
