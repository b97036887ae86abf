/** USD per million tokens. */
export interface TokenPrice {
  input: number;
  output: number;
}

/**
 * Approximate public list prices (standard tier, USD per 1M tokens, mid-2025). They are
 * ESTIMATES for dashboards and alerts, not billing: check the provider's price page.
 * Dated snapshots ("gpt-4o-2024-08-06") use the price of their family by longest prefix.
 */
export const PRICES: Readonly<Record<string, TokenPrice>> = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  o1: { input: 15, output: 60 },
  'o1-mini': { input: 1.1, output: 4.4 },
  o3: { input: 2, output: 8 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
};

/** For models not in the table (self-hosted, other providers): a middling rate, so costs are never shown as 0. */
export const DEFAULT_PRICE: TokenPrice = { input: 1, output: 4 };

/** The price entry for a model: exact name, else the longest family prefix, else DEFAULT_PRICE. */
export function priceOf(model: string, prices: Readonly<Record<string, TokenPrice>> = PRICES): TokenPrice {
  const name = model.toLowerCase();
  const exact = prices[name];
  if (exact) return exact;
  let best: string | undefined;
  for (const family of Object.keys(prices)) {
    if (name.startsWith(`${family}-`) && family.length > (best?.length ?? 0)) best = family;
  }
  return (best && prices[best]) || DEFAULT_PRICE;
}

/** Estimated cost of one completion in USD, rounded to a millionth of a dollar. */
export function estimateCostUsd(
  model: string,
  promptTokens: number,
  completionTokens: number,
  prices: Readonly<Record<string, TokenPrice>> = PRICES,
): number {
  const price = priceOf(model, prices);
  const usd = (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
  return Math.round(usd * 1_000_000) / 1_000_000;
}

/**
 * Reads a price table such as AI_PRICES_JSON: `{"gpt-4o": {"input": 2.5, "output": 10}}`, USD per
 * 1M tokens. Throws a message naming the bad entry; names are lower-cased as priceOf looks them up.
 */
export function parsePrices(json: string): Record<string, TokenPrice> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('is not JSON (expected {"model": {"input": usd, "output": usd}, ...} per 1M tokens)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('must be a JSON object of model names to {"input": usd, "output": usd}');
  }
  const prices: Record<string, TokenPrice> = {};
  for (const [model, price] of Object.entries(parsed)) {
    const { input, output } = (price ?? {}) as Partial<TokenPrice>;
    const valid = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;
    if (model.trim() === '' || !valid(input) || !valid(output)) {
      throw new Error(`entry ${JSON.stringify(model)} must be {"input": usd, "output": usd}, numbers of 0 or more`);
    }
    prices[model.toLowerCase()] = { input: input as number, output: output as number };
  }
  return prices;
}
