import { readCharts, readSummary } from '$lib/overview/analytics';
import { groupFromQuery, rangeFromQuery } from '$lib/overview/range';
import { readSpendOverview } from '$lib/spend/read';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ url, depends }) => {
  depends('app:overview');
  const now = new Date();
  const range = rangeFromQuery(url.searchParams, now);
  const groupBy = groupFromQuery(url.searchParams);
  // Not awaited: the page shows its loading and error states around each promise.
  return {
    range,
    groupBy,
    summary: readSummary(range),
    charts: readCharts(range, groupBy, now),
    spend: readSpendOverview(),
  };
};
