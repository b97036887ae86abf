import type { Category } from '../sms-task/events.js';

export type { Category };
export type Priority = 'low' | 'normal' | 'high';

export interface Classification {
  category: Category;
  priority: Priority;
  /** 0 (a greeting) .. 1 (a long, technical request); rounded to two decimals. */
  complexityScore: number;
  model: string;
}

export interface ClassifyOptions {
  /** coding and debug go to models.coding, everything else to models.default. */
  models: { default: string; coding: string };
}

type Signal = [pattern: RegExp, weight: number];

/**
 * Weighted signals per category. Strong, unambiguous phrases weigh 3, ordinary words 1-2.
 * A hand-written table because the point is a fast, explainable, deterministic first pass;
 * an LLM classifier may refine it.
 */
const SIGNALS: Record<Exclude<Category, 'general'>, Signal[]> = {
  debug: [
    [/\b(stack ?trace|traceback|segfault|segmentation fault|core dump)/giu, 3],
    [/\b(error|exception|bug|crash(es|ed|ing)?|panic|undefined is not|null pointer|NaN)\b/giu, 2],
    [/\b(fails?|failing|failed|broken|doesn'?t work|not working|won'?t (run|compile|start)|debug(ging)?)\b/giu, 2],
    [/\bat [\w.$<>]+ \([^)]*:\d+:\d+\)|line \d+|\w+Error\b/gu, 2],
  ],
  coding: [
    [
      /\b(python|javascript|typescript|java|golang|rust|c\+\+|c#|ruby|php|kotlin|swift|bash|sql|regex(es)?|regexp)\b/giu,
      2,
    ],
    [/\b(function|method|class|code|coding|script|snippet|algorithm|implement|refactor|compile|loop|array)\b/giu, 2],
    [/\b(api|library|package|npm|pip|git|json|variable|recursion)\b/giu, 1],
    [/=>|\bdef |\bimport |[{};]\s*$|\(\)/gmu, 1],
  ],
  design: [
    [/\b(architecture|system design|design pattern|microservices?|schema|data model)\b/giu, 3],
    [/\b(design|architect|scal(e|able|ability)|diagram|component|interface|ux|ui|layout|database)\b/giu, 2],
  ],
  documentation: [
    [/\b(readme|docs|documentation|docstring|changelog|tutorial|guide)\b/giu, 3],
    [/\b(document|explain|describe|summari[sz]e|write[- ]?up|comment)\b/giu, 2],
  ],
  analysis: [
    [/\b(analy[sz]e|analysis|statistics?|regression|correlation|forecast|trend)\b/giu, 3],
    [/\b(compare|comparison|data|dataset|metrics?|numbers|chart|average|growth|percent(age)?|versus|vs\.?)\b/giu, 2],
  ],
};

/** Checked in this order on a tie: a failing thing is the most specific thing a text can be about. */
const TIE_ORDER: Exclude<Category, 'general'>[] = ['debug', 'coding', 'design', 'analysis', 'documentation'];

const HIGH_PRIORITY =
  /\b(urgent(ly)?|asap|emergency|critical|immediately|outage|(production|prod|site|server|service) (is )?down|down in prod(uction)?)\b/iu;
const GREETING =
  /^(hi|hello|hey|yo|thanks|thank you|thx|ok|okay|cool|good (morning|afternoon|evening|night)|gm)\b[\s!.,?]*\w*[\s!.,?]*$/iu;

/** Fast deterministic classifier: category by weighted keyword scores, model by category. */
export function classify(body: string, options: ClassifyOptions): Classification {
  const text = body.trim();
  let category: Category = 'general';
  let best = 0;
  let technical = 0;
  for (const name of TIE_ORDER) {
    const score = SIGNALS[name].reduce((sum, [pattern, weight]) => sum + countMatches(text, pattern) * weight, 0);
    technical += score;
    if (score > best) {
      best = score;
      category = name;
    }
  }
  const model = category === 'coding' || category === 'debug' ? options.models.coding : options.models.default;
  return { category, priority: priorityOf(text), complexityScore: complexityOf(text, technical), model };
}

function countMatches(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

function priorityOf(text: string): Priority {
  if (HIGH_PRIORITY.test(text)) return 'high';
  if (text.length <= 40 && GREETING.test(text)) return 'low';
  return 'normal';
}

/** Half length (saturating at 600 characters, about 4 SMS), 40% technical signal, 10% several questions. */
function complexityOf(text: string, technicalScore: number): number {
  const length = Math.min(1, text.length / 600);
  const technical = Math.min(1, technicalScore / 12);
  const questions = Math.min(1, Math.max(0, (text.match(/\?/gu)?.length ?? 0) - 1) / 2);
  return Math.round((0.5 * length + 0.4 * technical + 0.1 * questions) * 100) / 100;
}
