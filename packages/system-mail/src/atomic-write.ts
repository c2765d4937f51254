import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces a file atomically: a temporary file in the same directory is
 * written, flushed, renamed over the target, and the directory flushed, so a
 * crash leaves either the old file or the new one, never a torn one.
 *
 * @param path - the file to replace.
 * @param data - its new content.
 * @param mode - permission bits of the new file.
 * @param beforeRename - called once the temporary file is durable, before the rename; a crash simulation point.
 */
export async function writeFileAtomic(
  path: string,
  data: string,
  mode: number,
  beforeRename?: (tempPath: string) => void | Promise<void>,
): Promise<void> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await beforeRename?.(temp);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}

async function syncDirectory(directory: string): Promise<void> {
  // Windows cannot open a directory for fsync; there the rename is all we get.
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
