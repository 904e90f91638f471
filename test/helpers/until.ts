/** Polls `condition` every 20 ms until it holds; throws naming `what` after `limitMs`. */
export async function until(condition: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
