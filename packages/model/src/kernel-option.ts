/**
 * How the model writes a kernel option: its full CONFIG_ symbol (so that
 * `grep -rn CONFIG_TUN packages/model` finds where an option comes from and
 * why), the value CRIU needs, and the reason written next to it in every
 * generated fragment. The specs keep the bare symbol, as Kconfig and
 * Buildroot write it.
 */

export interface KernelOptionSpec {
  /** Kconfig symbol without `CONFIG_`. */
  readonly symbol: string;
  /** `y` to turn the option on (all but a few), `n` where CRIU needs it off. */
  readonly value: "y" | "n";
  /** Why it is needed. Written next to the option in generated fragments. */
  readonly reason: string;
}

function bareSymbol(configSymbol: string): string {
  if (!configSymbol.startsWith("CONFIG_"))
    throw new Error(`packages/model: write ${configSymbol} as CONFIG_${configSymbol}`);
  return configSymbol.slice("CONFIG_".length);
}

export const opt = (symbol: string, reason: string): KernelOptionSpec => ({
  symbol: bareSymbol(symbol),
  value: "y",
  reason,
});

export const off = (symbol: string, reason: string): KernelOptionSpec => ({
  symbol: bareSymbol(symbol),
  value: "n",
  reason,
});

/** Parent options: Kconfig drops the child silently unless these are on. */
export const parent = (symbol: string, child: string): KernelOptionSpec =>
  opt(symbol, `parent of ${bareSymbol(child)}: Kconfig drops ${bareSymbol(child)} while ${bareSymbol(symbol)} is off`);
