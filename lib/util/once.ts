/**
 * Runs `fn` once and shares its promise; a failed run is forgotten so that the next call tries again
 * (a database that was down at start is picked up when it comes back).
 */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn().catch((err) => {
      running = undefined;
      throw err;
    });
    return running;
  };
}
