/** Pure display helpers: same input, same text (the locale is fixed so tests and screenshots agree). */

const LOCALE = 'en-US';

/** US dollars; sub-cent costs (one AI call) keep four decimals instead of showing $0.00. */
export function formatMoney(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '—';
  const digits = usd !== 0 && Math.abs(usd) < 0.01 ? 4 : 2;
  return new Intl.NumberFormat(LOCALE, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(usd);
}

/** 850 ms, 1.2 s, 3 min 5 s, 2 h 4 min, 3 d 2 h. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const total = Math.floor(s);
  const [d, h, m, sec] = [
    Math.floor(total / 86400),
    Math.floor(total / 3600) % 24,
    Math.floor(total / 60) % 60,
    total % 60,
  ];
  if (d > 0) return h ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  return sec ? `${m} min ${sec} s` : `${m} min`;
}

/**
 * A phone number with all but the country code's first digits and the last four hidden:
 * +14155550123 -> +1•••••0123. Already-masked numbers (the API masks them for analysts) pass through.
 */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '—';
  if (!/^\+?\d{7,15}$/.test(phone)) return phone;
  const plus = phone.startsWith('+') ? '+' : '';
  const digits = phone.replace(/^\+/, '');
  const keepStart = plus ? 1 : 0;
  return `${plus}${digits.slice(0, keepStart)}${'•'.repeat(digits.length - keepStart - 4)}${digits.slice(-4)}`;
}

/** A date and time in the browser's time zone (or `timeZone`), minutes precision. */
export function formatDate(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(LOCALE, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}

/** "just now", "5 min ago", "3 h ago", else the date. */
export function formatRelative(iso: string | null | undefined, now: Date, timeZone?: string): string {
  if (!iso) return '—';
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return '—';
  const ms = now.getTime() - then;
  if (ms < 0) return formatDate(iso, timeZone);
  if (ms < 45_000) return 'just now';
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return formatDate(iso, timeZone);
}

/** 1234567 -> 1,234,567. */
export const formatCount = (n: number | null | undefined) =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : new Intl.NumberFormat(LOCALE).format(n);

/** How full a meter is (components/Meter.svelte): its bar's width and colour. */
export interface MeterShare {
  percent: number;
  tone: 'ok' | 'warn' | 'danger';
}
