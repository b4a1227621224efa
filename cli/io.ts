/**
 * Where the `mmio` command writes (replaceable by tests that run it in-process), and writing with backpressure.
 * @module
 */

/** Where the command writes; replaceable for tests that run it in-process. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Write text, waiting for the stream to drain when it asks to. */
export async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve));
}
