import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import { crc32 } from './crc32.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const encoder = new TextEncoder();
const latin1Decoder = new TextDecoder('latin1');
const utf8Decoder = new TextDecoder('utf-8');

/** One textual entry of a PNG file. */
export interface PngTextEntry {
  /** 1–79 Latin-1 characters, e.g. "parameters". */
  keyword: string;
  /** Any Unicode text; stored UTF-8 in an iTXt chunk. */
  text: string;
}

function invalidPng(message: string): KandinskyError {
  return kandinskyError('INVALID_IMAGE', message, 'Pass the bytes of a complete PNG file.');
}

function checkSignature(png: Uint8Array): void {
  if (!(png instanceof Uint8Array)) throw invalidPng(`Expected the bytes of a PNG file (a Uint8Array), got ${describeValue(png)}.`);
  if (png.length < 8 || PNG_SIGNATURE.some((byte, i) => png[i] !== byte)) {
    throw invalidPng(`Not a PNG file: the first bytes are ${describeValue(Array.from(png.subarray(0, 8)))}.`);
  }
}

function checkKeyword(keyword: string): void {
  // PNG spec §11.3.4: 1–79 bytes of printable Latin-1, no leading/trailing/double spaces.
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword) || /^ | $| {2}/.test(keyword)) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `Invalid PNG text keyword ${describeValue(keyword)}.`,
      'Use 1–79 printable Latin-1 characters without leading, trailing or double spaces.',
    );
  }
}

/** Builds one complete chunk (length, type, data, CRC). */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(encoder.encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** An uncompressed iTXt chunk: keyword, 0, compression flag 0, method 0, "" language, "" translated keyword, UTF-8 text. */
function itxtChunk(entry: PngTextEntry): Uint8Array {
  const keyword = Uint8Array.from(entry.keyword, (c) => c.charCodeAt(0));
  const text = encoder.encode(entry.text);
  const data = new Uint8Array(keyword.length + 5 + text.length);
  data.set(keyword, 0);
  // bytes keyword.length .. +4 stay 0: separator, compression flag, method, empty language + separator, empty translated keyword + separator
  data.set(text, keyword.length + 5);
  return chunk('iTXt', data);
}

/**
 * Returns a copy of `png` with one iTXt chunk per entry inserted right after IHDR, the place
 * image tools (AUTOMATIC1111, ComfyUI, exiftool) read generation parameters from. Existing text
 * chunks with the same keywords are removed so the file never carries two answers.
 */
export function insertPngText(png: Uint8Array, entries: readonly PngTextEntry[]): Uint8Array {
  checkSignature(png);
  for (const entry of entries) checkKeyword(entry.keyword);
  const replaced = new Set(entries.map((entry) => entry.keyword));
  const parts: Uint8Array[] = [png.subarray(0, 8)];
  let offset = 8;
  let inserted = false;
  while (offset < png.length) {
    if (offset + 12 > png.length) throw invalidPng('Truncated PNG chunk header.');
    const length = new DataView(png.buffer, png.byteOffset + offset).getUint32(0);
    const end = offset + 12 + length;
    if (end > png.length) throw invalidPng(`PNG chunk at byte ${offset} runs past the end of the file.`);
    const type = latin1Decoder.decode(png.subarray(offset + 4, offset + 8));
    const isText = type === 'tEXt' || type === 'iTXt' || type === 'zTXt';
    const keyword = isText ? readKeyword(png.subarray(offset + 8, end - 4)) : '';
    if (!(isText && replaced.has(keyword))) parts.push(png.subarray(offset, end));
    if (type === 'IHDR' && !inserted) {
      for (const entry of entries) parts.push(itxtChunk(entry));
      inserted = true;
    }
    offset = end;
  }
  if (!inserted) throw invalidPng('The PNG has no IHDR chunk.');
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function readKeyword(data: Uint8Array): string {
  const zero = data.indexOf(0);
  return latin1Decoder.decode(data.subarray(0, zero < 0 ? data.length : zero));
}

/**
 * Reads the uncompressed tEXt and iTXt entries of a PNG (compressed ones are skipped: decoding
 * zlib would pull a dependency into core). Chunks with a bad CRC are rejected.
 */
export function readPngText(png: Uint8Array): PngTextEntry[] {
  checkSignature(png);
  const entries: PngTextEntry[] = [];
  let offset = 8;
  while (offset + 12 <= png.length) {
    const view = new DataView(png.buffer, png.byteOffset + offset);
    const length = view.getUint32(0);
    const end = offset + 12 + length;
    if (end > png.length) throw invalidPng(`PNG chunk at byte ${offset} runs past the end of the file.`);
    const type = latin1Decoder.decode(png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, end - 4);
    if (type === 'tEXt' || type === 'iTXt') {
      const stored = new DataView(png.buffer, png.byteOffset + end - 4).getUint32(0);
      if (crc32(png.subarray(offset + 4, end - 4)) !== stored) {
        throw invalidPng(`PNG ${type} chunk at byte ${offset} has a bad CRC.`);
      }
      const keyword = readKeyword(data);
      if (type === 'tEXt') {
        entries.push({ keyword, text: latin1Decoder.decode(data.subarray(keyword.length + 1)) });
      } else if (data[keyword.length + 1] === 0) {
        // Skip language tag and translated keyword (two NUL-terminated strings).
        let at = keyword.length + 3;
        at = data.indexOf(0, at) + 1;
        at = data.indexOf(0, at) + 1;
        entries.push({ keyword, text: utf8Decoder.decode(data.subarray(at)) });
      }
    }
    if (type === 'IEND') break;
    offset = end;
  }
  return entries;
}
