/**
 * The workspace's `.autoglm/mcp.json`: read only when it is a regular file of bounded size inside
 * the workspace folder (neither the file nor its folder may be a link leading elsewhere), then
 * parsed into servers and diagnostics like the user's setting.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../../common/errors';
import { readRegularFile } from '../../common/regularFile';
import { isInside, parseMcpConfig, type McpConfigParse } from './config';

export const WORKSPACE_CONFIG_PATH = path.join('.autoglm', 'mcp.json');

/** A configuration file is a few kilobytes; anything near this is not one. */
export const MAX_CONFIG_FILE_BYTES = 256 * 1024;

/** Whether the file's folder, with links resolved, is still inside the workspace folder. */
async function folderStaysInside(root: string, file: string): Promise<boolean> {
  try {
    const [realRoot, realFolder] = await Promise.all([fs.realpath(root), fs.realpath(path.dirname(file))]);
    return isInside(realRoot, realFolder);
  } catch {
    return true;
  }
}

function failure(file: string, problem: string): McpConfigParse {
  return { servers: [], diagnostics: [{ severity: 'error', message: `${file}: ${problem}` }] };
}

/** The servers of `<root>/.autoglm/mcp.json`; a missing file is no servers and no diagnostics. */
export async function readWorkspaceMcpConfig(root: string, maxBytes = MAX_CONFIG_FILE_BYTES): Promise<McpConfigParse> {
  const file = path.join(root, WORKSPACE_CONFIG_PATH);
  if (!(await folderStaysInside(root, file))) return failure(file, 'its folder is a link to somewhere outside the workspace; it is not read');
  const read = await readRegularFile(file, maxBytes, { followLinks: false });
  switch (read.kind) {
    case 'missing':
      return { servers: [], diagnostics: [] };
    case 'text':
      return parseText(file, root, read.text);
    case 'too-large':
      return failure(file, `is larger than ${maxBytes} bytes; it is not read`);
    case 'link':
      return failure(file, 'is a symbolic link; it is not followed');
    case 'not-a-file':
      return failure(file, `is ${read.what}, not a file; it is not read`);
    case 'changed':
      return failure(file, 'changed while it was read; it is read again on its next change');
    case 'unreadable':
      return failure(file, `cannot be read: ${read.error.message}`);
  }
}

function parseText(file: string, root: string, text: string): McpConfigParse {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return failure(file, `is not valid JSON: ${errorMessage(err)}`);
  }
  return parseMcpConfig(value, { scope: 'workspace', label: file, baseDir: root });
}
