/** The Users list's filters and their place in the URL (?search=&tier=&optedOut=), so a view can be linked. */

/** Users per page of the list. */
export const PAGE_SIZE = 50;

export const TIERS = ['free', 'premium'] as const;
export type TierName = (typeof TIERS)[number];

export interface UserFilters {
  /** Digits anywhere in the phone number, with an optional leading +. */
  search?: string;
  tier?: TierName;
  optedOut?: boolean;
}

/** What the API takes for `search` (api/schemas: ^\+?[0-9]{1,15}$). */
const SEARCH = /^\+?[0-9]{1,15}$/;

/** "+1 (415) 555-01" -> "+141555501": people type numbers with spaces and punctuation. */
export const normalizeSearch = (text: string) => text.trim().replace(/[\s().-]/g, '');

/** The filters in `params`; a search that is not digits is left out and named in `invalid`. */
export function filtersFromUrl(params: URLSearchParams): { filters: UserFilters; invalid?: string } {
  const filters: UserFilters = {};
  let invalid: string | undefined;
  const search = normalizeSearch(params.get('search') ?? '');
  if (search && SEARCH.test(search)) filters.search = search;
  else if (search) invalid = params.get('search') ?? undefined;
  const tier = params.get('tier');
  if (tier && (TIERS as readonly string[]).includes(tier)) filters.tier = tier as TierName;
  const optedOut = params.get('optedOut');
  if (optedOut === 'true' || optedOut === 'false') filters.optedOut = optedOut === 'true';
  return invalid === undefined ? { filters } : { filters, invalid };
}

/** The query string for `filters` ("" when none), in a fixed order. */
export function filtersToQuery(filters: UserFilters): string {
  const params = new URLSearchParams();
  if (filters.search) params.set('search', filters.search);
  if (filters.tier) params.set('tier', filters.tier);
  if (filters.optedOut !== undefined) params.set('optedOut', String(filters.optedOut));
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** Whether `text` can be searched for (empty means no search). */
export const isSearchable = (text: string) => {
  const search = normalizeSearch(text);
  return search === '' || SEARCH.test(search);
};

/** The detail page of a number; `+` is encoded so the path survives every router. */
export const userHref = (phone: string) => `/users/${encodeURIComponent(phone)}`;

/** Whether `phone` is a whole E.164 number (analysts get masked ones, which lead nowhere). */
export const isDialable = (phone: string) => /^\+[1-9][0-9]{1,14}$/.test(phone);
