/**
 * How long a text message is, as a phone network counts it, and how to keep it short.
 *
 * Texts go as GSM-7 (160 characters, or 153 per part when split) unless a single character is
 * outside the GSM 03.38 alphabet, when the whole text goes as UCS-2 (70, or 67 per part) and costs
 * two to three times as much. Characters of the GSM extension table (€ [ ] { } \ ^ ~ | and form
 * feed) take two places. A character is never split across two parts, which is why the count walks
 * the text rather than dividing.
 *
 * Pure: no I/O, safe in the browser too.
 */

const GSM_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
const GSM_EXTENSION = new Set("\f^{}\\[~]|€");

export type SmsEncoding = "GSM-7" | "UCS-2";

export type SmsSegments = {
  encoding: SmsEncoding;
  /** Parts the text is sent in; 0 for an empty text. */
  segments: number;
  /** GSM-7: septets (extension characters count 2). UCS-2: UTF-16 code units. */
  length: number;
};

const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  "GSM-7": { single: 160, part: 153 },
  "UCS-2": { single: 70, part: 67 },
};

export function isGsmCharacter(character: string): boolean {
  return GSM_BASIC.has(character) || GSM_EXTENSION.has(character);
}

/** Places each character takes, in the encoding the whole text needs. */
function units(text: string): { encoding: SmsEncoding; sizes: number[] } {
  const characters = Array.from(text);
  if (characters.every(isGsmCharacter)) {
    return {
      encoding: "GSM-7",
      sizes: characters.map((character) => (GSM_EXTENSION.has(character) ? 2 : 1)),
    };
  }
  // A character beyond the Basic Multilingual Plane (most emoji) is a surrogate pair: 2 units.
  return { encoding: "UCS-2", sizes: characters.map((character) => character.length) };
}

export function smsSegments(text: string): SmsSegments {
  const { encoding, sizes } = units(text);
  const length = sizes.reduce((sum, size) => sum + size, 0);
  const { single, part } = LIMITS[encoding];
  if (length === 0) return { encoding, segments: 0, length };
  if (length <= single) return { encoding, segments: 1, length };
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > part) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return { encoding, segments, length };
}

/** Look-alikes that would otherwise turn a whole text into UCS-2. */
const REPLACEMENTS: Record<string, string> = {
  "\u2018": "'",
  "\u2019": "'",
  "\u201A": "'",
  "\u201B": "'",
  "\u2032": "'",
  "\u00B4": "'",
  "`": "'",
  "\u201C": '"',
  "\u201D": '"',
  "\u201E": '"',
  "\u201F": '"',
  "\u2033": '"',
  "\u00AB": '"',
  "\u00BB": '"',
  "\u2010": "-",
  "\u2011": "-",
  "\u2012": "-",
  "\u2013": "-",
  "\u2014": "-",
  "\u2015": "-",
  "\u2212": "-",
  "\u2022": "-",
  "\u2026": "...",
  "\u00A0": " ",
  "\u2002": " ",
  "\u2003": " ",
  "\u2004": " ",
  "\u2005": " ",
  "\u2006": " ",
  "\u2007": " ",
  "\u2008": " ",
  "\u2009": " ",
  "\u200A": " ",
  "\u202F": " ",
  "\u205F": " ",
  "\u3000": " ",
  "\t": " ",
  "\u200B": "",
  "\u200C": "",
  "\u200D": "",
  "\u2060": "",
  "\uFEFF": "",
  "\u00E7": "Ç",
  "\u00D7": "x",
  "\u2044": "/",
  "\u02C6": "^",
  "\u02DC": "~",
};

/**
 * Swaps characters outside GSM-7 for their everyday equivalents: curly quotes, dashes, the
 * ellipsis, odd spaces, and accented letters GSM lacks ("ë" → "e"). What has no equivalent (emoji,
 * other scripts) is kept, and the text then goes as UCS-2.
 */
export function toGsm(text: string): string {
  let out = "";
  for (const character of text) {
    if (isGsmCharacter(character)) {
      out += character;
      continue;
    }
    const replacement = REPLACEMENTS[character];
    if (replacement !== undefined) {
      out += replacement;
      continue;
    }
    const stripped = character.normalize("NFD").replace(/\p{M}/gu, "");
    out += stripped !== "" && Array.from(stripped).every(isGsmCharacter) ? stripped : character;
  }
  return out;
}

const ELLIPSIS = "...";
/** How far back from the cut a space may be to end on a whole word. */
const WORD_BACKTRACK = 20;

/**
 * The text made GSM-7 where possible (see toGsm) and, if it still needs more than `maxSegments`
 * parts, cut short on a word boundary with "..." so that it fits.
 */
export function fitSms(text: string, { maxSegments }: { maxSegments: number }): string {
  const limit = Math.max(1, Math.floor(maxSegments));
  const gsm = toGsm(text);
  if (smsSegments(gsm).segments <= limit) return gsm;

  const characters = Array.from(gsm);
  const fits = (count: number) =>
    smsSegments(characters.slice(0, count).join("") + ELLIPSIS).segments <= limit;
  // Longer prefixes never take fewer parts, so the longest prefix that fits can be searched for.
  let low = 0;
  let high = characters.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  let cut = low;
  const space = characters.lastIndexOf(" ", cut);
  if (space > 0 && cut - space <= WORD_BACKTRACK && characters[cut] !== " ") cut = space;
  const kept = characters
    .slice(0, cut)
    .join("")
    .replace(/[\s.,;:!?-]+$/, "");
  return kept + ELLIPSIS;
}
