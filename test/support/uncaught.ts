/**
 * Runs `body` and returns the exceptions nobody caught meanwhile (a timer's throw, which no
 * `await` in the body would see). The body's own assertions and rejections propagate as usual.
 */
export async function uncaughtDuring(body: () => Promise<void>): Promise<unknown[]> {
  const uncaught: unknown[] = [];
  const record = (error: unknown) => uncaught.push(error);
  process.on('uncaughtException', record);
  try {
    await body();
  } finally {
    process.off('uncaughtException', record);
  }
  return uncaught;
}
