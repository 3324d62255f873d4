import type { AssembleFile } from '../lib/api';

/** A file of a package being assembled, as the form holds it. */
export interface DraftFile {
  path: string;
  mode: string;
  encoding: 'text' | 'base64';
  /** text, or base64 of the file read from disk */
  content: string;
  /** name and size of the file read from disk */
  source?: { name: string; size: number };
}

export function toAssembleFile(f: DraftFile): AssembleFile {
  // An empty mode: the server's default (0644).
  return { path: f.path.trim(), content: f.content, encoding: f.encoding, mode: f.mode.trim() };
}

export const OCTAL_MODE = /^0?[0-7]{3,4}$/;
